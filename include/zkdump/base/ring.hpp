// A first-in first-out queue over a ring of slots that are reused, never destroyed: a slot's
// strings keep their storage for the next element, so steady traffic allocates nothing. No
// allocation until the first element: a connection that never pipelines costs nothing.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace zkdump {

template <typename T>
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The index-th element from the front.
  T& operator[](std::size_t index) { return slots_[(head_ + index) & (slots_.size() - 1)]; }
  const T& operator[](std::size_t index) const {
    return slots_[(head_ + index) & (slots_.size() - 1)];
  }
  T& front() { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }

  // A slot at the back, holding whatever its last element left: the caller sets every field.
  T& push_back() {
    if (size_ == slots_.size()) grow();
    ++size_;
    return back();
  }
  void pop_front() {
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  // Removes the index-th element; later ones move up a place, their storage with them.
  void erase(std::size_t index) {
    if (index == 0) return pop_front();
    for (std::size_t i = index; i + 1 < size_; ++i) std::swap((*this)[i], (*this)[i + 1]);
    --size_;
  }

 private:
  // Sizes stay powers of two, from one: most connections never have more than one request
  // waiting, and tens of thousands of them must stay cheap.
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 1 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace zkdump

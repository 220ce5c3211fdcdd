// A first-in first-out queue over one vector: no allocation until the first element (a
// connection that never pipelines costs nothing), and capacity kept between bursts.
#pragma once

#include <cstddef>
#include <vector>

namespace zkdump {

template <typename T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  T& back() { return items_.back(); }
  T& operator[](std::size_t index) { return items_[head_ + index]; }
  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

  void push_back(T&& item) { items_.push_back(std::move(item)); }

  void pop_front() {
    ++head_;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void erase(iterator position) {
    if (position == begin()) {
      pop_front();
    } else {
      items_.erase(position);
    }
  }

 private:
  static constexpr std::size_t kCompactAfter = 64;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace zkdump

// Where a table keeps the row of each text key: open addressing over a power-of-two array of
// 8-byte slots, each a row number and part of its key's hash. A lookup reads one slot and, on a
// hash match, one row's key, where a node-based map chases three pointers and divides.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace zkdump {

class TextIndex {
 public:
  static constexpr std::size_t kNoRow = SIZE_MAX;
  static constexpr std::size_t kMaxRows = UINT32_MAX - 1;  // a slot holds a row number in 32 bits

  // The row whose key, as `key_of(row)` gives it, is `key`; kNoRow if none.
  template <typename KeyOf>
  std::size_t find(std::string_view key, std::uint32_t hash, const KeyOf& key_of) const {
    if (slots_.empty()) return kNoRow;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.row_plus_one == 0) return kNoRow;
      if (slot.hash == hash && key_of(slot.row_plus_one - 1) == key) return slot.row_plus_one - 1;
    }
  }

  // `row` (below kMaxRows) holds a key of this hash now; `rows` are held in all, it included.
  void insert(std::uint32_t hash, std::size_t row, std::size_t rows) {
    if (rows * 2 > slots_.size()) grow();
    place({hash, static_cast<std::uint32_t>(row + 1)});
  }

  // `row` no longer holds its key, of this hash. Linear probing's deletion: later slots of the
  // same run move back, so no lookup stops early.
  void erase(std::uint32_t hash, std::size_t row) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = hash & mask;
    while (slots_[hole].row_plus_one != row + 1) hole = (hole + 1) & mask;
    for (std::size_t next = (hole + 1) & mask; slots_[next].row_plus_one != 0;
         next = (next + 1) & mask) {
      const std::size_t home = slots_[next].hash & mask;
      // `next` may fill the hole unless its home lies cyclically in (hole, next].
      const bool home_after_hole =
          hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
      if (home_after_hole) continue;
      slots_[hole] = slots_[next];
      hole = next;
    }
    slots_[hole] = Slot{};
  }

 private:
  struct Slot {
    std::uint32_t hash = 0;          // the low half of the key's hash
    std::uint32_t row_plus_one = 0;  // 0: an empty slot
  };

  void place(const Slot& slot) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = slot.hash & mask;
    while (slots_[i].row_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (slot.row_plus_one != 0) place(slot);
    }
  }

  std::vector<Slot> slots_;  // at most half full, so probes stay short
};

}  // namespace zkdump

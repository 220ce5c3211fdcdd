// What the statistics tables share: a bounded table keyed by text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/base/paths.hpp"

namespace zkdump::stats {

// A table keyed by text, looked up once per message with a view (only a new key is copied).
// Open addressing over a power-of-two array of 8-byte slots, each a row number and part of its
// key's hash: a lookup reads one slot and, on a hash match, one entry, where a node-based map
// chases three pointers and divides. Rows never change and entries never move, so a caller may
// keep a row number, or a reference to a value, for as long as the table lives.
template <typename Value>
class TextTable {
 public:
  struct Entry {
    std::string key;
    Value value;
  };

  // The row of `key`, added if new. Past `max_keys` keys, new keys all land in the row of
  // `overflow_key`, so that hostile traffic cannot grow the table.
  std::size_t row_of(std::string_view key, std::size_t max_keys, std::string_view overflow_key) {
    std::uint64_t hash = hash_of(key);
    if (const std::size_t row = find(key, hash); row != kNoRow) return row;
    if (entries_.size() >= std::min(max_keys, kMaxRows)) {
      key = overflow_key;
      hash = hash_of(key);
      if (const std::size_t row = find(key, hash); row != kNoRow) return row;
    }
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    entries_.push_back(Entry{std::string(key), Value{}});
    place(Slot{static_cast<std::uint32_t>(hash), static_cast<std::uint32_t>(entries_.size())});
    return entries_.size() - 1;
  }
  Value& at(std::size_t row) { return entries_[row].value; }
  Value& at_or_add(std::string_view key, std::size_t max_keys, std::string_view overflow_key) {
    return at(row_of(key, max_keys, overflow_key));
  }

  std::size_t size() const { return entries_.size(); }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  static constexpr std::size_t kNoRow = SIZE_MAX;
  static constexpr std::size_t kMaxRows = UINT32_MAX - 1;  // a slot holds a row number in 32 bits
  struct Slot {
    std::uint32_t hash = 0;          // the low half of the key's hash
    std::uint32_t row_plus_one = 0;  // 0: an empty slot
  };

  std::size_t find(std::string_view key, std::uint64_t hash) const {
    if (slots_.empty()) return kNoRow;
    const std::size_t mask = slots_.size() - 1;
    const auto low = static_cast<std::uint32_t>(hash);
    for (std::size_t i = low & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.row_plus_one == 0) return kNoRow;
      if (slot.hash == low && entries_[slot.row_plus_one - 1].key == key) {
        return slot.row_plus_one - 1;
      }
    }
  }

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

  // Eight bytes at a time, multiply and fold, from a seed chosen per table: paths come off the
  // wire, and a fixed hash would let a client choose keys that all collide.
  std::uint64_t hash_of(std::string_view key) const {
    std::uint64_t hash = seed_ ^ (key.size() * 0x9e3779b97f4a7c15ull);
    const char* p = key.data();
    std::size_t left = key.size();
    for (; left >= 8; p += 8, left -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      hash ^= hash >> 32;
    }
    std::uint64_t tail = 0;
    for (std::size_t i = 0; i < left; ++i) {
      tail |= std::uint64_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
    }
    hash = (hash ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return hash ^ (hash >> 29);
  }
  static std::uint64_t random_seed() {
    std::random_device source;
    return (std::uint64_t{source()} << 32) | source();
  }

  std::uint64_t seed_ = random_seed();
  std::vector<Slot> slots_;  // at most half full, so probes stay short
  std::deque<Entry> entries_;
};

}  // namespace zkdump::stats

// What the statistics tables share: a bounded table keyed by text, and the folding of paths to a
// depth.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace zkdump::stats {

// A table keyed by text, looked up once per message with a view (only a new key is copied).
// Open addressing over a power-of-two slot array that keeps each key's hash: a lookup reads one
// slot and, on a hash match, one entry, where a node-based map chases three pointers and divides.
// Entries never move, so a caller may keep a pointer to a value for as long as the table lives.
template <typename Value>
class TextTable {
 public:
  struct Entry {
    std::string key;
    Value value;
  };

  // The value under `key`, added if new. Past `max_keys` keys, new keys all land under
  // `overflow_key`, so that hostile traffic cannot grow the table.
  Value& at_or_add(std::string_view key, std::size_t max_keys, std::string_view overflow_key) {
    std::uint64_t hash = hash_of(key);
    if (Entry* found = find(key, hash)) return found->value;
    if (entries_.size() >= max_keys) {
      key = overflow_key;
      hash = hash_of(key);
      if (Entry* found = find(key, hash)) return found->value;
    }
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    Entry& entry = entries_.emplace_back(Entry{std::string(key), Value{}});
    place(Slot{hash, &entry});
    return entry.value;
  }

  std::size_t size() const { return entries_.size(); }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    Entry* entry = nullptr;
  };

  Entry* find(std::string_view key, std::uint64_t hash) {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.entry == nullptr) return nullptr;
      if (slot.hash == hash && slot.entry->key == key) return slot.entry;
    }
  }

  void place(const Slot& slot) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = slot.hash & mask;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (slot.entry != nullptr) place(slot);
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

std::string_view fold_path_to(std::string_view path, int depth);

// "/a/b/c" folded to depth 2 is "/a/b"; depth 0 keeps the path.
inline std::string_view fold_path(std::string_view path, int depth) {
  return depth <= 0 || path.empty() ? path : fold_path_to(path, depth);
}

}  // namespace zkdump::stats

// What the statistics tables share: a bounded table keyed by text, and the folding of paths to a
// depth.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
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
    std::uint64_t hash = std::hash<std::string_view>{}(key);
    if (Entry* found = find(key, hash)) return found->value;
    if (entries_.size() >= max_keys) {
      key = overflow_key;
      hash = std::hash<std::string_view>{}(key);
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

  std::vector<Slot> slots_;  // at most half full, so probes stay short
  std::deque<Entry> entries_;
};

// "/a/b/c" folded to depth 2 is "/a/b"; depth 0 keeps the path.
std::string_view fold_path(std::string_view path, int depth);

}  // namespace zkdump::stats

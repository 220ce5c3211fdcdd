// What the statistics tables share: a bounded table keyed by text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/base/paths.hpp"
#include "zkdump/base/seeded_hash.hpp"
#include "zkdump/base/text_index.hpp"

namespace zkdump::stats {

// A table keyed by text, looked up once per message with a view (only a new key is copied).
// Rows never change and entries never move, so a caller may keep a row number, or a reference to
// a value, for as long as the table lives.
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
    auto hash = static_cast<std::uint32_t>(hash_(key));
    if (const std::size_t row = find(key, hash); row != TextIndex::kNoRow) return row;
    if (entries_.size() >= std::min(max_keys, TextIndex::kMaxRows)) {
      key = overflow_key;
      hash = static_cast<std::uint32_t>(hash_(key));
      if (const std::size_t row = find(key, hash); row != TextIndex::kNoRow) return row;
    }
    entries_.push_back(Entry{std::string(key), Value{}});
    index_.insert(hash, entries_.size() - 1, entries_.size());
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
  std::size_t find(std::string_view key, std::uint32_t hash) const {
    return index_.find(key, hash,
                       [this](std::size_t row) -> const std::string& { return entries_[row].key; });
  }

  SeededHash hash_;
  TextIndex index_;
  std::deque<Entry> entries_;
};

}  // namespace zkdump::stats

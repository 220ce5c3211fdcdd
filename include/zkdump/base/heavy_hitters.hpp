// The busiest keys of a stream (paths, clients, etcd keys) in a fixed number of rows, whatever
// the number of distinct keys: the cost of a message stays that of a table that fits in cache.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/base/seeded_hash.hpp"
#include "zkdump/base/text_index.hpp"

namespace zkdump {

// Space-Saving (Metwally, Agrawal, El Abbadi 2005), weighted: each row holds a key and its count.
// A new key in a full table takes the row of the smallest count m, and its count starts at m
// plus its weight, with m as its error. So a row's count is never below the key's true count
// and at most `error` above it, and a key not in the table has at most `unlisted_bound()`:
// every key with more than total/capacity is in the table. A row whose error is 0 has held its
// key since its first message, so all its figures are exact; a row with an error counts its
// other figures (its Value) since it took the row.
//
// The smallest count is found through a min-heap kept lazily: an increment only adds to its
// row's count, and the heap, whose entries may lag behind their rows' counts, is put right from
// its root down when a new key needs a row. A TextIndex finds a key's row, and a key's text is kept
// in its row's string, whose buffer the next key reuses: no allocation per message once the table
// is full.
template <typename Value>
class HeavyHitters {
 public:
  // A key's row as it was when the handle was made: stale once another key takes the row. Kept
  // by a request until its reply, in 32 bits.
  using Handle = std::uint32_t;
  static constexpr Handle kNone = 0;
  static constexpr int kRowBits = 20;  // the rest of a handle is the row's generation
  static constexpr std::size_t kMaxCapacity = (std::size_t{1} << kRowBits) - 2;

  // Tables given the same `hash` can be given the same key's hash (add_hashed).
  explicit HeavyHitters(std::size_t capacity, const SeededHash& hash = {})
      : capacity_(std::clamp<std::size_t>(capacity, 1, kMaxCapacity)), hash_(hash) {}

  const SeededHash& hash() const { return hash_; }

  // Counts `weight` more for `key`.
  Handle add(std::string_view key, std::uint64_t weight = 1) {
    return add_hashed(key, hash_(key), weight);
  }
  Handle add_hashed(std::string_view key, std::uint64_t full_hash, std::uint64_t weight) {
    return handle_of(add_row(key, static_cast<std::uint32_t>(full_hash), weight));
  }

  // Counts `weight` more for the key of `handle`; where another key took its row since (or the
  // handle is kNone), for `key`, hashed by `hash_of_key()` (the same seed's), and `handle`
  // becomes its new one. The key's figures.
  template <typename HashOfKey>
  Value& count(Handle& handle, std::string_view key, HashOfKey&& hash_of_key,
               std::uint64_t weight) {
    std::size_t row = row_of(handle);
    if (row != kNoRow) {
      rows_[row].count += weight;
    } else {
      row = add_row(key, static_cast<std::uint32_t>(hash_of_key()), weight);
      handle = handle_of(row);
    }
    return rows_[row].value;
  }

  // Keeps the largest `value` seen for `key`: the table then holds exactly the keys with the
  // largest values (a key pushed out had a value below every row's, which only grow). kNone
  // when `value` is below them all.
  Handle raise(std::string_view key, std::uint64_t value) {
    const auto hash = static_cast<std::uint32_t>(hash_(key));
    if (const std::size_t row = find(key, hash); row != kNoRow) {
      rows_[row].count = std::max(rows_[row].count, value);
      return handle_of(row);
    }
    if (rows_.size() < capacity_) return handle_of(insert(key, hash, value));
    const std::size_t smallest = smallest_row();
    if (value <= rows_[smallest].count) return kNone;
    const std::size_t row = take_smallest(key, hash, value - rows_[smallest].count);
    rows_[row].error = 0;
    return handle_of(row);
  }

  // Counts `weight` more for the key `handle` was made for, if it still holds the row.
  void add(Handle handle, std::uint64_t weight) {
    if (const std::size_t row = row_of(handle); row != kNoRow) rows_[row].count += weight;
  }
  // The figures of the key `handle` was made for; null if another key took its row since.
  Value* value(Handle handle) {
    const std::size_t row = row_of(handle);
    return row == kNoRow ? nullptr : &rows_[row].value;
  }

  struct Row {
    std::string_view key;
    std::uint64_t count = 0;
    std::uint64_t error = 0;  // the count may be this much above the key's
    const Value* value = nullptr;
  };
  // Every row with a count, in no order.
  std::vector<Row> rows() const {
    std::vector<Row> all;
    all.reserve(rows_.size());
    for (const RowEntry& entry : rows_) {
      if (entry.count != 0) all.push_back({entry.key, entry.count, entry.error, &entry.value});
    }
    return all;
  }
  // The most a key without a row may have counted: the smallest count, once the table is full.
  std::uint64_t unlisted_bound() const {
    if (rows_.size() < capacity_) return 0;
    std::uint64_t smallest = UINT64_MAX;
    for (const RowEntry& entry : rows_) smallest = std::min(smallest, entry.count);
    return smallest;
  }
  std::size_t size() const { return rows_.size(); }
  std::size_t capacity() const { return capacity_; }

  // Every count and figure back to zero (a new --stats-interval). Keys keep their rows, so
  // handles stay valid.
  void reset_counts() {
    for (HeapItem& item : heap_) item.count = 0;
    for (RowEntry& entry : rows_) {
      entry.count = 0;
      entry.error = 0;
      entry.value = Value{};
    }
  }

 private:
  static constexpr Handle kRowMask = (Handle{1} << kRowBits) - 1;
  static constexpr std::size_t kNoRow = SIZE_MAX;

  struct RowEntry {
    std::string key;
    std::uint64_t count = 0;
    std::uint64_t error = 0;
    std::uint32_t hash = 0;
    std::uint32_t generation = 0;  // bumped when another key takes the row
    Value value{};
  };
  struct HeapItem {
    std::uint64_t count = 0;  // the row's count when last put in order: at most its count now
    std::uint32_t row = 0;
  };

  Handle handle_of(std::size_t row) const {
    return (rows_[row].generation << kRowBits) | static_cast<Handle>(row + 1);
  }
  std::size_t row_of(Handle handle) const {
    const std::size_t row_plus_one = handle & kRowMask;
    if (row_plus_one == 0 || row_plus_one > rows_.size()) return kNoRow;
    const std::size_t row = row_plus_one - 1;
    return (rows_[row].generation << kRowBits) == (handle & ~kRowMask) ? row : kNoRow;
  }

  std::size_t add_row(std::string_view key, std::uint32_t hash, std::uint64_t weight) {
    if (const std::size_t row = find(key, hash); row != TextIndex::kNoRow) {
      rows_[row].count += weight;
      return row;
    }
    if (rows_.size() < capacity_) return insert(key, hash, weight);
    return take_smallest(key, hash, weight);
  }

  std::size_t insert(std::string_view key, std::uint32_t hash, std::uint64_t weight) {
    const std::size_t row = rows_.size();
    rows_.push_back(RowEntry{std::string(key), weight, 0, hash, 0, Value{}});
    index_.insert(hash, row, row + 1);
    // A new row goes in at the heap's end and moves up past larger counts.
    std::size_t at = heap_.size();
    heap_.push_back({});
    while (at > 0 && heap_[(at - 1) / 2].count > weight) {
      heap_[at] = heap_[(at - 1) / 2];
      at = (at - 1) / 2;
    }
    heap_[at] = {weight, static_cast<std::uint32_t>(row)};
    return row;
  }

  // The row of the smallest count. The heap's root has the smallest count the heap knows; each
  // count only grows, so once the root's is up to date it is the smallest of all.
  std::size_t smallest_row() {
    for (;;) {
      const HeapItem& root = heap_.front();
      const std::uint64_t now = rows_[root.row].count;
      if (root.count == now) return root.row;
      sift_down({now, root.row});
    }
  }

  // The smallest count's row goes to `key`, its count kept as the new key's error.
  std::size_t take_smallest(std::string_view key, std::uint32_t hash, std::uint64_t weight) {
    const std::size_t row = smallest_row();
    RowEntry& entry = rows_[row];
    index_.erase(entry.hash, row);
    entry.key.assign(key);
    entry.hash = hash;
    entry.error = entry.count;
    entry.count += weight;
    entry.generation = (entry.generation + 1) & (~Handle{0} >> kRowBits);
    entry.value = Value{};
    index_.insert(hash, row, rows_.size());
    sift_down({entry.count, static_cast<std::uint32_t>(row)});
    return row;
  }

  // Puts `root`, the new root, in its place below.
  void sift_down(HeapItem root) {
    std::size_t at = 0;
    for (;;) {
      std::size_t child = 2 * at + 1;
      if (child >= heap_.size()) break;
      if (child + 1 < heap_.size() && heap_[child + 1].count < heap_[child].count) ++child;
      if (heap_[child].count >= root.count) break;
      heap_[at] = heap_[child];
      at = child;
    }
    heap_[at] = root;
  }

  std::size_t find(std::string_view key, std::uint32_t hash) const {
    return index_.find(key, hash,
                       [this](std::size_t row) -> const std::string& { return rows_[row].key; });
  }

  std::size_t capacity_;
  SeededHash hash_;
  std::vector<RowEntry> rows_;
  std::vector<HeapItem> heap_;  // counts here, beside each other, for the heap's comparisons
  TextIndex index_;
};

}  // namespace zkdump

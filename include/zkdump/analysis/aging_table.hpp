// The state an analysis keeps across connections, bounded however hostile the input: at most
// `capacity` entries, each forgotten once older than `max_age_us` by the capture's clock or, when
// the table is full, oldest first. Entries come from a pool that reuses freed ones, so steady
// traffic allocates nothing.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <unordered_map>

#include "zkdump/base/ring.hpp"

namespace zkdump::analysis {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class AgingTable {
 public:
  AgingTable(std::size_t capacity, std::int64_t max_age_us)
      : capacity_(capacity), max_age_us_(max_age_us), entries_(&pool_) {}

  Value* find(const Key& key) {
    auto found = entries_.find(key);
    return found == entries_.end() ? nullptr : &found->second.value;
  }
  // The entry for `key`, made if absent; when full, the oldest entry goes first (`forget` sees it).
  template <typename Forget>
  Value& at(const Key& key, std::int64_t now_us, Forget&& forget) {
    auto found = entries_.find(key);
    if (found != entries_.end()) return found->second.value;
    while (entries_.size() >= capacity_ || order_.size() >= 2 * capacity_) {
      if (forget_oldest(forget)) ++evicted_;
    }
    order_.push_back() = {key, now_us, ++serial_};
    return entries_.try_emplace(key, Entry{Value{}, serial_}).first->second.value;
  }
  Value& at(const Key& key, std::int64_t now_us) {
    return at(key, now_us, [](const Key&, Value&) {});
  }
  void erase(const Key& key) { entries_.erase(key); }
  // Forgets, oldest first, every entry added more than max_age before `now_us`.
  template <typename Forget>
  void expire(std::int64_t now_us, Forget&& forget) {
    while (!order_.empty() && order_.front().added_us < now_us - max_age_us_) forget_oldest(forget);
  }
  void expire(std::int64_t now_us) {
    expire(now_us, [](const Key&, Value&) {});
  }
  // Every entry, oldest first: the capture ended.
  template <typename Forget>
  void forget_all(Forget&& forget) {
    while (!order_.empty()) forget_oldest(forget);
  }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t evicted() const { return evicted_; }  // forgotten for room, not for age

 private:
  struct Entry {
    Value value;
    std::uint64_t serial = 0;  // which record in the order is its own
  };
  struct Record {
    Key key{};
    std::int64_t added_us = 0;
    std::uint64_t serial = 0;
  };
  // The oldest record in the order, if its entry is still the one it recorded (an entry erased
  // and made again has a newer record).
  template <typename Forget>
  bool forget_oldest(Forget& forget) {
    const Record record = order_.front();
    order_.pop_front();
    auto found = entries_.find(record.key);
    if (found == entries_.end() || found->second.serial != record.serial) return false;
    forget(found->first, found->second.value);
    entries_.erase(found);
    return true;
  }

  std::size_t capacity_;
  std::int64_t max_age_us_;
  std::pmr::unsynchronized_pool_resource pool_;
  std::pmr::unordered_map<Key, Entry, Hash> entries_;
  Ring<Record> order_;
  std::uint64_t serial_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace zkdump::analysis

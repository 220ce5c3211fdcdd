#include "zkdump/metrics/top_labels.hpp"

#include <algorithm>
#include <climits>
#include <map>

namespace zkdump::metrics {

void TopLabels::add(std::string_view value, std::uint64_t count) {
  if (value == kOther) {
    other_ += count;
    return;
  }
  auto found = entries_.find(value);
  if (found == entries_.end()) {
    other_ += count;
    if (entries_.size() >= max_entries_) return;
    entries_.emplace(std::string(value), Entry{0, count, false});
    return;
  }
  Entry& entry = found->second;
  entry.window_count += count;
  (entry.held ? entry.count : other_) += count;
}

TopLabels::Entries::iterator TopLabels::busiest_candidate() {
  auto best = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.held) continue;
    if (best == entries_.end() || it->second.window_count > best->second.window_count ||
        (it->second.window_count == best->second.window_count && it->first < best->first)) {
      best = it;
    }
  }
  return best;
}

TopLabels::Entries::iterator TopLabels::quietest_holder() {
  auto quietest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.held &&
        (quietest == entries_.end() || it->second.window_count < quietest->second.window_count)) {
      quietest = it;
    }
  }
  return quietest;
}

void TopLabels::promote_into_free_slots() {
  while (held_ < limit_) {
    const auto candidate = busiest_candidate();
    if (candidate == entries_.end()) return;
    candidate->second.held = true;
    ++held_;
  }
}

// Once a window: a value much busier than a holder takes its slot; the two-fold margin keeps
// series from flapping between values of about the same load.
void TopLabels::replace_quiet_holders() {
  for (;;) {
    const auto candidate = busiest_candidate();
    const auto holder = quietest_holder();
    if (candidate == entries_.end() || holder == entries_.end() ||
        candidate->second.window_count <= 2 * holder->second.window_count) {
      return;
    }
    candidate->second.held = true;
    entries_.erase(holder);
  }
}

void TopLabels::start_window(std::int64_t now_us) {
  std::erase_if(entries_, [](const auto& entry) { return !entry.second.held; });
  for (auto& [value, entry] : entries_) entry.window_count = 0;
  window_start_us_ = now_us;
}

void TopLabels::rebalance(std::int64_t now_us) {
  promote_into_free_slots();
  if (window_start_us_ == INT64_MIN) window_start_us_ = now_us;
  if (now_us - window_start_us_ < kWindowUs) return;
  replace_quiet_holders();
  start_window(now_us);
}

void TopLabels::for_each(const std::function<void(std::string_view, std::uint64_t)>& visit) const {
  std::map<std::string_view, std::uint64_t> held;  // sorted: a stable exposition
  for (const auto& [value, entry] : entries_) {
    if (entry.held) held.emplace(value, entry.count);
  }
  for (const auto& [value, count] : held) visit(value, count);
  if (other_ > 0 || held.empty()) visit(kOther, other_);
}

}  // namespace zkdump::metrics

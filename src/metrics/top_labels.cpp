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
  if (const auto holder = holders_.find(value); holder != holders_.end()) {
    holder->second.count += count;
    holder->second.window_count += count;
    return;
  }
  other_ += count;
  candidates_.add(value, count);
}

std::pair<std::string_view, std::uint64_t> TopLabels::busiest_candidate() const {
  std::pair<std::string_view, std::uint64_t> best{{}, 0};
  for (const Candidates::Row& row : candidates_.rows()) {
    const std::uint64_t surely = row.count - row.error;
    if (surely == 0 || holders_.contains(row.key)) continue;  // promoted this window
    if (surely > best.second || (surely == best.second && row.key < best.first)) {
      best = {row.key, surely};
    }
  }
  return best;
}

TopLabels::Holders::iterator TopLabels::quietest_holder() {
  auto quietest = holders_.end();
  for (auto it = holders_.begin(); it != holders_.end(); ++it) {
    if (quietest == holders_.end() || it->second.window_count < quietest->second.window_count) {
      quietest = it;
    }
  }
  return quietest;
}

// A series for `value`, which surely had `window_count` this window before it.
void TopLabels::hold(std::string_view value, std::uint64_t window_count) {
  holders_.emplace(std::string(value), Holder{0, window_count});
}

void TopLabels::promote_into_free_slots() {
  while (holders_.size() < limit_) {
    const auto [value, count] = busiest_candidate();
    if (count == 0) return;
    hold(value, count);
  }
}

// Once a window: a value much busier than a holder takes its slot; the two-fold margin keeps
// series from flapping between values of about the same load.
void TopLabels::replace_quiet_holders() {
  for (;;) {
    const auto [value, count] = busiest_candidate();
    const auto holder = quietest_holder();
    if (count == 0 || holder == holders_.end() || count <= 2 * holder->second.window_count) {
      return;
    }
    holders_.erase(holder);
    hold(value, count);
  }
}

void TopLabels::start_window(std::int64_t now_us) {
  candidates_.reset_counts();
  for (auto& [value, holder] : holders_) holder.window_count = 0;
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
  for (const auto& [value, holder] : holders_) held.emplace(value, holder.count);
  for (const auto& [value, count] : held) visit(value, count);
  if (other_ > 0 || held.empty()) visit(kOther, other_);
}

}  // namespace zkdump::metrics

// A counter labelled by a value off the wire (a path, a client), in bounded cardinality: at most
// `limit` values have a series of their own, everything else counts under "other".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zkdump::metrics {

// Which values hold a series is decided from what the capture shows: values without one are
// counted in a bounded table of candidates; at each rebalance a free slot goes to the busiest
// candidate, and once a window (a minute) a candidate busier over it than twice the quietest
// holder takes that holder's slot (whose series then ends). A series counts from when its value
// got the slot, and "other" counts everything no series did, so every series only grows and all
// of them add up to the total.
class TopLabels {
 public:
  explicit TopLabels(std::size_t limit) : limit_(limit), max_entries_(limit * 5 + 64) {}

  void add(std::string_view value, std::uint64_t count = 1);
  void rebalance(std::int64_t now_us);
  // Each value with a series, then "other" once anything counted there.
  void for_each(const std::function<void(std::string_view, std::uint64_t)>& visit) const;
  std::uint64_t other() const { return other_; }

  static constexpr std::string_view kOther = "other";
  static constexpr std::int64_t kWindowUs = 60'000'000;

 private:
  struct Entry {
    std::uint64_t count = 0;         // since it got its series
    std::uint64_t window_count = 0;  // in the current window
    bool held = false;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view value) const {
      return std::hash<std::string_view>{}(value);
    }
  };
  using Entries = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  Entries::iterator busiest_candidate();
  Entries::iterator quietest_holder();
  void promote_into_free_slots();
  void replace_quiet_holders();
  void start_window(std::int64_t now_us);

  std::size_t limit_;
  std::size_t max_entries_;  // holders and candidates: past it, new values count as other only
  std::size_t held_ = 0;
  Entries entries_;
  std::uint64_t other_ = 0;
  std::int64_t window_start_us_ = INT64_MIN;
};

}  // namespace zkdump::metrics

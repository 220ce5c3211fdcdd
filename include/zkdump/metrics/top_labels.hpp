// A counter labelled by a value off the wire (a path, a client), in bounded cardinality: at most
// `limit` values have a series of their own, everything else counts under "other".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zkdump/base/heavy_hitters.hpp"

namespace zkdump::metrics {

// Which values hold a series is decided from what the capture shows: values without one are
// counted over the current window (a minute) among candidates, the busiest in a fixed number of
// rows (base/heavy_hitters.hpp), so a value's cost stays the same however many there are. At
// each rebalance a free slot goes to the busiest candidate, and once a window a candidate busier
// over it than twice the quietest holder takes that holder's slot (whose series then ends). A
// candidate is ranked by what it surely had. A series counts from when its value got the slot,
// and "other" counts everything no series did, so every series only grows and all of them add up
// to the total.
class TopLabels {
 public:
  explicit TopLabels(std::size_t limit) : limit_(limit), candidates_(limit * 5 + 64) {}

  void add(std::string_view value, std::uint64_t count = 1);
  void rebalance(std::int64_t now_us);
  // Each value with a series, then "other" once anything counted there.
  void for_each(const std::function<void(std::string_view, std::uint64_t)>& visit) const;
  std::uint64_t other() const { return other_; }

  static constexpr std::string_view kOther = "other";
  static constexpr std::int64_t kWindowUs = 60'000'000;

 private:
  struct Holder {
    std::uint64_t count = 0;         // since it got its series
    std::uint64_t window_count = 0;  // in the current window
  };
  struct NoFigures {};
  using Candidates = HeavyHitters<NoFigures>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view value) const {
      return std::hash<std::string_view>{}(value);
    }
  };
  using Holders = std::unordered_map<std::string, Holder, Hash, std::equal_to<>>;

  // The busiest value without a series, and what it surely had this window (0: none).
  std::pair<std::string_view, std::uint64_t> busiest_candidate() const;
  Holders::iterator quietest_holder();
  void hold(std::string_view value, std::uint64_t window_count);
  void promote_into_free_slots();
  void replace_quiet_holders();
  void start_window(std::int64_t now_us);

  std::size_t limit_;
  Holders holders_;
  Candidates candidates_;  // this window's counts of values without a series
  std::uint64_t other_ = 0;
  std::int64_t window_start_us_ = INT64_MIN;
};

}  // namespace zkdump::metrics

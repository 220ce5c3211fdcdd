// Capture timestamps as text, with the local-time work done once per second, not per line.
#pragma once

#include <cstdint>

#include <fmt/format.h>

namespace zkdump {

enum class TimestampStyle {
  kTime,           // HH:MM:SS:uuuuuu, local time (zktraffic's)
  kNone,           // -t
  kEpoch,          // -tt: seconds.micros since 1970
  kDeltaPrevious,  // -ttt: since the previous line
  kDate,           // -tttt: YYYY-MM-DD HH:MM:SS.uuuuuu
  kDeltaFirst,     // -ttttt: since the first line
};

class TimestampFormatter {
 public:
  explicit TimestampFormatter(TimestampStyle style) : style_(style) {}
  // Appends the timestamp and a trailing space (nothing for kNone).
  void append(fmt::memory_buffer& out, std::int64_t ts_us);
  static void append_epoch(fmt::memory_buffer& out, std::int64_t ts_us);

 private:
  TimestampStyle style_;
  std::int64_t cached_second_ = INT64_MIN;
  char cached_text_[32] = {};
  std::size_t cached_size_ = 0;
  std::int64_t first_us_ = INT64_MIN;
  std::int64_t previous_us_ = INT64_MIN;
};

}  // namespace zkdump

#include "zkdump/base/timestamp.hpp"

#include <array>
#include <cstring>
#include <ctime>

#include "zkdump/base/escape.hpp"

namespace zkdump {
namespace {

void append_delta(fmt::memory_buffer& out, std::int64_t delta_us) {
  const char* sign = delta_us < 0 ? "-" : "";
  const std::int64_t magnitude = delta_us < 0 ? -delta_us : delta_us;
  const std::int64_t seconds = magnitude / 1'000'000;
  fmt::format_to(fmt::appender(out), "{}{:02}:{:02}:{:02}.{:06} ", sign, seconds / 3600,
                 seconds / 60 % 60, seconds % 60, magnitude % 1'000'000);
}

std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

// "00" to "99", so that six digits take three lookups.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (std::size_t i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

// The six digits of the microseconds, zero-padded.
void append_micros(fmt::memory_buffer& out, std::int64_t micros) {
  char* digits = extend(out, 6);
  auto value = static_cast<std::uint32_t>(micros);
  for (std::size_t pair = 3; pair-- > 0;) {
    std::memcpy(digits + 2 * pair, kDigitPairs.data() + std::size_t{2} * (value % 100), 2);
    value /= 100;
  }
}

}  // namespace

void TimestampFormatter::append_epoch(fmt::memory_buffer& out, std::int64_t ts_us) {
  const std::int64_t seconds = floor_div(ts_us, 1'000'000);
  const fmt::format_int whole(seconds);
  append_bytes(out, {whole.data(), whole.size()});
  append_char(out, '.');
  append_micros(out, ts_us - seconds * 1'000'000);
}

void TimestampFormatter::append(fmt::memory_buffer& out, std::int64_t ts_us) {
  if (first_us_ == INT64_MIN) first_us_ = ts_us;
  const std::int64_t previous = previous_us_ == INT64_MIN ? ts_us : previous_us_;
  previous_us_ = ts_us;
  switch (style_) {
    case TimestampStyle::kNone:
      return;
    case TimestampStyle::kEpoch:
      append_epoch(out, ts_us);
      append_char(out, ' ');
      return;
    case TimestampStyle::kDeltaPrevious:
      append_delta(out, ts_us - previous);
      return;
    case TimestampStyle::kDeltaFirst:
      append_delta(out, ts_us - first_us_);
      return;
    case TimestampStyle::kTime:
    case TimestampStyle::kDate:
      break;
  }
  const std::int64_t second = floor_div(ts_us, 1'000'000);
  if (second != cached_second_) {
    cached_second_ = second;
    const auto time = static_cast<std::time_t>(second);
    std::tm local{};
    localtime_r(&time, &local);
    const char* pattern = style_ == TimestampStyle::kDate ? "%Y-%m-%d %H:%M:%S." : "%H:%M:%S:";
    cached_size_ = std::strftime(cached_text_, sizeof cached_text_, pattern, &local);
  }
  append_bytes(out, {cached_text_, cached_size_});
  append_micros(out, ts_us - second * 1'000'000);
  append_char(out, ' ');
}

}  // namespace zkdump

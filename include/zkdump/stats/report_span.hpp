// The stretch of time a statistics report covers: one --stats-interval, or the whole run. Capture
// time when reading a file, wall-clock time when live. Rates divide by it, not by the time
// between the first and the last message.
#pragma once

#include <cstdint>

#include <fmt/format.h>

#include "zkdump/base/json_writer.hpp"

namespace zkdump::stats {

struct ReportSpan {
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
  bool whole_run = true;  // false: one interval, its figures its own

  double seconds() const {
    return end_us > start_us ? static_cast<double>(end_us - start_us) / 1e6 : 0.0;
  }
  double rate(std::uint64_t count) const {
    return seconds() > 0 ? static_cast<double>(count) / seconds() : 0.0;
  }
};

// "scope":"run"|"interval","start":epoch,"end":epoch,"duration_s":seconds (no braces).
void write_span_json(JsonWriter& json, const ReportSpan& span);
// "the whole run" | "interval", then "YYYY-MM-DD HH:MM:SS.uuuuuu to ... (S s)", local time.
void write_span_text(fmt::memory_buffer& out, const ReportSpan& span);

}  // namespace zkdump::stats

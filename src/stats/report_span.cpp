#include "zkdump/stats/report_span.hpp"

#include "zkdump/base/timestamp.hpp"

namespace zkdump::stats {

void write_span_json(fmt::memory_buffer& out, const ReportSpan& span) {
  fmt::format_to(fmt::appender(out),
                 "\"scope\":\"{}\",\"start\":", span.whole_run ? "run" : "interval");
  TimestampFormatter::append_epoch(out, span.start_us);
  fmt::format_to(fmt::appender(out), ",\"end\":");
  TimestampFormatter::append_epoch(out, span.end_us);
  fmt::format_to(fmt::appender(out), ",\"duration_s\":{:.6f}", span.seconds());
}

void write_span_text(fmt::memory_buffer& out, const ReportSpan& span) {
  TimestampFormatter dates(TimestampStyle::kDate);
  fmt::format_to(fmt::appender(out), "{} ", span.whole_run ? "the whole run" : "interval");
  dates.append(out, span.start_us);  // a line's timestamp: it ends in a space
  fmt::format_to(fmt::appender(out), "to ");
  dates.append(out, span.end_us);
  fmt::format_to(fmt::appender(out), "({:.3f} s)", span.seconds());
}

}  // namespace zkdump::stats

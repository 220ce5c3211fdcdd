#include "zkdump/stats/report_span.hpp"

#include "zkdump/base/timestamp.hpp"

namespace zkdump::stats {

void write_span_json(JsonWriter& json, const ReportSpan& span) {
  json.member("scope", span.whole_run ? "run" : "interval");
  json.key("start").epoch(span.start_us);
  json.key("end").epoch(span.end_us);
  json.key("duration_s").fixed(span.seconds(), 6);
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

#include "zkdump/metrics/exposition.hpp"

#include "zkdump/base/escape.hpp"

namespace zkdump::metrics {

void append_label_value(fmt::memory_buffer& out, std::string_view value) {
  fmt::memory_buffer escaped;
  append_escaped_text(escaped, value);
  for (const char c : escaped) {
    if (c == '\\' || c == '"') append_char(out, '\\');  // the format knows \\, \" and \n only
    append_char(out, c);
  }
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(fmt::appender(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void Exposition::series(std::string_view name, std::string_view suffix, Labels labels,
                        const Label* extra) {
  append_bytes(out_, name);
  append_bytes(out_, suffix);
  if (labels.size() == 0 && extra == nullptr) return;
  char separator = '{';
  const auto label = [&](const Label& pair) {
    append_char(out_, separator);
    separator = ',';
    append_bytes(out_, pair.first);
    append_bytes(out_, "=\"");
    append_label_value(out_, pair.second);
    append_char(out_, '"');
  };
  for (const Label& pair : labels) label(pair);
  if (extra != nullptr) label(*extra);
  append_char(out_, '}');
}

void Exposition::sample(std::string_view name, Labels labels, std::uint64_t value) {
  series(name, "", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::sample(std::string_view name, Labels labels, std::int64_t value) {
  series(name, "", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::sample(std::string_view name, Labels labels, double value) {
  series(name, "", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::bucket(std::string_view name, Labels labels, double upper_bound,
                        std::uint64_t cumulative) {
  const std::string bound = upper_bound < 0 ? "+Inf" : fmt::format("{}", upper_bound);
  const Label le{"le", bound};
  series(name, "_bucket", labels, &le);
  fmt::format_to(fmt::appender(out_), " {}\n", cumulative);
}

void Exposition::histogram_totals(std::string_view name, Labels labels, double sum,
                                  std::uint64_t count) {
  series(name, "_sum", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", sum);
  series(name, "_count", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", count);
}

}  // namespace zkdump::metrics

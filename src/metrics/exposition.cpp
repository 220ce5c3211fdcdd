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

void Exposition::family(const Family& family) {
  fmt::format_to(fmt::appender(out_), "# HELP {} {}\n# TYPE {} {}\n", family.name, family.help,
                 family.name, family.type);
}

Exposition::Labels Exposition::labels_of(const Family& family, LabelValues values) {
  Labels labels;
  for (const std::string_view value : values) {
    if (labels.count == family.labels.size()) break;  // more values than the family names
    labels.pairs[labels.count] = {family.labels[labels.count], value};
    ++labels.count;
  }
  return labels;
}

void Exposition::series(std::string_view name, std::string_view suffix, const Labels& labels) {
  append_bytes(out_, name);
  append_bytes(out_, suffix);
  if (labels.count == 0) return;
  char separator = '{';
  for (std::size_t i = 0; i < labels.count; ++i) {
    append_char(out_, separator);
    separator = ',';
    append_bytes(out_, labels.pairs[i].first);
    append_bytes(out_, "=\"");
    append_label_value(out_, labels.pairs[i].second);
    append_char(out_, '"');
  }
  append_char(out_, '}');
}

void Exposition::sample(const Family& family, LabelValues values, std::uint64_t value) {
  series(family.name, "", labels_of(family, values));
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::sample(const Family& family, LabelValues values, std::int64_t value) {
  series(family.name, "", labels_of(family, values));
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::sample(const Family& family, LabelValues values, double value) {
  series(family.name, "", labels_of(family, values));
  fmt::format_to(fmt::appender(out_), " {}\n", value);
}

void Exposition::single(const Family& family, std::uint64_t value) {
  this->family(family);
  sample(family, {}, value);
}

void Exposition::single(const Family& family, std::int64_t value) {
  this->family(family);
  sample(family, {}, value);
}

void Exposition::bucket(std::string_view name, Labels labels, double upper_bound,
                        std::uint64_t cumulative) {
  const std::string bound = upper_bound < 0 ? "+Inf" : fmt::format("{}", upper_bound);
  labels.pairs[labels.count] = {"le", bound};
  ++labels.count;
  series(name, "_bucket", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", cumulative);
}

void Exposition::histogram_totals(std::string_view name, const Labels& labels, double sum,
                                  std::uint64_t count) {
  series(name, "_sum", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", sum);
  series(name, "_count", labels);
  fmt::format_to(fmt::appender(out_), " {}\n", count);
}

}  // namespace zkdump::metrics

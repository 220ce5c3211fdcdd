#include "zkdump/base/json_writer.hpp"

#include "zkdump/base/copy_bytes.hpp"
#include "zkdump/base/timestamp.hpp"

namespace zkdump {

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (need_comma_[depth_]) append_char(out_, ',');
  need_comma_[depth_] = true;
}

void JsonWriter::open(char bracket) {
  before_value();
  append_char(out_, bracket);
  if (depth_ + 1 < kMaxDepth) ++depth_;
  need_comma_[depth_] = false;
}

void JsonWriter::close(char bracket) {
  if (depth_ > 0) --depth_;
  append_char(out_, bracket);
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  append_char(out_, '"');
  append_escaped_json(out_, name);
  append_bytes(out_, "\":");
  after_key_ = true;
  return *this;
}

void JsonWriter::string(std::string_view text) {
  before_value();
  append_char(out_, '"');
  append_escaped_json(out_, text);
  append_char(out_, '"');
}

void JsonWriter::fixed(double value, int decimals) {
  before_value();
  fmt::format_to(fmt::appender(out_), "{:.{}f}", value, decimals);
}

void JsonWriter::epoch(std::int64_t ts_us) {
  before_value();
  TimestampFormatter::append_epoch(out_, ts_us);
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  append_bytes(out_, json);
}

void JsonWriter::trusted_member(std::string_view name, std::string_view value, bool quoted) {
  const bool separate = !after_key_ && need_comma_[depth_];
  need_comma_[depth_] = true;
  after_key_ = false;
  char* out = extend(out_, (separate ? 1 : 0) + name.size() + 3 + value.size() + (quoted ? 2 : 0));
  if (separate) *out++ = ',';
  *out++ = '"';
  copy_bytes(out, name);
  out += name.size();
  *out++ = '"';
  *out++ = ':';
  if (quoted) *out++ = '"';
  copy_bytes(out, value);
  if (quoted) out[value.size()] = '"';
}

}  // namespace zkdump

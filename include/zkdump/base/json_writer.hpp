// One JSON writer for every document zkdump prints: the lines, the --stats documents and
// /stats.json. It places the commas, nests objects and arrays (never deeper than kMaxDepth: a
// deeper container joins its parent's level), escapes strings and formats numbers, into a buffer
// the caller owns.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/base/escape.hpp"

namespace zkdump {

class JsonWriter {
 public:
  static constexpr int kMaxDepth = 16;

  // `continues_object`: the writer goes on inside an object that already has members, so the
  // first member needs a comma.
  explicit JsonWriter(fmt::memory_buffer& out, bool continues_object = false) : out_(out) {
    need_comma_[0] = continues_object;
  }

  JsonWriter& key(std::string_view name);  // escaped
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  void string(std::string_view text);  // quoted and escaped
  template <std::integral Number>
  requires(!std::same_as<Number, bool>) void number(Number value) {
    before_value();
    const fmt::format_int digits(value);  // no format-string parsing
    append_bytes(out_, {digits.data(), digits.size()});
  }
  void fixed(double value, int decimals);  // 12.5 with decimals 1
  void boolean(bool value) { raw(value ? "true" : "false"); }
  void null() { raw("null"); }
  void epoch(std::int64_t ts_us);  // seconds since the epoch, to the microsecond

  // A member whose key and value need no escaping (names from zkdump's own tables, formatted
  // addresses), written in one piece: most are short, and a piece costs more to append than to
  // copy. `quoted`: the value is a string.
  void trusted_member(std::string_view name, std::string_view value, bool quoted);
  JsonWriter& trusted_key(std::string_view name) {
    trusted_member(name, {}, false);
    after_key_ = true;
    return *this;
  }
  // A value already formatted as JSON.
  void raw(std::string_view json);

  // key(name) then the value: a string, an integer, or a bool.
  template <class Value>
  void member(std::string_view name, const Value& value) {
    key(name);
    if constexpr (std::same_as<Value, bool>) {
      boolean(value);
    } else if constexpr (std::integral<Value>) {
      number(value);
    } else {
      string(value);
    }
  }

 private:
  void before_value();
  void open(char bracket);
  void close(char bracket);

  fmt::memory_buffer& out_;
  int depth_ = 0;
  bool after_key_ = false;
  bool need_comma_[kMaxDepth] = {};
};

}  // namespace zkdump

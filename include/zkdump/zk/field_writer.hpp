// Writes a message's fields as text (`name=value, ...`) or as JSON members, so that one record
// decoder serves every output mode. Values from the wire are always escaped.
#pragma once

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

enum class FieldStyle { kText, kJson, kDiscard };

// Appends `bytes` escaped for a text line: printable ASCII and valid UTF-8 pass, everything else
// (control bytes, C1 controls, invalid sequences, backslash, `quote`) becomes an escape.
void append_escaped_text(fmt::memory_buffer& out, std::string_view bytes, char quote = 0);
// Appends `bytes` as the inside of a JSON string.
void append_escaped_json(fmt::memory_buffer& out, std::string_view bytes);

class FieldWriter {
 public:
  // `extras` receives the fields only -v shows; it may be null when -v is off.
  // `continues_object`: the JSON object already has members, so the first field needs a comma.
  FieldWriter(FieldStyle style, fmt::memory_buffer* main, fmt::memory_buffer* extras,
              bool continues_object = false)
      : style_(style), main_(main), extras_(extras), target_(main) {
    need_separator_[0] = continues_object;
  }

  void number(std::string_view key, std::int64_t value);
  void hex(std::string_view key, std::uint64_t value);
  void boolean(std::string_view key, bool value);
  void bytes(std::string_view key, const WireBytes& value);  // escaped; null prints as None/null
  void name(std::string_view key,
            std::string_view value);  // a trusted constant such as an enum name
  void redacted(std::string_view key);
  // A short escaped preview of a data buffer, shown with -v.
  void preview(std::string_view key, const WireBytes& value);

  void begin_list(std::string_view key);
  void list_string(const WireBytes& value);
  void end_list();
  // One element of a list of records: text `Name(fields)`, JSON `{"op":"json_name",fields}`
  // (no "op" member when json_name is empty).
  void begin_record(std::string_view text_name, std::string_view json_name);
  void end_record();
  // A nested record as a field: text `key=Name(fields)`, JSON `"key":{fields}`.
  void begin_object(std::string_view key, std::string_view text_name);
  void end_object() { end_record(); }
  FieldStyle style() const { return style_; }

  // Routes the following fields to the -v trailer, or drops them when -v is off.
  void begin_extras();
  void end_extras();
  bool discarding() const { return style_ == FieldStyle::kDiscard || target_ == nullptr; }

 private:
  void key_prefix(std::string_view key);
  void separator();
  // An escaped string; in text, wrapped in `text_quote` unless it is 0.
  void string_value(const WireBytes& value, char text_quote);

  static constexpr int kMaxDepth = 8;  // records nest at most multi > op > acl list
  FieldStyle style_;
  fmt::memory_buffer* main_;
  fmt::memory_buffer* extras_;
  fmt::memory_buffer* target_;
  int depth_ = 0;
  bool need_separator_[kMaxDepth] = {};
  bool saved_main_separator_ = false;
  bool extras_separator_ = true;
};

}  // namespace zkdump::zk

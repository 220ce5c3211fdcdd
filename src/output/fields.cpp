#include "zkdump/output/fields.hpp"

#include <algorithm>
#include <cstring>

#include "zkdump/base/escape.hpp"

namespace zkdump::output {
namespace {

constexpr std::size_t kPreviewBytes = 32;
constexpr std::string_view kRedacted = "<redacted>";

void append_number(fmt::memory_buffer& out, std::int64_t value) {
  const fmt::format_int digits(value);  // no format-string parsing on the per-field path
  append_bytes(out, {digits.data(), digits.size()});
}

void append_hex(fmt::memory_buffer& out, std::uint64_t value) {
  fmt::format_to(fmt::appender(out), "0x{:x}", value);
}

WireBytes head_of(const WireBytes& value) {
  WireBytes head = value;
  head.size = std::min(head.size, kPreviewBytes);
  return head;
}

// zkCli's letters for a bit set, or an empty view when a set bit has no letter.
std::string_view flag_letters(std::int64_t value, std::string_view letters, char (&out)[64]) {
  std::size_t count = 0;
  for (std::size_t bit = 0; bit < letters.size() && bit < sizeof out; ++bit) {
    if ((value & (std::int64_t{1} << bit)) != 0) out[count++] = letters[bit];
  }
  const std::int64_t known = (std::int64_t{1} << letters.size()) - 1;
  if (count == 0 || (value & ~known) != 0) return {};
  return {out, count};
}

}  // namespace

// ---- Text ----

fmt::memory_buffer* TextFields::start(FieldKey key, FieldRole role) {
  fmt::memory_buffer* target = nullptr;
  bool separate = true;
  if (depth_ > 0) {
    target = targets_[depth_];
    separate = need_separator_[depth_];
    need_separator_[depth_] = true;
  } else if (role == FieldRole::kMain) {
    target = &line_;
    separate = main_started_;
    main_started_ = true;
  } else if (role == FieldRole::kDetail && options_.verbose) {
    target = &trailer_;  // the trailer follows the endpoints: always separated
  }
  if (target == nullptr) return nullptr;
  const std::size_t lead = separate ? 2 : 0;
  char* out = extend(*target, lead + key.text.size() + 1);
  std::memcpy(out, ", ", lead);
  std::memcpy(out + lead, key.text.data(), key.text.size());
  out[lead + key.text.size()] = '=';
  return target;
}

fmt::memory_buffer* TextFields::start_element() {
  if (depth_ == 0) {  // a record outside any list: a main field
    if (main_started_) append_bytes(line_, ", ");
    main_started_ = true;
    return &line_;
  }
  fmt::memory_buffer* target = targets_[depth_];
  if (target == nullptr) return nullptr;
  if (need_separator_[depth_]) append_bytes(*target, ", ");
  need_separator_[depth_] = true;
  return target;
}

void TextFields::open(fmt::memory_buffer* target, char bracket) {
  if (depth_ + 1 < kMaxFieldDepth) ++depth_;
  targets_[depth_] = target;
  need_separator_[depth_] = false;
  if (target != nullptr) append_char(*target, bracket);
}

void TextFields::close(char bracket) {
  if (targets_[depth_] != nullptr) targets_[depth_]->push_back(bracket);
  if (depth_ > 0) --depth_;
}

void TextFields::number(FieldKey key, std::int64_t value, FieldRole role) {
  if (fmt::memory_buffer* out = start(key, role)) append_number(*out, value);
}

void TextFields::hex(FieldKey key, std::uint64_t value, FieldRole role) {
  if (fmt::memory_buffer* out = start(key, role)) append_hex(*out, value);
}

void TextFields::hex_number(FieldKey key, std::uint64_t value, FieldRole role) {
  hex(key, value, role);
}

void TextFields::hex_id(FieldKey key, std::uint64_t value, FieldRole role) {
  hex(key, value, role);
}

void TextFields::boolean(FieldKey key, bool value, FieldRole role) {
  if (fmt::memory_buffer* out = start(key, role)) {
    append_bytes(*out, value ? std::string_view("True") : std::string_view("False"));
  }
}

void TextFields::bytes(FieldKey key, const WireBytes& value, FieldRole role) {
  fmt::memory_buffer* out = start(key, role);
  if (out == nullptr) return;
  if (value.is_null) {
    append_bytes(*out, "None");
  } else {
    append_text_value(*out, value.view());
  }
}

void TextFields::name(FieldKey key, std::string_view value, FieldRole role) {
  if (fmt::memory_buffer* out = start(key, role)) append_bytes(*out, value);
}

void TextFields::flags(FieldKey key, std::int64_t value, std::string_view letters, FieldRole role) {
  char buffer[64];
  const std::string_view shown = flag_letters(value, letters, buffer);
  if (shown.empty()) {
    number(key, value, role);
  } else {
    name(key, shown, role);
  }
}

void TextFields::preview(FieldKey key, const WireBytes& value, FieldRole role) {
  if (!options_.show_data) return;
  // --show-data without -v: in the line, since the trailer is not printed.
  write_preview(key, value, options_.verbose ? role : FieldRole::kMain);
}

void TextFields::write_preview(FieldKey key, const WireBytes& value, FieldRole role) {
  fmt::memory_buffer* out = start(key, role);
  if (out == nullptr) return;
  const WireBytes head = head_of(value);
  append_char(*out, '\'');
  append_escaped_text(*out, head.view(), '\'');
  append_char(*out, '\'');
  if (value.size > head.size) append_bytes(*out, "...");
}

void TextFields::secret(FieldKey key, const WireBytes& value, Shown shown) {
  if (!options_.show_credentials) {
    name(key, kRedacted, FieldRole::kMain);
  } else if (shown == Shown::kPreview) {
    write_preview(key, value, FieldRole::kMain);
  } else {
    bytes(key, value, FieldRole::kMain);
  }
}

void TextFields::begin_list(FieldKey key, FieldRole role) {
  open(start(key, role), '[');
}

void TextFields::list_string(const WireBytes& value) {
  fmt::memory_buffer* out = start_element();
  if (out == nullptr) return;
  if (value.is_null) {
    append_bytes(*out, "None");
    return;
  }
  append_char(*out, '\'');
  append_escaped_text(*out, value.view(), '\'');
  append_char(*out, '\'');
}

void TextFields::end_list() {
  close(']');
}

void TextFields::begin_record(std::string_view text_name, std::string_view) {
  fmt::memory_buffer* out = start_element();
  if (out != nullptr) append_bytes(*out, text_name);
  open(out, '(');
}

void TextFields::end_record() {
  close(')');
}

void TextFields::begin_object(FieldKey key, std::string_view text_name, FieldRole role) {
  fmt::memory_buffer* out = start(key, role);
  if (out != nullptr) append_bytes(*out, text_name);
  open(out, '(');
}

void TextFields::end_object() {
  close(')');
}

// ---- JSON ----

void JsonFields::string(const WireBytes& value) {
  if (value.is_null) {
    json_.null();
  } else {
    json_.string(value.view());
  }
}

void JsonFields::number(FieldKey field_key, std::int64_t value, FieldRole) {
  const fmt::format_int digits(value);
  json_.trusted_member(field_key.json, {digits.data(), digits.size()}, false);
}

void JsonFields::hex_number(FieldKey field_key, std::uint64_t value, FieldRole role) {
  number(field_key, static_cast<std::int64_t>(value), role);
}

void JsonFields::hex_id(FieldKey field_key, std::uint64_t value, FieldRole) {
  char digits[24];
  const auto written = fmt::format_to_n(digits, sizeof digits, "0x{:x}", value);
  json_.trusted_member(field_key.json, {digits, written.size}, true);
}

void JsonFields::boolean(FieldKey field_key, bool value, FieldRole) {
  json_.trusted_member(field_key.json, value ? "true" : "false", false);
}

void JsonFields::bytes(FieldKey field_key, const WireBytes& value, FieldRole) {
  json_.trusted_key(field_key.json);
  string(value);
}

void JsonFields::name(FieldKey field_key, std::string_view value, FieldRole) {
  json_.trusted_member(field_key.json, value, true);
}

void JsonFields::flags(FieldKey field_key, std::int64_t value, std::string_view, FieldRole) {
  number(field_key, value, FieldRole::kMain);
}

void JsonFields::preview(FieldKey field_key, const WireBytes& value, FieldRole) {
  if (options_.show_data) write_preview(field_key, value);
}

void JsonFields::write_preview(FieldKey field_key, const WireBytes& value) {
  json_.trusted_key(field_key.json).string(head_of(value).view());
}

void JsonFields::secret(FieldKey field_key, const WireBytes& value, Shown shown) {
  if (!options_.show_credentials) {
    name(field_key, kRedacted, FieldRole::kMain);
  } else if (shown == Shown::kPreview) {
    write_preview(field_key, value);
  } else {
    bytes(field_key, value, FieldRole::kMain);
  }
}

void JsonFields::begin_list(FieldKey field_key, FieldRole) {
  json_.trusted_key(field_key.json).begin_array();
}

void JsonFields::list_string(const WireBytes& value) {
  string(value);
}

void JsonFields::end_list() {
  json_.end_array();
}

void JsonFields::begin_record(std::string_view, std::string_view json_name) {
  json_.begin_object();
  if (!json_name.empty()) json_.trusted_member("op", json_name, true);
}

void JsonFields::end_record() {
  json_.end_object();
}

void JsonFields::begin_object(FieldKey field_key, std::string_view, FieldRole) {
  json_.trusted_key(field_key.json).begin_object();
}

void JsonFields::end_object() {
  json_.end_object();
}

}  // namespace zkdump::output

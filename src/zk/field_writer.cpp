#include "zkdump/zk/field_writer.hpp"

#include <algorithm>

namespace zkdump::zk {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid, non-control UTF-8 sequence at p, or 0 when it must be escaped.
std::size_t printable_utf8_length(const unsigned char* p, std::size_t left) {
  const unsigned char lead = p[0];
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code = lead & 0x1fu;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code = lead & 0x0fu;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (left < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xc0u) != 0x80u) return 0;
    code = (code << 6) | (p[i] & 0x3fu);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool c1_control = code >= 0x80 && code <= 0x9f;
  const bool surrogate = code >= 0xd800 && code <= 0xdfff;
  // U+2028/2029 end lines in some viewers; never let a value look like a new line.
  const bool line_separator = code == 0x2028 || code == 0x2029;
  if (overlong || c1_control || surrogate || code > 0x10ffff || line_separator) return 0;
  return length;
}

template <typename EscapeAscii>
void append_escaped(fmt::memory_buffer& out, std::string_view bytes, EscapeAscii escape_ascii) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    std::size_t run = i;
    while (run < size && p[run] >= 0x20 && p[run] < 0x7f && !escape_ascii(p[run], nullptr)) ++run;
    out.append(bytes.data() + i, bytes.data() + run);
    i = run;
    if (i == size) break;
    if (p[i] >= 0x80) {
      const std::size_t length = printable_utf8_length(p + i, size - i);
      if (length > 0) {
        out.append(bytes.data() + i, bytes.data() + i + length);
        i += length;
        continue;
      }
    }
    escape_ascii(p[i], &out);
    ++i;
  }
}

void append_hex_escape(fmt::memory_buffer& out, unsigned char c, std::string_view prefix) {
  out.append(prefix);
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xf]);
}

}  // namespace

void append_escaped_text(fmt::memory_buffer& out, std::string_view bytes, char quote) {
  append_escaped(out, bytes, [quote](unsigned char c, fmt::memory_buffer* target) {
    const bool special = c == '\\' || (quote != 0 && c == static_cast<unsigned char>(quote));
    if (target == nullptr) return special;
    if (special) {
      target->push_back('\\');
      target->push_back(static_cast<char>(c));
    } else {
      append_hex_escape(*target, c, "\\x");
    }
    return true;
  });
}

void append_escaped_json(fmt::memory_buffer& out, std::string_view bytes) {
  append_escaped(out, bytes, [](unsigned char c, fmt::memory_buffer* target) {
    const bool special = c == '\\' || c == '"';
    if (target == nullptr) return special;
    if (special) {
      target->push_back('\\');
      target->push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      append_hex_escape(*target, c, "\\u00");
    } else {
      append_hex_escape(*target, c, "\\\\x");  // not UTF-8: shown as \xNN, as in text mode
    }
    return true;
  });
}

void FieldWriter::separator() {
  if (need_separator_[depth_]) {
    if (style_ == FieldStyle::kText) {
      target_->append(std::string_view(", "));
    } else {
      target_->push_back(',');
    }
  }
  need_separator_[depth_] = true;
}

void FieldWriter::key_prefix(std::string_view key) {
  separator();
  if (style_ == FieldStyle::kText) {
    target_->append(key);
    target_->push_back('=');
  } else {
    target_->push_back('"');
    target_->append(key);
    target_->append(std::string_view("\":"));
  }
}

void FieldWriter::number(std::string_view key, std::int64_t value) {
  if (discarding()) return;
  key_prefix(key);
  const fmt::format_int digits(value);  // no format-string parsing on the per-field path
  target_->append(digits.data(), digits.data() + digits.size());
}

void FieldWriter::hex(std::string_view key, std::uint64_t value) {
  if (discarding()) return;
  key_prefix(key);
  if (style_ == FieldStyle::kText) {
    fmt::format_to(fmt::appender(*target_), "0x{:x}", value);
  } else {
    fmt::format_to(fmt::appender(*target_), "\"0x{:x}\"", value);
  }
}

void FieldWriter::boolean(std::string_view key, bool value) {
  if (discarding()) return;
  key_prefix(key);
  if (style_ == FieldStyle::kText) {
    target_->append(value ? std::string_view("True") : std::string_view("False"));
  } else {
    target_->append(value ? std::string_view("true") : std::string_view("false"));
  }
}

void FieldWriter::string_value(const WireBytes& value, char text_quote) {
  if (value.is_null) {
    target_->append(style_ == FieldStyle::kText ? std::string_view("None")
                                                : std::string_view("null"));
    return;
  }
  if (style_ == FieldStyle::kText) {
    if (text_quote != 0) target_->push_back(text_quote);
    append_escaped_text(*target_, value.view(), text_quote);
    if (text_quote != 0) target_->push_back(text_quote);
    return;
  }
  target_->push_back('"');
  append_escaped_json(*target_, value.view());
  target_->push_back('"');
}

void FieldWriter::bytes(std::string_view key, const WireBytes& value) {
  if (discarding()) return;
  key_prefix(key);
  string_value(value, 0);
}

void FieldWriter::name(std::string_view key, std::string_view value) {
  if (discarding()) return;
  key_prefix(key);
  if (style_ == FieldStyle::kText) {
    target_->append(value);
  } else {
    target_->push_back('"');
    target_->append(value);
    target_->push_back('"');
  }
}

void FieldWriter::redacted(std::string_view key) {
  name(key, "<redacted>");
}

void FieldWriter::preview(std::string_view key, const WireBytes& value) {
  if (discarding()) return;
  constexpr std::size_t kPreviewBytes = 32;
  WireBytes head = value;
  head.size = std::min(head.size, kPreviewBytes);
  key_prefix(key);
  if (style_ == FieldStyle::kText) {
    target_->push_back('\'');
    append_escaped_text(*target_, head.view(), '\'');
    target_->push_back('\'');
    if (value.size > head.size) target_->append(std::string_view("..."));
  } else {
    target_->push_back('"');
    append_escaped_json(*target_, head.view());
    target_->push_back('"');
  }
}

void FieldWriter::begin_list(std::string_view key) {
  if (discarding()) return;
  key_prefix(key);
  target_->push_back('[');
  if (depth_ + 1 < kMaxDepth) ++depth_;
  need_separator_[depth_] = false;
}

void FieldWriter::list_string(const WireBytes& value) {
  if (discarding()) return;
  separator();
  string_value(value, '\'');
}

void FieldWriter::end_list() {
  if (discarding()) return;
  if (depth_ > 0) --depth_;
  target_->push_back(']');
}

void FieldWriter::begin_record(std::string_view text_name, std::string_view json_name) {
  if (discarding()) return;
  separator();
  if (style_ == FieldStyle::kText) {
    target_->append(text_name);
    target_->push_back('(');
  } else if (json_name.empty()) {
    target_->push_back('{');
  } else {
    target_->append(std::string_view("{\"op\":\""));
    target_->append(json_name);
    target_->push_back('"');
  }
  if (depth_ + 1 < kMaxDepth) ++depth_;
  need_separator_[depth_] = style_ == FieldStyle::kJson && !json_name.empty();
}

void FieldWriter::begin_object(std::string_view key, std::string_view text_name) {
  if (discarding()) return;
  key_prefix(key);
  if (style_ == FieldStyle::kText) {
    target_->append(text_name);
    target_->push_back('(');
  } else {
    target_->push_back('{');
  }
  if (depth_ + 1 < kMaxDepth) ++depth_;
  need_separator_[depth_] = false;
}

void FieldWriter::end_record() {
  if (discarding()) return;
  if (depth_ > 0) --depth_;
  target_->push_back(style_ == FieldStyle::kText ? ')' : '}');
}

void FieldWriter::begin_extras() {
  if (style_ == FieldStyle::kDiscard) return;
  saved_main_separator_ = need_separator_[0];
  // JSON keeps one object, so extras continue it; text extras go to the trailer after client=.
  if (style_ == FieldStyle::kJson) {
    target_ = extras_ != nullptr ? main_ : nullptr;
    return;
  }
  target_ = extras_;
  need_separator_[0] = extras_separator_;
}

void FieldWriter::end_extras() {
  if (style_ == FieldStyle::kDiscard) return;
  if (style_ == FieldStyle::kText) extras_separator_ = need_separator_[0];
  if (style_ == FieldStyle::kText || target_ == nullptr) need_separator_[0] = saved_main_separator_;
  target_ = main_;
}

}  // namespace zkdump::zk

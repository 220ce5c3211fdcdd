#include "zkdump/base/escape.hpp"

#include <cstdint>

namespace zkdump {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// A UTF-8 sequence at p: its length (0 when invalid) and code point.
struct Utf8 {
  std::size_t length = 0;
  std::uint32_t code = 0;
};

Utf8 decode_utf8(const unsigned char* p, std::size_t left) {
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
    return {};
  }
  if (left < length) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xc0u) != 0x80u) return {};
    code = (code << 6) | (p[i] & 0x3fu);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xd800 && code <= 0xdfff;
  if (overlong || surrogate || code > 0x10ffff) return {};
  return {length, code};
}

// Code points that change how the rest of a line reads: C1 controls, the line and paragraph
// separators some viewers break lines at, and the bidirectional controls that reorder text
// (U+202E can make "=client" read as "tneilc=").
bool is_format_control(std::uint32_t code) {
  return (code >= 0x80 && code <= 0x9f) || code == 0x2028 || code == 0x2029 || code == 0x061c ||
         code == 0x200e || code == 0x200f || (code >= 0x202a && code <= 0x202e) ||
         (code >= 0x2066 && code <= 0x2069);
}

// Copies printable runs; hands each byte that is not (with the code point when the bytes were
// valid UTF-8 for a format control) to `escape`.
template <typename Escape>
void append_escaped(fmt::memory_buffer& out, std::string_view bytes, Escape escape) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    std::size_t run = i;
    while (run < size && p[run] >= 0x20 && p[run] < 0x7f && !escape.special(p[run])) ++run;
    out.append(bytes.data() + i, bytes.data() + run);
    i = run;
    if (i == size) break;
    if (p[i] >= 0x80) {
      const Utf8 utf8 = decode_utf8(p + i, size - i);
      if (utf8.length > 0 && !is_format_control(utf8.code)) {
        out.append(bytes.data() + i, bytes.data() + i + utf8.length);
        i += utf8.length;
        continue;
      }
      if (utf8.length > 0) {
        escape.control(out, bytes.substr(i, utf8.length), utf8.code);
        i += utf8.length;
        continue;
      }
    }
    escape.byte(out, p[i]);
    ++i;
  }
}

void append_hex_escape(fmt::memory_buffer& out, unsigned char c, std::string_view prefix) {
  out.append(prefix);
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xf]);
}

struct TextEscape {
  char quote;
  bool special(unsigned char c) const {
    return c == '\\' || (quote != 0 && c == static_cast<unsigned char>(quote));
  }
  void byte(fmt::memory_buffer& out, unsigned char c) const {
    if (special(c)) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      append_hex_escape(out, c, "\\x");
    }
  }
  static void control(fmt::memory_buffer& out, std::string_view sequence, std::uint32_t) {
    for (const char c : sequence) append_hex_escape(out, static_cast<unsigned char>(c), "\\x");
  }
};

struct JsonEscape {
  static bool special(unsigned char c) { return c == '\\' || c == '"'; }
  static void byte(fmt::memory_buffer& out, unsigned char c) {
    if (special(c)) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      append_hex_escape(out, c, "\\u00");
    } else {
      append_hex_escape(out, c, "\\\\x");  // not UTF-8: shown as \xNN, as in text mode
    }
  }
  static void control(fmt::memory_buffer& out, std::string_view, std::uint32_t code) {
    fmt::format_to(fmt::appender(out), "\\u{:04x}", code);
  }
};

// Whether a text value must be quoted: see append_text_value.
bool needs_quotes(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = p[i];
    if (c == ',' || c == '=' || c == '(' || c == ')' || c == '\'' || c == ' ' || c < 0x20 ||
        c == 0x7f) {
      return true;
    }
    if (c >= 0x80) {
      const Utf8 utf8 = decode_utf8(p + i, bytes.size() - i);
      if (utf8.length == 0 || is_format_control(utf8.code)) return true;
      i += utf8.length - 1;
    }
  }
  return false;
}

}  // namespace

void append_escaped_text(fmt::memory_buffer& out, std::string_view bytes, char quote) {
  append_escaped(out, bytes, TextEscape{quote});
}

void append_text_value(fmt::memory_buffer& out, std::string_view bytes) {
  if (!needs_quotes(bytes)) {
    append_escaped_text(out, bytes);  // only a backslash can still need it
    return;
  }
  out.push_back('\'');
  append_escaped_text(out, bytes, '\'');
  out.push_back('\'');
}

void append_escaped_json(fmt::memory_buffer& out, std::string_view bytes) {
  append_escaped(out, bytes, JsonEscape{});
}

}  // namespace zkdump

#include "zkdump/base/escape.hpp"

#include <cstdint>

namespace zkdump {
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

}  // namespace zkdump

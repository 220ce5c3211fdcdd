// Escaping wire bytes for a line: a value can never end a line, drive a terminal or pass for
// another field.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "zkdump/base/copy_bytes.hpp"

namespace zkdump {

// Room for `count` more bytes at the end of `out`, and where they go: one resize for a field's
// pieces, where fmt's append and push_back check capacity piece by piece.
inline char* extend(fmt::memory_buffer& out, std::size_t count) {
  const std::size_t at = out.size();
  out.resize(at + count);
  return out.data() + at;
}

inline void append_bytes(fmt::memory_buffer& out, std::string_view bytes) {
  copy_bytes(extend(out, bytes.size()), bytes);
}

inline void append_char(fmt::memory_buffer& out, char c) {
  *extend(out, 1) = c;
}

// Appends `bytes` escaped for a text line: printable ASCII and valid UTF-8 pass, everything else
// (control bytes, C1 controls, invalid sequences, line separators, bidirectional controls,
// backslash, `quote`) becomes an escape, \xNN per byte.
void append_escaped_text(fmt::memory_buffer& out, std::string_view bytes, char quote = 0);
// A value of a text line (a path, a name from the wire): as it is when plain, so that
// zktraffic-compatible lines stay byte-identical; quoted ('...') and escaped when it holds a
// delimiter of the line format (, = ( ) ' space), a control byte, bytes that are not UTF-8 or
// a bidirectional control, so that it cannot pass for another field.
void append_text_value(fmt::memory_buffer& out, std::string_view bytes);
// Appends `bytes` as the inside of a JSON string: format controls as \uXXXX, bytes that are not
// UTF-8 as \xNN.
void append_escaped_json(fmt::memory_buffer& out, std::string_view bytes);

}  // namespace zkdump

// Escaping wire bytes for a line: a value can never end a line, drive a terminal or pass for
// another field.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace zkdump {

// Appends `bytes` escaped for a text line: printable ASCII and valid UTF-8 pass, everything else
// (control bytes, C1 controls, invalid sequences, line separators, backslash, `quote`) becomes
// an escape.
void append_escaped_text(fmt::memory_buffer& out, std::string_view bytes, char quote = 0);
// Appends `bytes` as the inside of a JSON string; bytes that are not UTF-8 show as \xNN.
void append_escaped_json(fmt::memory_buffer& out, std::string_view bytes);

}  // namespace zkdump

// How a line is laid out: zktraffic's text (`Name(fields, client=..., server=...)`) or a JSON
// object. The line writer decides what a line says; a format decides how it reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/base/json_writer.hpp"
#include "zkdump/base/timestamp.hpp"
#include "zkdump/output/fields.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/zk/messages.hpp"

namespace zkdump::output {

// What a line starts with: its time, whether it answers (the reply arrow), its JSON kind and
// label (`"op":"getData"`, `"error":"Gap"`), and its text name.
struct LineStart {
  std::int64_t ts_us;
  bool arrow;
  std::string_view kind;
  const session::Connection* connection;  // null: a line about the capture itself
  std::string_view label_key;             // empty: a finding, whose fields say it all
  std::string_view label;
  zk::LineName name;
};

// Which endpoints a text line names: client, server, both; JSON always has both.
enum class Peers : std::uint8_t { kClient, kServer, kBoth, kNone };

class LineFormat {
 public:
  virtual ~LineFormat() = default;
  // A line is begin, the fields of one describe (between begin_fields and end_fields), then end
  // or end_quorum; `line` holds it until the next begin.
  virtual void begin(const LineStart& start) = 0;
  virtual FieldSink& begin_fields() = 0;
  virtual void end_fields() {}
  virtual void end(const session::Connection* connection, Peers peers, bool with_session) = 0;
  // A server-to-server line names who sent it and who got it (`tls`: through TLS).
  virtual void end_quorum(std::string_view from, std::string_view to, bool tls) = 0;
  std::string_view line() const { return {line_.data(), line_.size()}; }

 protected:
  fmt::memory_buffer line_;
};

struct TextLayout {
  FieldOptions fields;
  bool paired = true;           // a reply follows its request's line, which names the client
  bool relative_times = false;  // -ttt, -ttttt: a mark the writer fills in when the line prints
  TimestampStyle timestamps = TimestampStyle::kTime;
};

std::unique_ptr<LineFormat> make_text_format(const TextLayout& layout);
std::unique_ptr<LineFormat> make_json_format(const FieldOptions& options);

// The mark a relative time waits behind in a text line, and its size with the time it carries.
inline constexpr char kTimeMark = '\x01';
inline constexpr std::size_t kTimeMarkSize = 17;

}  // namespace zkdump::output

// Shared by the fuzz targets: the real stages and sinks, output thrown away.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/stats/collector.hpp"

namespace zkdump::fuzz {

// Text or JSON lines into /dev/null, one per style for a whole run: targets that make their
// sessions and sinks anew for each input write through it.
class NullOutput {
 public:
  explicit NullOutput(bool json) : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false) {
    options_.json = json;
    options_.verbose = true;
  }
  ~NullOutput() {
    out_.flush();
    close(null_fd_);
  }
  NullOutput(const NullOutput&) = delete;
  NullOutput& operator=(const NullOutput&) = delete;
  output::OutputBuffer& out() { return out_; }
  const output::LineOptions& options() const { return options_; }

 private:
  int null_fd_;
  output::OutputBuffer out_;
  output::LineOptions options_;
};

// Plays both directions of one connection as the input says, then closes it: after the control
// byte (data[0]), each record is a byte holding the direction (high bit) and a length (low 7
// bits), then that many bytes; with bit 2 of the control byte an empty record is a gap.
inline void play_records(tcp::StreamHandler& connection, const std::uint8_t* data,
                         std::size_t size) {
  const std::uint8_t control = data[0];
  std::size_t at = 1;
  std::int64_t ts = 0;
  while (at < size) {
    const std::uint8_t record = data[at++];
    const auto side =
        (record & 0x80) != 0 ? tcp::Side::kServerToClient : tcp::Side::kClientToServer;
    const std::size_t length = std::min<std::size_t>(record & 0x7f, size - at);
    ts += record & 0x0f;
    if (length == 0 && (control & 4) != 0) {
      connection.on_gap(side, record, ts);
    } else {
      connection.on_data(side, tcp::ByteSpan(data + at, length), ts);
    }
    at += length;
  }
  connection.on_close(tcp::CloseReason::kFin, ts);
}

// The client sessions feeding a line writer (text or JSON, into /dev/null) and, for JSON, the
// statistics too, so that every sink is fuzzed.
class Pipeline {
 public:
  explicit Pipeline(bool json)
      : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false), writer_(options(json), out_) {
    sinks_.add(writer_);
    if (json) sinks_.add(collector_);
    session::ClientOptions client;
    client.max_pending_per_connection = 64;  // small caps reach the eviction paths
    sessions_ = std::make_unique<session::ClientSessions>(client, sinks_, budget_);
  }
  ~Pipeline() {
    sessions_.reset();
    out_.flush();
    close(null_fd_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  session::ClientSessions& sessions() { return *sessions_; }

 private:
  static output::LineOptions options(bool json) {
    output::LineOptions lines;
    lines.json = json;
    lines.verbose = true;
    lines.include_pings = true;
    return lines;
  }

  int null_fd_;
  output::OutputBuffer out_;
  output::LineWriter writer_;
  stats::Collector collector_{stats::StatsOptions{2, 10, 64}};
  session::Sinks sinks_;
  framing::Budget budget_;
  std::unique_ptr<session::ClientSessions> sessions_;
};

}  // namespace zkdump::fuzz

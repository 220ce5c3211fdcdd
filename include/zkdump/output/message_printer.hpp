// Formats every kind of line zkdump prints, in text (zktraffic's layout) or JSON. Record fields
// come from the protocol module's decoders; this stage adds names, endpoints and timing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/net/packet.hpp"
#include "zkdump/output/timestamp.hpp"
#include "zkdump/zk/framer.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::output {

struct PrintOptions {
  bool json = false;
  bool verbose = false;
  bool show_credentials = false;
  bool discard = false;  // decode and validate every record, but format nothing (--stats)
  TimestampStyle timestamps = TimestampStyle::kTime;
};

// One connection's identity, formatted once when the connection opens.
struct Peer {
  std::string client;  // IP:PORT, [IPv6]:PORT
  std::string server;
  std::string session;  // 0x..., once a connect names it; formatted once, not per line
};

std::string format_endpoint(const net::Endpoint& endpoint);

struct ReplyHeader {
  std::int32_t xid = 0;
  std::int64_t zxid = 0;
  std::int32_t err = 0;
};

// Each call builds one line, newline included, valid until the next call. `decoded` tells whether
// the record decoded completely; when not, the line says so instead.
class MessagePrinter {
 public:
  explicit MessagePrinter(const PrintOptions& options)
      : options_(options), timestamps_(options.timestamps) {}
  TimestampStyle timestamp_style() const { return options_.timestamps; }

  std::string_view connect_request(const Peer& peer, const zk::Frame& frame,
                                   zk::ConnectFacts& facts, bool& decoded);
  std::string_view connect_response(const Peer& peer, const zk::Frame& frame,
                                    std::int64_t latency_us, zk::ConnectFacts& facts,
                                    bool& decoded);
  std::string_view request(const Peer& peer, const zk::OpInfo& op, std::int32_t xid,
                           const zk::Frame& frame, zk::RequestFacts& facts, bool& decoded);
  // `op` is the request's opcode row, or null when no request is known for the xid.
  std::string_view reply(const Peer& peer, const zk::OpInfo* op, const ReplyHeader& header,
                         const zk::Frame& frame, std::int64_t latency_us, bool& decoded);
  std::string_view event(const Peer& peer, const ReplyHeader& header, const zk::Frame& frame,
                         bool& decoded);
  std::string_view unknown_request(const Peer& peer, std::int32_t xid, std::int32_t opcode,
                                   const zk::Frame& frame);
  std::string_view stream_event(const Peer& peer, zk::Direction direction, zk::StreamEvent event,
                                std::uint64_t offset, std::int64_t count, std::int64_t ts_us);
  std::string_view four_letter_word(const Peer& peer, std::string_view word, std::int64_t ts_us);
  std::string_view four_letter_reply(const Peer& peer, std::string_view word, std::uint64_t bytes,
                                     std::int64_t ts_us);
  // Packets the kernel or the interface dropped since the last report: they were never seen.
  std::string_view capture_drops(std::string_view interface, std::uint64_t new_drops,
                                 std::uint64_t total, std::int64_t ts_us);
  // A packet the capture cut inside its headers: which connection it belonged to is unknown.
  std::string_view truncated_packet(std::uint32_t captured, std::uint32_t wire_length,
                                    std::int64_t ts_us);
  // A connection forgotten before it closed: to make room (capacity) or after silence (idle).
  std::string_view connection_evicted(const Peer& peer, std::string_view reason,
                                      std::int64_t ts_us);
  std::string_view unanswered(const Peer& peer, const zk::OpInfo* op, std::int32_t xid,
                              std::string_view path, std::int64_t request_ts_us,
                              std::string_view reason, std::int64_t ts_us);

  // A server-to-server message: `Name(fields..., from=IP:PORT, to=IP:PORT)`, JSON with "proto"
  // (election, zab). Write the fields through the returned writer, then call quorum_end.
  zk::FieldWriter quorum_begin(std::int64_t ts_us, std::string_view proto, std::string_view name);
  std::string_view quorum_end(std::string_view from, std::string_view to);

 private:
  void begin(std::int64_t ts_us, bool reply_arrow, std::string_view kind, std::string_view op);
  void text_name(std::string_view prefix, std::string_view name);
  void rename(std::string_view prefix, std::string_view name);
  void end(const Peer& peer, bool with_client, bool with_server);
  void end_without_peer();
  void verbose_reply_fields(const Peer& peer, const ReplyHeader& header, std::int64_t latency_us);
  std::string_view undecodable(const Peer& peer, const zk::Frame& frame, std::string_view what,
                               std::int32_t xid, std::string_view op, long failure_offset);
  zk::FieldWriter writer();
  std::string_view finish_line();

  PrintOptions options_;
  TimestampFormatter timestamps_;
  fmt::memory_buffer line_;
  fmt::memory_buffer extras_;     // text -v fields, which go after client=/server=
  std::size_t fields_start_ = 0;  // where the record's fields begin in line_
  std::size_t name_start_ = 0;    // where the text name is, for rename()
  std::size_t name_end_ = 0;
};

}  // namespace zkdump::output

// etcd v3 connections: HTTP/2 frames cut by the framing engine, header blocks through one HPACK
// context per direction, gRPC messages cut across DATA frames and paired by stream, every
// message and final status handed to the sinks as an EtcdMessage.
#pragma once

#include <cstdint>
#include <memory>

#include "zkdump/framing/stream.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

struct EtcdOptions {
  std::size_t max_message = 16u << 20;  // a gRPC message larger than this is skipped, reported
  std::size_t max_header_block = 256u << 10;
  std::size_t max_calls_per_connection = 4096;
};

struct EtcdCounters {
  std::uint64_t requests = 0;  // gRPC messages from clients
  std::uint64_t replies = 0;   // from servers
  std::uint64_t statuses = 0;
  std::uint64_t undecodable_headers = 0;
  std::uint64_t partial_header_blocks = 0;  // some fields named a table lost before the capture
  std::uint64_t guessed_methods = 0;        // calls whose method was read from their messages
  std::uint64_t oversized_messages = 0;
};

struct EtcdShared {
  EtcdOptions options;
  Sinks& sinks;
  framing::Budget& budget;
  EtcdCounters counters;
};

class EtcdSessions : public tcp::StreamHandlerFactory {
 public:
  EtcdSessions(const EtcdOptions& options, Sinks& sinks, framing::Budget& budget)
      : shared_{options, sinks, budget, {}} {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  const EtcdCounters& counters() const { return shared_.counters; }

 private:
  EtcdShared shared_;
};

}  // namespace zkdump::session

// Pairing and session state: per connection, remembers each request by xid so its reply can be
// decoded (replies carry no opcode), timed and printed next to it, and reports what never got one.
#pragma once

#include <cstdint>
#include <memory>

#include "zkdump/output/message_printer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/observer.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/zk/framer.hpp"

namespace zkdump::session {

struct TrackerOptions {
  bool paired = true;  // text only: hold each request until its reply, print them together
  bool include_pings = false;
  std::uint64_t max_lines = 0;  // -c: stop after this many lines, 0 for no limit
  zk::FramerLimits framer;
  std::size_t max_pending_per_connection = 16384;
};

struct TrackerCounters {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;
  std::uint64_t events = 0;
  std::uint64_t connects = 0;
  std::uint64_t unknown_replies = 0;
  std::uint64_t unanswered = 0;
  std::uint64_t undecodable_frames = 0;
  std::uint64_t stream_events[9] = {};  // indexed by zk::StreamEvent
  std::uint64_t lines = 0;              // counted only under -c
};

class Tracker : public tcp::StreamHandlerFactory {
 public:
  Tracker(const TrackerOptions& options, output::MessagePrinter& printer,
          output::OutputBuffer& out);
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  const TrackerCounters& counters() const { return counters_; }
  // Also tells `observer` (statistics) about every message; null for none.
  void set_observer(MessageObserver* observer) { observer_ = observer; }
  // True once -c lines were printed or the reader of our output went away.
  bool finished() const { return limit_reached_ || out_.closed(); }

 private:
  friend class Conversation;
  void print(std::string_view text);

  TrackerOptions options_;
  output::MessagePrinter& printer_;
  output::OutputBuffer& out_;
  zk::BufferBudget budget_;
  TrackerCounters counters_;
  MessageObserver* observer_ = nullptr;
  bool limit_reached_ = false;
};

}  // namespace zkdump::session

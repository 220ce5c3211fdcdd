// Server-to-server connections: leader election (3888) and atomic broadcast (ZAB, 2888). Cuts
// each direction's bytes into messages, prints them, pairs each COMMIT and ACK with its PROPOSAL,
// and keeps the election's story for the summary.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "zkdump/output/message_printer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/observer.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

enum class PortRole : std::uint8_t { kNone, kClient, kElection, kZab };

// Which protocol each server port speaks. In omni mode, the ports every election notification's
// config names are learned as they appear.
class PortMap {
 public:
  void set(std::uint16_t port, PortRole role) { roles_[port] = role; }
  PortRole role(std::uint16_t port) const { return roles_[port]; }
  bool learn_from_config = false;

 private:
  std::array<PortRole, 65536> roles_{};
};

struct QuorumCounters {
  std::uint64_t notifications = 0;
  std::uint64_t packets = 0;
  std::uint64_t proposals = 0;
  std::uint64_t commits = 0;
  std::uint64_t acks = 0;
  std::uint64_t uncommitted = 0;  // proposals a connection closed on without their COMMIT
  std::uint64_t undecodable = 0;
  std::uint64_t snapshot_bytes = 0;
};

class QuorumTracker : public tcp::StreamHandlerFactory {
 public:
  QuorumTracker(output::MessagePrinter& printer, output::OutputBuffer& out, PortMap& ports);
  ~QuorumTracker() override;
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  // Receives every proposal and each ACK and COMMIT paired with one (for --stats).
  void set_observer(QuorumObserver* observer) { observer_ = observer; }
  const QuorumCounters& counters() const { return counters_; }
  bool seen_any() const { return counters_.notifications + counters_.packets > 0; }
  // The election rounds (who voted for whom, when each server settled, the winner) and the ZAB
  // counters.
  void write_summary(fmt::memory_buffer& out, bool json) const;

 private:
  friend class QuorumConnection;
  friend class ElectionConnection;
  friend class ZabConnection;
  struct Vote {
    std::int64_t leader = 0;
    std::int32_t state = 0;
    std::uint32_t changes = 0;  // how often the server changed its vote this round
    std::int64_t first_ts_us = 0;
    std::int64_t settled_ts_us = -1;  // first notification that was no longer LOOKING
  };
  void print(std::string_view line);
  void note_vote(std::int64_t sid, std::int32_t state, std::int64_t leader, std::int64_t epoch,
                 std::int64_t ts_us);
  void learn_config(std::string_view config);
  std::int64_t sid_of_election_port(std::uint16_t port) const;

  output::MessagePrinter& printer_;
  output::OutputBuffer& out_;
  PortMap& ports_;
  QuorumObserver* observer_ = nullptr;
  QuorumCounters counters_;
  std::map<std::uint16_t, std::int64_t> sid_by_election_port_;
  std::map<std::int64_t, std::map<std::int64_t, Vote>> rounds_;  // election epoch > sid > vote
};

}  // namespace zkdump::session

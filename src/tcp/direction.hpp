// One direction's byte stream of a connection. Internal to the reassembly stage.
#pragma once

#include <cstdint>
#include <vector>

#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::tcp {

// What a direction needs from its connection and table to deliver bytes.
struct DeliveryContext {
  StreamHandler& handler;
  ReassemblyCounters& counters;
  std::size_t& total_buffered;
  const ReassemblyLimits& limits;
  std::int64_t clock_us = 0;   // never runs backwards, unlike capture timestamps
  std::uint64_t segments = 0;  // segments the connection carried so far
};

class DirectionReassembler {
 public:
  explicit DirectionReassembler(Direction side) : side_(side) {}

  void start_at_syn(std::uint32_t initial_sequence);
  // Delivers the segment at once when it is next in sequence and its ACK covers only peer bytes
  // already delivered; holds it otherwise.
  void segment(const net::TcpSegment& segment, DirectionReassembler& peer,
               DeliveryContext& context);
  // The peer acknowledged bytes up to `ack`. Those not seen yet are a suspected hole: the
  // capture may still hold them, later than the ACK.
  void peer_acknowledged(std::uint32_t ack, const DeliveryContext& context);
  // A reset beyond bytes not seen yet, or acknowledging peer bytes not delivered yet, takes
  // effect once they came or were given up; one without an ACK answering a peer segment not
  // seen yet, once that came or the reordering bound passed. False when it takes effect at once.
  bool defer_reset(const net::TcpSegment& segment, const DirectionReassembler& peer,
                   const DeliveryContext& context);
  // Delivers held segments now in sequence whose ACK the peer's stream has reached. True on
  // any progress.
  bool deliver_ready(DirectionReassembler& peer, DeliveryContext& context);
  // Declares holes that waited past their bounds gaps. True on any progress.
  bool expire_holes(DirectionReassembler& peer, DeliveryContext& context);
  // At the connection's end: one step of giving up, the first hole, else a segment still waiting
  // on the peer. False when nothing is left to give up.
  bool give_up_one(DeliveryContext& context);
  // At the connection's end: the lowest sequence seen is where a stream joined mid-way starts.
  void stop_settling_start() { settling_start_ = false; }
  // Forgets what it holds: the connection's bytes are no longer wanted.
  void discard(DeliveryContext& context);
  // Skips to the FIN, once everything before it was delivered or given up.
  void finish(DeliveryContext& context);

  bool synced() const { return synced_; }
  bool started_at_syn() const { return started_at_syn_; }
  std::uint32_t initial_sequence() const { return initial_sequence_; }
  std::uint32_t next_seq() const { return next_seq_; }
  bool finished() const { return fin_seen_ && synced_ && next_seq_ == fin_seq_; }
  // When this direction ended: its FIN's capture time, or its deferred reset's.
  std::int64_t end_ts_us() const { return end_ts_us_; }
  bool reset_reached() const { return reset_pending_ && next_in_sequence(reset_target()); }
  // The deferred reset's time came: this stream reached it, the peer's what it acknowledged, and
  // the segment it answers came.
  bool reset_due(const DirectionReassembler& peer, std::int64_t clock_us) const {
    return reset_reached() && !ahead_of(peer, reset_has_ack_, reset_ack_) &&
           !awaits_answered_segment(clock_us);
  }
  bool reset_pending() const { return reset_pending_; }
  bool waiting() const { return !held_.empty() || suspected_ || reset_pending_; }
  bool fin_seen() const { return fin_seen_; }

 private:
  struct HeldSegment {
    std::uint32_t seq;
    std::uint32_t missing;  // payload bytes the snaplen cut off
    std::uint32_t ack;
    bool has_ack;
    std::int64_t ts_us;
    std::vector<std::uint8_t> bytes;
  };

  // Sequence arithmetic modulo 2^32: the signed distance from b to a.
  static std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b);
  }
  // Where the peer's acknowledgements may reach: its next byte, plus one for a delivered FIN.
  std::uint32_t ack_horizon() const { return next_seq_ + (finished() ? 1u : 0u); }
  // True when `ack` acknowledges peer bytes the peer's stream has not delivered yet.
  static bool ahead_of(const DirectionReassembler& peer, bool has_ack, std::uint32_t ack);
  bool next_in_sequence(std::uint32_t seq) const { return seq_diff(seq, next_seq_) <= 0; }
  bool hole_before_held() const { return !held_.empty() && !next_in_sequence(held_.front().seq); }
  // Where the suspected hole ends, and where a deferred reset applies: never past a FIN seen
  // since, which takes a sequence number of its own.
  std::uint32_t before_fin(std::uint32_t seq) const {
    return fin_seen_ && seq_diff(seq, fin_seq_) > 0 ? fin_seq_ : seq;
  }
  std::uint32_t suspected_end() const { return before_fin(suspected_end_); }
  // An ACK-less reset (RFC 9293 3.10.7.1) answers a peer segment that acknowledged up to the
  // reset's sequence number. Past the peer's acknowledgements seen, that segment is still to come.
  bool answers_unseen_segment(std::uint32_t reset_seq) const {
    return peer_acked_ && seq_diff(reset_seq, highest_peer_ack_) > 0 &&
           seq_diff(reset_seq, ack_horizon()) <= 0;
  }
  bool awaits_answered_segment(std::int64_t clock_us) const {
    return awaits_answered_ && seq_diff(answered_ack_, highest_peer_ack_) > 0 &&
           clock_us < answered_deadline_us_;
  }
  std::uint32_t reset_target() const { return before_fin(reset_seq_); }

  // Holds a segment that cannot be delivered yet: out of order, or ahead of the peer.
  void hold(const net::TcpSegment& segment, std::uint32_t seq, DeliveryContext& context);
  // Stores a held segment in sequence order; an exact duplicate of one held is counted, not kept.
  void keep(const net::TcpSegment& segment, std::uint32_t seq, DeliveryContext& context);
  void deliver(std::uint32_t seq, ByteSpan bytes, std::uint32_t missing, std::int64_t ts_us,
               DeliveryContext& context);
  void deliver_front(DeliveryContext& context);
  void skip_to(std::uint32_t seq, std::int64_t ts_us, DeliveryContext& context);
  void reach_reset();
  bool give_up_suspected_hole(DirectionReassembler& peer, DeliveryContext& context);
  // Over a buffer cap: the oldest hole or causal wait is given up until the bytes fit.
  void enforce_caps(DirectionReassembler& peer, DeliveryContext& context);
  void note_progress(const DeliveryContext& context);
  // A stream joined mid-way starts at the lowest sequence seen within the reordering bound, not
  // at its first segment: the capture may record that segment ahead of earlier ones.
  void begin_midstream(std::uint32_t seq, const DeliveryContext& context);
  bool start_settled(const DeliveryContext& context) const;
  void hold_before_start(const net::TcpSegment& segment, std::uint32_t seq,
                         DeliveryContext& context);

  Direction side_;
  bool synced_ = false;
  bool started_at_syn_ = false;
  bool fin_seen_ = false;
  std::int64_t end_ts_us_ = INT64_MIN;
  std::uint32_t initial_sequence_ = 0;
  std::uint32_t next_seq_ = 0;
  std::uint32_t fin_seq_ = 0;
  // Joined mid-way and still settling where the stream starts: since when.
  bool settling_start_ = false;
  std::int64_t settling_since_us_ = 0;
  std::uint64_t settling_since_segment_ = 0;
  std::size_t held_bytes_ = 0;
  std::vector<HeldSegment> held_;  // sorted by sequence relative to next_seq_
  // A hole the peer acknowledged: since when, and up to where.
  bool suspected_ = false;
  std::uint32_t suspected_end_ = 0;
  std::int64_t suspected_since_us_ = 0;
  std::uint64_t suspected_since_segment_ = 0;
  // A hole nobody acknowledged, with bytes (or a reset) waiting beyond it: since when.
  std::int64_t unacked_hole_since_us_ = INT64_MIN;
  // The highest acknowledgement of this stream the peer sent, once it sent one.
  bool peer_acked_ = false;
  std::uint32_t highest_peer_ack_ = 0;
  bool reset_pending_ = false;
  // The pending reset answers a segment not seen yet: the acknowledgement it carries, and until
  // when (capture time) it is awaited.
  bool awaits_answered_ = false;
  std::uint32_t answered_ack_ = 0;
  std::int64_t answered_deadline_us_ = 0;
  bool reset_has_ack_ = false;
  std::uint32_t reset_seq_ = 0;
  std::uint32_t reset_ack_ = 0;
};

}  // namespace zkdump::tcp

#include <algorithm>

#include "direction.hpp"

namespace zkdump::tcp {
namespace {

// An ACK this far ahead of what was seen is junk, not a hole worth waiting on.
constexpr std::int32_t kMaxPlausibleAckJump = 1 << 30;
// A reset this far beyond the bytes seen is not one the stream will reach.
constexpr std::int32_t kMaxDeferredReset = 1 << 24;

}  // namespace

const char* close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::kFin:
      return "closed";
    case CloseReason::kReset:
      return "reset";
    case CloseReason::kIdle:
      return "idle";
    case CloseReason::kEvicted:
      return "evicted";
    case CloseReason::kReplaced:
      return "replaced";
    case CloseReason::kCaptureEnd:
      return "capture-end";
  }
  return "closed";
}

void DirectionReassembler::start_at_syn(std::uint32_t initial_sequence) {
  synced_ = true;
  started_at_syn_ = true;
  initial_sequence_ = initial_sequence;
  next_seq_ = initial_sequence + 1;
}

bool DirectionReassembler::ahead_of(const DirectionReassembler& peer, bool has_ack,
                                    std::uint32_t ack) {
  if (!has_ack || !peer.synced_) return false;
  const std::int32_t ahead = seq_diff(ack, peer.ack_horizon());
  return ahead > 0 && ahead <= kMaxPlausibleAckJump;
}

void DirectionReassembler::deliver(std::uint32_t seq, ByteSpan bytes, std::uint32_t missing,
                                   std::int64_t ts_us, DeliveryContext& context) {
  const std::uint32_t captured_end = seq + static_cast<std::uint32_t>(bytes.size());
  const std::uint32_t wire_end = captured_end + missing;
  if (seq_diff(wire_end, next_seq_) <= 0) {
    context.counters.duplicate_bytes += bytes.size();
    return;
  }
  const auto already_seen = static_cast<std::size_t>(std::max(0, seq_diff(next_seq_, seq)));
  if (already_seen < bytes.size()) {
    context.counters.duplicate_bytes += already_seen;
    next_seq_ = captured_end;
    context.handler.on_data(side_, bytes.subspan(already_seen), ts_us);
  } else {
    context.counters.duplicate_bytes += bytes.size();
  }
  if (seq_diff(wire_end, next_seq_) > 0) skip_to(wire_end, ts_us, context);
}

void DirectionReassembler::skip_to(std::uint32_t seq, std::int64_t ts_us,
                                   DeliveryContext& context) {
  const std::int32_t missing = seq_diff(seq, next_seq_);
  if (missing <= 0) return;
  ++context.counters.gaps;
  context.counters.gap_bytes += static_cast<std::uint64_t>(missing);
  next_seq_ = seq;
  context.handler.on_gap(side_, static_cast<std::uint64_t>(missing), ts_us);
}

// A reset's sequence number is where its sender's stack stood, not proof that bytes before it
// were sent: tcpkill-style resets guess ahead. Reaching it without them is no loss; bytes the peer
// acknowledged are proof, and those are a suspected hole, given up as a gap.
void DirectionReassembler::reach_reset() {
  if (seq_diff(reset_target(), next_seq_) > 0) next_seq_ = reset_target();
}

void DirectionReassembler::discard(DeliveryContext& context) {
  context.total_buffered -= held_bytes_;
  held_.clear();
  held_bytes_ = 0;
  suspected_ = false;
  reset_pending_ = false;
  awaits_answered_ = false;
  settling_start_ = false;
  unacked_hole_since_us_ = INT64_MIN;
}

void DirectionReassembler::note_progress(const DeliveryContext& context) {
  if (suspected_ && next_in_sequence(suspected_end())) suspected_ = false;
  if (hole_before_held() || (reset_pending_ && !reset_reached() && held_.empty())) {
    if (unacked_hole_since_us_ == INT64_MIN) unacked_hole_since_us_ = context.clock_us;
  } else {
    unacked_hole_since_us_ = INT64_MIN;
  }
}

void DirectionReassembler::deliver_front(DeliveryContext& context) {
  settling_start_ = false;  // a delivered byte fixes where the stream starts
  HeldSegment segment = std::move(held_.front());
  held_.erase(held_.begin());
  held_bytes_ -= segment.bytes.size();
  context.total_buffered -= segment.bytes.size();
  deliver(segment.seq, segment.bytes, segment.missing, segment.ts_us, context);
}

void DirectionReassembler::segment(const net::TcpSegment& segment, DirectionReassembler& peer,
                                   DeliveryContext& context) {
  const bool syn = (segment.flags & net::kTcpSyn) != 0;
  const std::uint32_t seq = segment.seq + (syn ? 1u : 0u);
  const auto length = static_cast<std::uint32_t>(segment.payload.size());
  if ((segment.flags & net::kTcpFin) != 0) {
    // Not a retransmission's; a reset recorded before it (capture order) still ends it later.
    if (!fin_seen_)
      end_ts_us_ = reset_pending_ ? std::max(end_ts_us_, segment.ts_us) : segment.ts_us;
    fin_seen_ = true;
    fin_seq_ = seq + length + segment.payload_missing;
  }
  if (length + segment.payload_missing == 0) return;
  if (!synced_) begin_midstream(seq, context);
  const bool has_ack = (segment.flags & net::kTcpAck) != 0;
  const bool nothing_before = held_.empty() || hole_before_held();
  if (settling_start_) {
    hold_before_start(segment, seq, context);
  } else if (next_in_sequence(seq) && nothing_before && !ahead_of(peer, has_ack, segment.ack)) {
    deliver(seq, segment.payload, segment.payload_missing, segment.ts_us, context);
  } else if (seq_diff(seq + length + segment.payload_missing, next_seq_) <= 0) {
    context.counters.duplicate_bytes += length;  // wholly old: a retransmission
  } else {
    hold(segment, seq, context);
  }
  deliver_ready(peer, context);
  enforce_caps(peer, context);
}

void DirectionReassembler::begin_midstream(std::uint32_t seq, const DeliveryContext& context) {
  synced_ = true;
  next_seq_ = seq;
  settling_start_ = true;
  settling_since_us_ = context.clock_us;
  settling_since_segment_ = context.segments;
}

bool DirectionReassembler::start_settled(const DeliveryContext& context) const {
  return context.clock_us - settling_since_us_ >= context.limits.acked_hole_wait_us ||
         context.segments - settling_since_segment_ >= context.limits.acked_hole_wait_segments;
}

void DirectionReassembler::hold_before_start(const net::TcpSegment& segment, std::uint32_t seq,
                                             DeliveryContext& context) {
  const std::int32_t earlier = seq_diff(next_seq_, seq);
  if (earlier > 0 &&
      static_cast<std::size_t>(earlier) <= context.limits.max_out_of_order_per_direction) {
    next_seq_ = seq;
    ++context.counters.reordered_segments;
  }
  keep(segment, seq, context);
}

void DirectionReassembler::hold(const net::TcpSegment& segment, std::uint32_t seq,
                                DeliveryContext& context) {
  if (next_in_sequence(seq)) {
    ++context.counters.reordered_segments;
  } else {
    ++context.counters.out_of_order_segments;
  }
  keep(segment, seq, context);
}

void DirectionReassembler::keep(const net::TcpSegment& segment, std::uint32_t seq,
                                DeliveryContext& context) {
  const auto length = static_cast<std::uint32_t>(segment.payload.size());
  auto position = held_.end();
  while (position != held_.begin() && seq_diff(std::prev(position)->seq, seq) > 0) --position;
  if (position != held_.begin() && std::prev(position)->seq == seq &&
      std::prev(position)->bytes.size() >= length) {
    context.counters.duplicate_bytes += length;
    return;
  }
  held_.insert(position, HeldSegment{seq, segment.payload_missing, segment.ack,
                                     (segment.flags & net::kTcpAck) != 0, segment.ts_us,
                                     std::vector<std::uint8_t>(segment.payload.begin(),
                                                               segment.payload.end())});
  held_bytes_ += length;
  context.total_buffered += length;
  note_progress(context);
}

void DirectionReassembler::enforce_caps(DirectionReassembler& peer, DeliveryContext& context) {
  while (!held_.empty() && (held_bytes_ > context.limits.max_out_of_order_per_direction ||
                            context.total_buffered > context.limits.max_out_of_order_total)) {
    ++context.counters.out_of_order_dropped;
    skip_to(held_.front().seq, held_.front().ts_us, context);
    deliver_front(context);  // even ahead of the peer: memory comes first
    deliver_ready(peer, context);
  }
  note_progress(context);
}

void DirectionReassembler::peer_acknowledged(std::uint32_t ack, const DeliveryContext& context) {
  if (!peer_acked_ || seq_diff(ack, highest_peer_ack_) > 0) highest_peer_ack_ = ack;
  peer_acked_ = true;
  if (!synced_) return;
  std::uint32_t limit = ack;
  if (fin_seen_ && seq_diff(limit, fin_seq_) > 0) limit = fin_seq_;  // the FIN takes one number
  const std::int32_t ahead = seq_diff(limit, next_seq_);
  if (ahead <= 0 || ahead > kMaxPlausibleAckJump) return;
  if (!suspected_) {
    suspected_ = true;
    suspected_end_ = limit;
    suspected_since_us_ = context.clock_us;
    suspected_since_segment_ = context.segments;
  } else if (seq_diff(limit, suspected_end_) > 0) {
    suspected_end_ = limit;
  }
}

bool DirectionReassembler::defer_reset(const net::TcpSegment& segment,
                                       const DirectionReassembler& peer,
                                       const DeliveryContext& context) {
  if (!synced_) return false;
  const std::uint32_t seq = before_fin(segment.seq);
  const std::int32_t ahead = seq_diff(seq, next_seq_);
  const bool has_ack = (segment.flags & net::kTcpAck) != 0;
  const bool answers_unseen = !has_ack && answers_unseen_segment(segment.seq);
  if (ahead > kMaxDeferredReset ||
      (ahead <= 0 && !ahead_of(peer, has_ack, segment.ack) && !answers_unseen)) {
    return false;
  }
  reset_pending_ = true;
  awaits_answered_ = answers_unseen;
  answered_ack_ = segment.seq;
  answered_deadline_us_ = context.clock_us + context.limits.acked_hole_wait_us;
  reset_seq_ = ahead > 0 ? segment.seq : next_seq_;
  end_ts_us_ = segment.ts_us;
  reset_has_ack_ = has_ack;
  reset_ack_ = segment.ack;
  note_progress(context);
  return true;
}

bool DirectionReassembler::deliver_ready(DirectionReassembler& peer, DeliveryContext& context) {
  if (settling_start_ && !start_settled(context)) return false;
  bool progress = false;
  while (!held_.empty() && next_in_sequence(held_.front().seq)) {
    const HeldSegment& front = held_.front();
    if (ahead_of(peer, front.has_ack, front.ack)) {
      peer.peer_acknowledged(front.ack, context);  // the peer's own timer bounds this wait
      break;
    }
    deliver_front(context);
    progress = true;
  }
  note_progress(context);
  return progress;
}

bool DirectionReassembler::give_up_suspected_hole(DirectionReassembler& peer,
                                                  DeliveryContext& context) {
  bool progress = false;
  while (suspected_ && !next_in_sequence(suspected_end())) {
    if (held_.empty() || seq_diff(held_.front().seq, suspected_end()) >= 0) {
      skip_to(suspected_end(), context.clock_us, context);
      progress = true;
      break;
    }
    if (!next_in_sequence(held_.front().seq)) {
      skip_to(held_.front().seq, context.clock_us, context);
      progress = true;
    }
    if (!deliver_ready(peer, context)) break;  // waits on the peer, whose own timer runs
    progress = true;
  }
  note_progress(context);
  return progress;
}

bool DirectionReassembler::expire_holes(DirectionReassembler& peer, DeliveryContext& context) {
  const ReassemblyLimits& limits = context.limits;
  bool progress = false;
  if (suspected_ &&
      (context.clock_us - suspected_since_us_ >= limits.acked_hole_wait_us ||
       context.segments - suspected_since_segment_ >= limits.acked_hole_wait_segments)) {
    progress = give_up_suspected_hole(peer, context);
  }
  if (unacked_hole_since_us_ != INT64_MIN &&
      context.clock_us - unacked_hole_since_us_ >= limits.unacked_hole_wait_us) {
    if (hole_before_held()) {
      skip_to(held_.front().seq, context.clock_us, context);
    } else if (reset_pending_ && held_.empty()) {
      reach_reset();
    }
    deliver_ready(peer, context);
    progress = true;
  }
  return progress;
}

bool DirectionReassembler::give_up_one(DeliveryContext& context) {
  if (hole_before_held()) {
    skip_to(held_.front().seq, context.clock_us, context);
  } else if (!held_.empty()) {
    deliver_front(context);  // it waits on peer bytes that will never come now
  } else if (suspected_ && !next_in_sequence(suspected_end())) {
    skip_to(suspected_end(), context.clock_us, context);
  } else if (reset_pending_ && !reset_reached()) {
    reach_reset();
  } else {
    return false;
  }
  note_progress(context);
  return true;
}

void DirectionReassembler::finish(DeliveryContext& context) {
  if (fin_seen_ && synced_) skip_to(fin_seq_, context.clock_us, context);
  suspected_ = false;
  reset_pending_ = false;
  awaits_answered_ = false;
}

}  // namespace zkdump::tcp

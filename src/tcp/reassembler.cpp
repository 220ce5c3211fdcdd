#include <algorithm>

#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::tcp {
namespace {

// Sequence arithmetic modulo 2^32: the signed distance from b to a.
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b);
}

constexpr std::int32_t kMaxPlausibleAckJump = 1 << 30;

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

void DirectionReassembler::deliver(std::uint32_t seq, ByteSpan bytes, std::uint32_t missing,
                                   std::int64_t ts_us, Side side, StreamHandler& handler,
                                   ReassemblyCounters& counters) {
  const std::uint32_t captured_end = seq + static_cast<std::uint32_t>(bytes.size());
  const std::uint32_t wire_end = captured_end + missing;
  if (seq_diff(wire_end, next_seq_) <= 0) {
    counters.duplicate_bytes += bytes.size();
    return;
  }
  const auto already_seen = static_cast<std::size_t>(std::max(0, seq_diff(next_seq_, seq)));
  if (already_seen < bytes.size()) {
    counters.duplicate_bytes += already_seen;
    const ByteSpan fresh = bytes.subspan(already_seen);
    next_seq_ = captured_end;
    handler.on_data(side, fresh, ts_us);
  } else {
    counters.duplicate_bytes += bytes.size();
  }
  if (seq_diff(wire_end, next_seq_) > 0) skip_to(wire_end, side, ts_us, handler, counters);
}

void DirectionReassembler::skip_to(std::uint32_t seq, Side side, std::int64_t ts_us,
                                   StreamHandler& handler, ReassemblyCounters& counters) {
  const std::int32_t missing = seq_diff(seq, next_seq_);
  if (missing <= 0) return;
  ++counters.gaps;
  counters.gap_bytes += static_cast<std::uint64_t>(missing);
  next_seq_ = seq;
  handler.on_gap(side, static_cast<std::uint64_t>(missing), ts_us);
}

void DirectionReassembler::deliver_held(Side side, StreamHandler& handler,
                                        ReassemblyCounters& counters, std::size_t& total_buffered) {
  while (!held_.empty() && seq_diff(held_.front().seq, next_seq_) <= 0) {
    HeldSegment segment = std::move(held_.front());
    held_.erase(held_.begin());
    held_bytes_ -= segment.bytes.size();
    total_buffered -= segment.bytes.size();
    deliver(segment.seq, segment.bytes, segment.missing, segment.ts_us, side, handler, counters);
  }
}

void DirectionReassembler::segment(const net::TcpSegment& segment, Side side,
                                   StreamHandler& handler, ReassemblyCounters& counters,
                                   std::size_t& total_buffered, const ReassemblyLimits& limits) {
  const bool syn = (segment.flags & net::kTcpSyn) != 0;
  const std::uint32_t seq = segment.seq + (syn ? 1u : 0u);
  const auto length = static_cast<std::uint32_t>(segment.payload.size());
  if ((segment.flags & net::kTcpFin) != 0) {
    fin_seen_ = true;
    fin_seq_ = seq + length + segment.payload_missing;
  }
  if (length + segment.payload_missing == 0) return;
  if (!synced_) {
    synced_ = true;
    next_seq_ = seq;
  }
  if (seq_diff(seq, next_seq_) <= 0) {
    deliver(seq, segment.payload, segment.payload_missing, segment.ts_us, side, handler, counters);
    deliver_held(side, handler, counters, total_buffered);
    return;
  }

  ++counters.out_of_order_segments;
  auto position = held_.end();
  while (position != held_.begin() && seq_diff(std::prev(position)->seq, seq) > 0) --position;
  if (position != held_.begin() && std::prev(position)->seq == seq &&
      std::prev(position)->bytes.size() >= length) {
    counters.duplicate_bytes += length;
    return;
  }
  held_.insert(position, HeldSegment{seq, segment.payload_missing, segment.ts_us,
                                     std::vector<std::uint8_t>(segment.payload.begin(),
                                                               segment.payload.end())});
  held_bytes_ += length;
  total_buffered += length;
  // Past the cap the hole is given up on: report it and move on to what is held.
  while (!held_.empty() && (held_bytes_ > limits.max_out_of_order_per_direction ||
                            total_buffered > limits.max_out_of_order_total)) {
    ++counters.out_of_order_dropped;
    skip_to(held_.front().seq, side, segment.ts_us, handler, counters);
    deliver_held(side, handler, counters, total_buffered);
  }
}

void DirectionReassembler::peer_acknowledged(std::uint32_t ack, Side side, std::int64_t ts_us,
                                             StreamHandler& handler, ReassemblyCounters& counters,
                                             std::size_t& total_buffered) {
  if (!synced_) return;
  std::uint32_t limit = ack;
  if (fin_seen_ && seq_diff(limit, fin_seq_) > 0)
    limit = fin_seq_;  // the FIN takes one sequence number
  const std::int32_t ahead = seq_diff(limit, next_seq_);
  if (ahead <= 0 || ahead > kMaxPlausibleAckJump) return;
  while (seq_diff(limit, next_seq_) > 0) {
    if (!held_.empty() && seq_diff(held_.front().seq, limit) < 0) {
      skip_to(held_.front().seq, side, ts_us, handler, counters);
      deliver_held(side, handler, counters, total_buffered);
    } else {
      skip_to(limit, side, ts_us, handler, counters);
    }
  }
}

void DirectionReassembler::drain(Side side, std::int64_t ts_us, StreamHandler& handler,
                                 ReassemblyCounters& counters, std::size_t& total_buffered) {
  while (!held_.empty()) {
    skip_to(held_.front().seq, side, ts_us, handler, counters);
    deliver_held(side, handler, counters, total_buffered);
  }
  if (fin_seen_ && synced_) skip_to(fin_seq_, side, ts_us, handler, counters);
}

}  // namespace zkdump::tcp

// What the stages before the sinks counted, read at one moment: the statistics' totals and the
// exporter's capture health are the same snapshot, so that a figure means the same in both.
#pragma once

#include <cstdint>

namespace zkdump::session {

struct CaptureCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;            // the captured packets' lengths on the wire
  std::uint64_t segments = 0;         // TCP segments on watched ports
  std::uint64_t bytes_to_server = 0;  // TCP payload, by direction
  std::uint64_t bytes_to_client = 0;
  std::uint64_t kernel_drops = 0;     // packets the kernel dropped: its buffer was full
  std::uint64_t interface_drops = 0;  // packets the interface or its driver dropped
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_expired = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t segments_dropped_at_cap = 0;  // out-of-order segments the buffer cap dropped
  std::uint64_t undecodable_frames = 0;
  std::uint64_t unknown_replies = 0;

  // What happened between two snapshots of a run's counters.
  CaptureCounters operator-(const CaptureCounters& earlier) const {
    return {packets - earlier.packets,
            bytes - earlier.bytes,
            segments - earlier.segments,
            bytes_to_server - earlier.bytes_to_server,
            bytes_to_client - earlier.bytes_to_client,
            kernel_drops - earlier.kernel_drops,
            interface_drops - earlier.interface_drops,
            gaps - earlier.gaps,
            gap_bytes - earlier.gap_bytes,
            connections_opened - earlier.connections_opened,
            connections_expired - earlier.connections_expired,
            connections_evicted - earlier.connections_evicted,
            segments_dropped_at_cap - earlier.segments_dropped_at_cap,
            undecodable_frames - earlier.undecodable_frames,
            unknown_replies - earlier.unknown_replies};
  }
};

}  // namespace zkdump::session

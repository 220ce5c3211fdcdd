// TCP reassembly and everything after it, fed arbitrary segment sequences: each record is
// flags, connection and direction, a sequence offset and a payload length, then the payload.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "zkdump/tcp/reassembly.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static zkdump::fuzz::Pipeline text(false), json(true);
  zkdump::fuzz::Pipeline& pipeline = size % 2 == 0 ? json : text;
  zkdump::tcp::ReassemblyLimits limits;
  limits.max_connections = 4;
  limits.max_out_of_order_per_direction = 4096;
  limits.max_out_of_order_total = 8192;
  limits.idle_timeout_us = 50;
  limits.acked_hole_wait_us = 20;
  limits.acked_hole_wait_segments = 8;
  limits.unacked_hole_wait_us = 40;
  zkdump::tcp::ConnectionTable table(pipeline.sessions(), limits);
  constexpr std::size_t kRecordHeader = 6;
  std::size_t at = 0;
  std::int64_t ts = 0;
  while (at + kRecordHeader <= size) {
    const std::uint8_t* record = data + at;
    zkdump::net::TcpSegment segment;
    segment.flags = record[0];
    const bool to_server = (record[1] & 1) != 0;
    const std::uint16_t client_port = static_cast<std::uint16_t>(40000 + ((record[1] >> 1) & 7));
    segment.source.port = to_server ? client_port : 2181;
    segment.destination.port = to_server ? 2181 : client_port;
    // Sequence numbers near the wrap, so that arithmetic modulo 2^32 is exercised.
    segment.seq = 0xffffff00u + (static_cast<std::uint32_t>(record[2]) << 8 | record[3]);
    segment.ack = 0xffffff00u + (static_cast<std::uint32_t>(record[3]) << 4 | record[2]);
    const std::size_t length = std::min<std::size_t>(record[4], size - at - kRecordHeader);
    segment.payload_missing = (record[5] & 0x80) != 0 ? record[5] & 0x7f : 0;
    segment.payload = zkdump::net::ByteSpan(record + kRecordHeader, length);
    ts += record[5] & 0x0f;
    segment.ts_us = ts;
    table.segment(segment, to_server ? zkdump::Direction::kToServer : zkdump::Direction::kToClient);
    table.advance(ts);
    at += kRecordHeader + length;
  }
  table.close_all(ts);
  return 0;
}

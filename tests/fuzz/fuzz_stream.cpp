// The frame decoder, pairing and printing for one direction of a connection: the input is that
// direction's reassembled byte stream, delivered in pieces whose sizes the input also chooses.
// Built twice: FUZZ_TO_SERVER=1 (client bytes) and FUZZ_TO_SERVER=0 (server bytes, after a
// handshake and requests whose replies the input may or may not be).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"

namespace {

void append_be32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// A ConnectRequest and a few pipelined getData requests (xids 1 to 4), as a client sends them.
std::vector<std::uint8_t> client_preamble() {
  std::vector<std::uint8_t> bytes;
  append_be32(bytes, 44);
  bytes.resize(bytes.size() + 24, 0);
  append_be32(bytes, 16);
  bytes.resize(bytes.size() + 16, 0);
  for (std::uint32_t xid = 1; xid <= 4; ++xid) {
    append_be32(bytes, 4 + 4 + 4 + 2 + 1);
    append_be32(bytes, xid);
    append_be32(bytes, 4);
    append_be32(bytes, 2);
    bytes.push_back('/');
    bytes.push_back('x');
    bytes.push_back(1);
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  // One pipeline per output style for the whole run: building one per input would dominate.
  static zkdump::fuzz::Pipeline text(false), json(true);
  zkdump::fuzz::Pipeline& pipeline = (control & 1) != 0 ? json : text;
  zkdump::net::Endpoint client, server;
  client.port = 40000;
  server.port = 2181;
  const bool from_start = (control & 2) != 0;
  auto connection = pipeline.sessions().open(client, server, from_start, 0);
  const auto fuzzed = FUZZ_TO_SERVER ? zkdump::Direction::kToServer : zkdump::Direction::kToClient;
  if (!FUZZ_TO_SERVER) {
    const std::vector<std::uint8_t> preamble = client_preamble();
    connection->on_data(zkdump::Direction::kToServer, preamble, 0);
  }
  // Piece sizes from the control byte's high bits: 1, 3, 17 or 1500 bytes; bit 2 adds a gap.
  static constexpr std::size_t kPieces[] = {1, 3, 17, 1500};
  const std::size_t piece = kPieces[(control >> 4) & 3];
  std::size_t at = 1;
  std::int64_t ts = 0;
  while (at < size) {
    const std::size_t length = std::min(piece, size - at);
    connection->on_data(fuzzed, zkdump::tcp::ByteSpan(data + at, length), ++ts);
    at += length;
    if ((control & 4) != 0 && at < size && data[at - 1] == 0x5a)
      connection->on_gap(fuzzed, data[at - 1], ts);
  }
  connection->on_close(zkdump::tcp::CloseReason::kFin, ts);
  return 0;
}

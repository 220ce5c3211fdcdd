#include "zkdump/tls/recognize.hpp"

#include "zkdump/tls/client_hello.hpp"
#include "zkdump/tls/handshake.hpp"

namespace zkdump::tls {
namespace {

// The handshake message type of the record at the front, or 0 before it arrived.
Recognition hello(ByteSpan bytes, int side) {
  if (bytes.size() < 2) return {};
  if (!starts_handshake_record(bytes)) return {Evidence::kRuledOut, false, {}};
  if (bytes.size() <= kRecordHeaderSize) return {};
  const std::uint8_t type = bytes[kRecordHeaderSize];
  if (type == kClientHelloMessage) return {Evidence::kWeak, side == 1, "tls_client_hello"};
  if (type == kServerHelloMessage) return {Evidence::kWeak, side == 0, "tls_server_hello"};
  return {Evidence::kRuledOut, false, {}};
}

}  // namespace

// A TLS client speaks first: the first side heard from that is not TLS rules it out.
Recognition recognize_handshake(const FirstBytes& first) {
  if (!first.from_start) return {Evidence::kRuledOut, false, {}};
  const Recognition client = hello(first.bytes[0], 0);
  const Recognition server = hello(first.bytes[1], 1);
  if (client.evidence == Evidence::kWeak || server.evidence == Evidence::kWeak) {
    return stronger(client, server);
  }
  if (client.evidence == Evidence::kRuledOut || server.evidence == Evidence::kRuledOut) {
    return {Evidence::kRuledOut, false, {}};
  }
  return {};
}

}  // namespace zkdump::tls

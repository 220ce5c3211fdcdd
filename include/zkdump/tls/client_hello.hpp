// A TLS connection's first record, the ClientHello: the version the client offers at most, the
// server name it asks for (SNI) and the application protocols it offers (ALPN). Nothing after
// it can be decoded without keys, so this is all zkdump shows of a TLS connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zkdump/base/bytes.hpp"

namespace zkdump {
class FieldSink;
}

namespace zkdump::tls {

inline constexpr std::size_t kRecordHeaderSize = 5;
inline constexpr std::size_t kMaxProtocols = 8;  // ALPN names kept; the rest are counted

struct ClientHello {
  bool is_client_hello = false;  // a handshake record holding a ClientHello
  bool complete = false;         // it ended inside this record, every length consistent
  std::uint16_t record_version = 0;
  std::uint16_t version = 0;  // the highest offered: supported_versions, else legacy_version
  WireBytes server_name;      // empty: none asked for
  std::array<WireBytes, kMaxProtocols> protocols{};
  std::size_t protocol_count = 0;  // offered, may exceed kMaxProtocols
};

// True when `front` starts like a TLS handshake record (content type 22, major version 3).
bool starts_handshake_record(ByteSpan front);
// Decodes the record at the start of `record` (header included); reads nothing past its end.
ClientHello decode_client_hello(ByteSpan record);
// "TLS1.3", "TLS1.2", ... "SSL3.0"; empty for anything else.
std::string_view version_name(std::uint16_t version);
void describe(const ClientHello& hello, FieldSink& fields);

}  // namespace zkdump::tls

// A TLS connection's first record, the ClientHello: the version the client offers at most, the
// server name it asks for (SNI), the application protocols it offers (ALPN), and its random,
// which names the connection in a key log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zkdump/base/bytes.hpp"
#include "zkdump/tls/key_log.hpp"

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
  ClientRandom random{};
  std::array<std::uint8_t, 32> session_id{};
  std::size_t session_id_size = 0;
};

// True when `front` starts like a TLS handshake record (content type 22, major version 3).
bool starts_handshake_record(ByteSpan front);
// Decodes the record at the start of `record` (header included); reads nothing past its end.
ClientHello decode_client_hello(ByteSpan record);
// The same from a handshake message (its 4-byte header included), however records cut it.
ClientHello decode_client_hello_message(ByteSpan message);
// "TLS1.3", "TLS1.2", ... "SSL3.0"; empty for anything else.
std::string_view version_name(std::uint16_t version);
void describe(const ClientHello& hello, FieldSink& fields);

}  // namespace zkdump::tls

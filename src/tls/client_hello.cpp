#include "zkdump/tls/client_hello.hpp"

#include <algorithm>

#include "cursor.hpp"
#include "zkdump/base/fields.hpp"
#include "zkdump/tls/handshake.hpp"

namespace zkdump::tls {
namespace {

constexpr std::uint8_t kHostName = 0;

WireBytes wire(ByteSpan bytes) {
  return {bytes.data(), bytes.size(), false};
}

// GREASE values (RFC 8701) are offered only to keep servers honest: never a real version.
bool is_grease(std::uint16_t version) {
  return (version & 0x0f0f) == 0x0a0a;
}

void read_server_name(Cursor data, ClientHello& hello) {
  Cursor names(data.take(data.number(2)));
  while (names.whole() && !names.empty()) {
    const auto type = static_cast<std::uint8_t>(names.number(1));
    const ByteSpan name = names.take(names.number(2));
    if (type == kHostName && names.whole() && hello.server_name.size == 0) {
      hello.server_name = wire(name);
    }
  }
}

void read_protocols(Cursor data, ClientHello& hello) {
  Cursor protocols(data.take(data.number(2)));
  while (protocols.whole() && !protocols.empty()) {
    const ByteSpan protocol = protocols.take(protocols.number(1));
    if (!protocols.whole()) break;
    if (hello.protocol_count < kMaxProtocols)
      hello.protocols[hello.protocol_count] = wire(protocol);
    ++hello.protocol_count;
  }
}

void read_supported_versions(Cursor data, ClientHello& hello) {
  Cursor versions(data.take(data.number(1)));
  std::uint16_t highest = 0;
  while (versions.size() >= 2) {
    const auto version = static_cast<std::uint16_t>(versions.number(2));
    if (!is_grease(version)) highest = std::max(highest, version);
  }
  if (highest != 0) hello.version = highest;
}

// Whether the extension list was there whole.
bool read_extensions(Cursor& message, ClientHello& hello) {
  Cursor extensions(message.take(message.number(2)));
  while (extensions.whole() && !extensions.empty()) {
    const auto type = static_cast<std::uint16_t>(extensions.number(2));
    const Cursor data(extensions.take(extensions.number(2)));
    switch (type) {
      case kServerNameExtension:
        read_server_name(data, hello);
        break;
      case kAlpnExtension:
        read_protocols(data, hello);
        break;
      case kSupportedVersionsExtension:
        read_supported_versions(data, hello);
        break;
      default:
        break;
    }
  }
  return extensions.whole();
}

}  // namespace

bool starts_handshake_record(ByteSpan front) {
  return front.size() >= 2 && front[0] == kHandshakeRecord && front[1] == 3;
}

ClientHello decode_client_hello(ByteSpan record) {
  Cursor header(record);
  if (header.number(1) != kHandshakeRecord) return {};
  const auto record_version = static_cast<std::uint16_t>(header.number(2));
  ClientHello hello = decode_client_hello_message(header.take(header.number(2)));
  hello.record_version = record_version;
  hello.complete = hello.complete && header.whole();
  return hello;
}

ClientHello decode_client_hello_message(ByteSpan message_bytes) {
  ClientHello hello;
  Cursor body(message_bytes);
  if (body.number(1) != kClientHelloMessage) return hello;
  hello.is_client_hello = true;
  Cursor message(body.take(body.number(3)));  // a ClientHello may outgrow its first record
  hello.version = static_cast<std::uint16_t>(message.number(2));
  const ByteSpan random = message.take(kRandomSize);
  std::copy(random.begin(), random.end(), hello.random.begin());
  const ByteSpan session_id = message.take(message.number(1));
  hello.session_id_size = std::min(session_id.size(), hello.session_id.size());
  std::copy_n(session_id.begin(), hello.session_id_size, hello.session_id.begin());
  message.take(message.number(2));  // cipher suites
  message.take(message.number(1));  // compression methods
  const bool extensions_whole =
      message.empty() || read_extensions(message, hello);  // TLS 1.0: none
  hello.complete = body.whole() && message.whole() && extensions_whole && message.empty();
  return hello;
}

std::string_view version_name(std::uint16_t version) {
  switch (version) {
    case 0x0300:
      return "SSL3.0";
    case 0x0301:
      return "TLS1.0";
    case 0x0302:
      return "TLS1.1";
    case 0x0303:
      return "TLS1.2";
    case 0x0304:
      return "TLS1.3";
    default:
      return {};
  }
}

void describe(const ClientHello& hello, FieldSink& fields) {
  const std::string_view name = version_name(hello.version);
  if (name.empty()) {
    fields.number({"version_code", "tls_version_code"}, hello.version);
  } else {
    fields.name({"version", "tls_version"}, name);
  }
  if (hello.server_name.size > 0) fields.bytes("sni", hello.server_name);
  if (hello.protocol_count > 0) {
    fields.begin_list("alpn");
    const std::size_t kept = std::min(hello.protocol_count, kMaxProtocols);
    for (std::size_t i = 0; i < kept; ++i) fields.list_string(hello.protocols[i]);
    fields.end_list();
  }
  if (!hello.complete) fields.boolean("complete", false);
}

}  // namespace zkdump::tls

#include "zkdump/tls/client_hello.hpp"

#include <algorithm>

#include "zkdump/base/fields.hpp"

namespace zkdump::tls {
namespace {

constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::size_t kRandomSize = 32;
constexpr std::uint16_t kServerNameExtension = 0;
constexpr std::uint16_t kAlpnExtension = 16;
constexpr std::uint16_t kSupportedVersionsExtension = 43;
constexpr std::uint8_t kHostName = 0;

// Reads forward through bytes it never leaves; a read past the end yields zeros (or what is
// left) and marks the cursor short, so decoding ends early and says so instead of failing.
class Cursor {
 public:
  explicit Cursor(ByteSpan bytes) : rest_(bytes) {}

  bool empty() const { return rest_.empty(); }
  bool whole() const { return whole_; }
  std::size_t size() const { return rest_.size(); }

  std::uint32_t number(std::size_t width) {
    if (rest_.size() < width) {
      whole_ = false;
      rest_ = {};
      return 0;
    }
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = value << 8 | rest_[i];
    rest_ = rest_.subspan(width);
    return value;
  }
  // The next `count` bytes, or what is left of them.
  ByteSpan take(std::size_t count) {
    if (rest_.size() < count) whole_ = false;
    const ByteSpan taken = rest_.first(std::min(count, rest_.size()));
    rest_ = rest_.subspan(taken.size());
    return taken;
  }

 private:
  ByteSpan rest_;
  bool whole_ = true;
};

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
  return front.size() >= 2 && front[0] == kHandshake && front[1] == 3;
}

ClientHello decode_client_hello(ByteSpan record) {
  ClientHello hello;
  Cursor header(record);
  if (header.number(1) != kHandshake) return hello;
  hello.record_version = static_cast<std::uint16_t>(header.number(2));
  Cursor body(header.take(header.number(2)));
  if (body.number(1) != kClientHelloType) return hello;
  hello.is_client_hello = true;
  Cursor message(body.take(body.number(3)));  // a ClientHello may outgrow its first record
  hello.version = static_cast<std::uint16_t>(message.number(2));
  message.take(kRandomSize);
  message.take(message.number(1));  // session id
  message.take(message.number(2));  // cipher suites
  message.take(message.number(1));  // compression methods
  const bool extensions_whole =
      message.empty() || read_extensions(message, hello);  // TLS 1.0: none
  hello.complete =
      header.whole() && body.whole() && message.whole() && extensions_whole && message.empty();
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

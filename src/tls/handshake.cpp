#include "zkdump/tls/handshake.hpp"

#include <algorithm>

#include "cursor.hpp"

namespace zkdump::tls {
namespace {

// SHA-256("HelloRetryRequest"): the random a HelloRetryRequest carries (RFC 8446 4.1.3).
constexpr ClientRandom kRetryRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

void read_alpn(Cursor data, ServerHello& hello) {
  Cursor protocols(data.take(data.number(2)));
  const ByteSpan name = protocols.take(protocols.number(1));
  if (!protocols.whole()) return;
  hello.alpn_size = std::min(name.size(), hello.alpn.size());
  std::copy_n(name.begin(), hello.alpn_size, hello.alpn.begin());
}

// Whether the extension list was whole.
bool read_extensions(Cursor& message, ServerHello& hello) {
  Cursor extensions(message.take(message.number(2)));
  while (extensions.whole() && !extensions.empty()) {
    const auto type = static_cast<std::uint16_t>(extensions.number(2));
    Cursor data(extensions.take(extensions.number(2)));
    if (type == kSupportedVersionsExtension) {
      hello.version = static_cast<std::uint16_t>(data.number(2));
    } else if (type == kPreSharedKeyExtension) {
      hello.pre_shared_key = true;
    } else if (type == kAlpnExtension) {
      read_alpn(data, hello);
    }
  }
  return extensions.whole();
}

}  // namespace

ServerHello decode_server_hello(ByteSpan message_bytes) {
  ServerHello hello;
  Cursor header(message_bytes);
  if (header.number(1) != kServerHelloMessage) return hello;
  Cursor message(header.take(header.number(3)));
  hello.version = static_cast<std::uint16_t>(message.number(2));
  const ByteSpan random = message.take(kRandomSize);
  std::copy(random.begin(), random.end(), hello.random.begin());
  hello.retry = hello.random == kRetryRandom;
  const ByteSpan session_id = message.take(message.number(1));
  hello.session_id_size = std::min(session_id.size(), hello.session_id.size());
  std::copy_n(session_id.begin(), hello.session_id_size, hello.session_id.begin());
  hello.cipher_suite = static_cast<std::uint16_t>(message.number(2));
  message.number(1);  // compression
  const bool extensions_whole = message.empty() || read_extensions(message, hello);
  hello.complete = header.whole() && message.whole() && extensions_whole;
  return hello;
}

void read_encrypted_extensions(ByteSpan message_bytes, ServerHello& hello) {
  Cursor header(message_bytes);
  if (header.number(1) != kEncryptedExtensions) return;
  Cursor message(header.take(header.number(3)));
  read_extensions(message, hello);
}

}  // namespace zkdump::tls

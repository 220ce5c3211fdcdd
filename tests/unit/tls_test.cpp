#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "zkdump/tls/client_hello.hpp"

namespace {

using zkdump::ByteSpan;
using zkdump::tls::ClientHello;
using zkdump::tls::decode_client_hello;

// Big-endian numbers and length-prefixed blocks, as TLS writes them.
struct Wire {
  std::vector<std::uint8_t> bytes;

  Wire& number(std::uint32_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      const auto byte = static_cast<std::uint8_t>(value >> shift);
      put(&byte, 1);
    }
    return *this;
  }
  Wire& text(std::string_view value) { return put(value.data(), value.size()); }
  Wire& block(const Wire& inner, int width) {
    number(static_cast<std::uint32_t>(inner.bytes.size()), width);
    return put(inner.bytes.data(), inner.bytes.size());
  }
  // One way in, out of line, as in bytes.hpp: g++ 12 at -O3 warns of overflows that cannot
  // happen when vector growth is inlined after small appends.
  [[gnu::noinline]] Wire& put(const void* data, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(data);
    bytes.insert(bytes.end(), first, first + size);
    return *this;
  }
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
};

Wire extension(std::uint16_t type, const Wire& data) {
  return Wire().number(type, 2).block(data, 2);
}

Wire server_name(std::string_view host) {
  return extension(0, Wire().block(Wire().number(0, 1).block(Wire().text(host), 2), 2));
}

Wire alpn(const std::vector<std::string>& protocols) {
  Wire list;
  for (const std::string& protocol : protocols) list.block(Wire().text(protocol), 1);
  return extension(16, Wire().block(list, 2));
}

Wire supported_versions(const std::vector<std::uint16_t>& versions) {
  Wire list;
  for (const std::uint16_t version : versions) list.number(version, 2);
  return extension(43, Wire().block(list, 1));
}

// A record holding one ClientHello with these extensions (none: a TLS 1.0 hello without any).
Wire record(const std::vector<Wire>& extensions, std::uint16_t legacy = 0x0303) {
  Wire hello;
  hello.number(legacy, 2).text(std::string(32, 'r'));
  hello.block(Wire().text("session-id"), 1);
  hello.block(Wire().number(0x1301, 2).number(0xc02f, 2), 2);
  hello.block(Wire().number(0, 1), 1);
  if (!extensions.empty()) {
    Wire all;
    for (const Wire& one : extensions)
      all.bytes.insert(all.bytes.end(), one.bytes.begin(), one.bytes.end());
    hello.block(all, 2);
  }
  const Wire handshake = Wire().number(1, 1).block(hello, 3);
  return Wire().number(22, 1).number(0x0301, 2).block(handshake, 2);
}

std::string_view text(const zkdump::WireBytes& bytes) {
  return bytes.view();
}

}  // namespace

TEST_CASE("a ClientHello gives its highest real version, server name and protocols") {
  const Wire hello =
      record({extension(0x0a0a, Wire()), server_name("zk1.example.test"), alpn({"h2", "http/1.1"}),
              supported_versions({0x1a1a, 0x0304, 0x0303})});
  CHECK(zkdump::tls::starts_handshake_record(hello.span()));
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.is_client_hello);
  CHECK(decoded.complete);
  CHECK(decoded.record_version == 0x0301);
  CHECK(decoded.version == 0x0304);  // not the GREASE 0x1a1a, not the legacy 0x0303
  CHECK(zkdump::tls::version_name(decoded.version) == "TLS1.3");
  CHECK(text(decoded.server_name) == "zk1.example.test");
  REQUIRE(decoded.protocol_count == 2);
  CHECK(text(decoded.protocols[0]) == "h2");
  CHECK(text(decoded.protocols[1]) == "http/1.1");
}

TEST_CASE("a ClientHello without extensions keeps its legacy version") {
  const Wire hello = record({}, 0x0301);
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.complete);
  CHECK(zkdump::tls::version_name(decoded.version) == "TLS1.0");
  CHECK(decoded.server_name.size == 0);
  CHECK(decoded.protocol_count == 0);
}

TEST_CASE("a ClientHello cut anywhere decodes what came before the cut and says it is cut") {
  const Wire hello = record({server_name("a.example"), alpn({"h2"}), supported_versions({0x0304})});
  for (std::size_t size = 0; size < hello.bytes.size(); ++size) {
    CAPTURE(size);
    const ClientHello decoded = decode_client_hello(ByteSpan(hello.bytes.data(), size));
    CHECK_FALSE(decoded.complete);
    // A server name is shown only whole.
    CHECK((decoded.server_name.size == 0 || text(decoded.server_name) == "a.example"));
  }
}

TEST_CASE("lengths that claim more than there is never read past the record") {
  Wire lying;
  lying.number(22, 1).number(0x0301, 2).number(0xffff, 2).number(1, 1).number(0xffffff, 3);
  lying.number(0x0303, 2);
  const ClientHello decoded = decode_client_hello(lying.span());
  CHECK(decoded.is_client_hello);
  CHECK_FALSE(decoded.complete);
  // A server name whose length runs past its list is not taken.
  const Wire bad_name =
      record({extension(0, Wire().block(Wire().number(0, 1).number(500, 2).text("x"), 2))});
  CHECK(decode_client_hello(bad_name.span()).server_name.size == 0);
}

TEST_CASE("more ALPN protocols than kept are counted, and other records are not hellos") {
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back(fmt::format("p{}", i));
  const Wire hello = record({alpn(many)});  // the decoded views point into it
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.complete);
  CHECK(decoded.protocol_count == 20);
  CHECK(text(decoded.protocols[zkdump::tls::kMaxProtocols - 1]) == "p7");
  Wire server_hello;
  server_hello.number(22, 1).number(0x0303, 2).block(Wire().number(2, 1).number(0, 3), 2);
  CHECK_FALSE(decode_client_hello(server_hello.span()).is_client_hello);
  CHECK_FALSE(zkdump::tls::starts_handshake_record(Wire().number(0x17, 1).number(3, 1).span()));
}

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/capture/embedded_secrets.hpp"

using zkdump::capture::EmbeddedSecrets;

namespace {

// A pcapng file's blocks, in either byte order.
class Pcapng {
 public:
  explicit Pcapng(bool big_endian) : big_endian_(big_endian) {
    block(0x0A0D0D0A, u32(0x1A2B3C4D) + u16(1) + u16(0) + std::string(8, '\xff'));
    block(1, u16(1) + u16(0) + u32(262144));  // an Ethernet interface
  }
  Pcapng& secrets(std::uint32_t type, std::string_view text) {
    std::string body = u32(type) + u32(static_cast<std::uint32_t>(text.size())) + std::string(text);
    return block(0x0000000A, body);
  }
  Pcapng& packet(std::size_t bytes) {
    return block(6, std::string(20, '\0') + std::string(bytes, 'p'));
  }
  Pcapng& block(std::uint32_t type, std::string body) {
    body.append((4 - body.size() % 4) % 4, '\0');
    const auto length = static_cast<std::uint32_t>(body.size() + 12);
    file_ += u32(type) + u32(length) + body + u32(length);
    return *this;
  }
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(file_.data()), file_.size()};
  }
  std::string& file() { return file_; }

 private:
  std::string u32(std::uint32_t v) const {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[big_endian_ ? 3 - i : i] = static_cast<char>(v >> (8 * i));
    return out;
  }
  std::string u16(std::uint16_t v) const {
    std::string out(2, '\0');
    for (int i = 0; i < 2; ++i) out[big_endian_ ? 1 - i : i] = static_cast<char>(v >> (8 * i));
    return out;
  }
  bool big_endian_;
  std::string file_;
};

constexpr std::uint32_t kTlsKeyLog = 0x544C534B;
constexpr std::string_view kLine = "CLIENT_RANDOM 00 11\n";

}  // namespace

TEST_CASE("a pcapng file's TLS key logs are found however the reads cut it") {
  for (const bool big_endian : {false, true}) {
    Pcapng file(big_endian);
    file.packet(60)
        .secrets(kTlsKeyLog, kLine)
        .packet(61)
        .secrets(kTlsKeyLog, "SERVER_TRAFFIC_SECRET_0 a b");
    for (const std::size_t cut : {std::size_t{1}, std::size_t{3}, std::size_t{4096}}) {
      EmbeddedSecrets secrets;
      for (std::size_t at = 0; at < file.bytes().size(); at += cut) {
        secrets.feed(file.bytes().subspan(at, std::min(cut, file.bytes().size() - at)));
      }
      CHECK(secrets.pending());
      // A block's last line is ended, so that the next block's first line stands alone.
      CHECK(secrets.take() == std::string(kLine) + "SERVER_TRAFFIC_SECRET_0 a b\n");
      CHECK_FALSE(secrets.pending());
      CHECK(secrets.blocks() == 2);
      CHECK(secrets.skipped() == 0);
    }
  }
}

TEST_CASE("secrets of other kinds and blocks that lie about their size are skipped, not read") {
  Pcapng file(false);
  file.secrets(0x57474B4C, "wireguard keys");  // WireGuard's, not TLS
  EmbeddedSecrets secrets;
  secrets.feed(file.bytes());
  CHECK_FALSE(secrets.pending());
  CHECK(secrets.skipped() == 1);

  // The secrets' length runs past the end of their block.
  Pcapng lying(false);
  lying.block(0x0000000A, std::string("KSLT") + std::string("\xff\xff\x00\x00", 4) + "short");
  EmbeddedSecrets from_lying;
  from_lying.feed(lying.bytes());
  CHECK_FALSE(from_lying.pending());
  CHECK(from_lying.skipped() == 1);
}

TEST_CASE("a classic pcap file or a broken block length stops the scan for good") {
  const std::uint8_t classic[] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4,    0,
                                  0x0A, 0,    0,    0,    0x0A, 0x0D, 0x0D, 0x0A};
  EmbeddedSecrets from_classic;
  from_classic.feed(classic);
  Pcapng tail(false);
  tail.secrets(kTlsKeyLog, kLine);
  from_classic.feed(tail.bytes());
  CHECK_FALSE(from_classic.pending());

  Pcapng broken(false);
  broken.file() += std::string("\x0A\0\0\0\x05\0\0\0", 8);  // a length not a multiple of 4
  broken.secrets(kTlsKeyLog, kLine);
  EmbeddedSecrets from_broken;
  from_broken.feed(broken.bytes());
  CHECK_FALSE(from_broken.pending());
}

#include <doctest/doctest.h>

#include <vector>

#include "zkdump/net/packet.hpp"

using namespace zkdump;

namespace {

std::vector<std::uint8_t> ipv4_tcp(std::size_t payload, std::uint16_t fragment = 0) {
  std::vector<std::uint8_t> p(20 + 20 + payload, 0);
  const std::size_t total = p.size();
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[6] = static_cast<std::uint8_t>(fragment >> 8);
  p[7] = static_cast<std::uint8_t>(fragment);
  p[9] = 6;
  p[12] = 10, p[15] = 1;       // 10.0.0.1
  p[16] = 10, p[19] = 2;       // 10.0.0.2
  p[20] = 0xc3, p[21] = 0x50;  // 50000
  p[22] = 0x08, p[23] = 0x85;  // 2181
  p[24 + 3] = 7;               // seq 7
  p[32] = 0x50;                // data offset 5
  p[33] = 0x18;                // PSH ACK
  for (std::size_t i = 0; i < payload; ++i) p[40 + i] = static_cast<std::uint8_t>('a' + i);
  return p;
}

std::vector<std::uint8_t> with_link(std::vector<std::uint8_t> header,
                                    const std::vector<std::uint8_t>& ip) {
  header.insert(header.end(), ip.begin(), ip.end());
  return header;
}

}  // namespace

TEST_CASE("every supported link type yields the same TCP segment") {
  const auto ip = ipv4_tcp(5);
  std::vector<std::uint8_t> ethernet(12, 0);
  ethernet.push_back(0x08), ethernet.push_back(0x00);
  std::vector<std::uint8_t> qinq(12, 0);
  for (int b : {0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00})
    qinq.push_back(static_cast<std::uint8_t>(b));
  std::vector<std::uint8_t> sll(14, 0);
  sll.push_back(0x08), sll.push_back(0x00);
  std::vector<std::uint8_t> sll2 = {0x08, 0x00};
  sll2.resize(20, 0);
  const std::vector<std::uint8_t> null_family = {2, 0, 0, 0};
  const std::pair<int, std::vector<std::uint8_t>> cases[] = {{1, with_link(ethernet, ip)},
                                                             {1, with_link(qinq, ip)},
                                                             {113, with_link(sll, ip)},
                                                             {276, with_link(sll2, ip)},
                                                             {0, with_link(null_family, ip)},
                                                             {108, with_link(null_family, ip)},
                                                             {12, ip},
                                                             {101, ip},
                                                             {228, ip}};
  for (const auto& [linktype, frame] : cases) {
    CAPTURE(linktype);
    net::TcpSegment segment;
    REQUIRE(net::parse_packet(linktype, frame, 5, segment) == net::ParseOutcome::kTcp);
    CHECK(segment.source.port == 50000);
    CHECK(segment.destination.port == 2181);
    CHECK(segment.seq == 7);
    CHECK(segment.payload.size() == 5);
    CHECK(segment.payload_missing == 0);
    CHECK(segment.ts_us == 5);
  }
}

TEST_CASE("ethernet padding is not payload, and a snaplen cut is counted as missing") {
  auto frame = with_link(std::vector<std::uint8_t>(14, 0), ipv4_tcp(2));
  frame[12] = 0x08;
  frame.resize(frame.size() + 10, 0);  // padding to the minimum frame size
  net::TcpSegment segment;
  REQUIRE(net::parse_packet(1, frame, 0, segment) == net::ParseOutcome::kTcp);
  CHECK(segment.payload.size() == 2);
  const auto ip = ipv4_tcp(100);
  const std::vector<std::uint8_t> cut(ip.begin(), ip.begin() + 60);
  REQUIRE(net::parse_packet(12, cut, 0, segment) == net::ParseOutcome::kTcp);
  CHECK(segment.payload.size() == 20);
  CHECK(segment.payload_missing == 80);
}

TEST_CASE("fragments, other protocols and truncated headers are classified, never decoded") {
  net::TcpSegment segment;
  CHECK(net::parse_packet(12, ipv4_tcp(4, 0x2000), 0, segment) == net::ParseOutcome::kFragment);
  CHECK(net::parse_packet(12, ipv4_tcp(4, 0x0010), 0, segment) == net::ParseOutcome::kFragment);
  auto udp = ipv4_tcp(4);
  udp[9] = 17;
  CHECK(net::parse_packet(12, udp, 0, segment) == net::ParseOutcome::kNotTcp);
  const auto ip = ipv4_tcp(4);
  CHECK(net::parse_packet(12, std::vector<std::uint8_t>(ip.begin(), ip.begin() + 30), 0, segment) ==
        net::ParseOutcome::kTruncated);
  const std::vector<std::uint8_t> arp = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 0};
  CHECK(net::parse_packet(1, arp, 0, segment) == net::ParseOutcome::kNotIp);
  CHECK(net::parse_packet(147, ip, 0, segment) == net::ParseOutcome::kUnsupportedLink);
}

TEST_CASE("IPv6 extension headers are skipped") {
  std::vector<std::uint8_t> p(40 + 8 + 20 + 3, 0);
  p[0] = 0x60;
  p[5] = static_cast<std::uint8_t>(8 + 20 + 3);
  p[6] = 0;              // hop-by-hop
  p[23] = 1, p[39] = 1;  // ::1 -> ::1
  p[40] = 6;             // next: TCP, length 0 (8 bytes)
  p[48] = 0x08, p[49] = 0x85;
  p[50] = 0xc3, p[51] = 0x50;
  p[60] = 0x50;
  net::TcpSegment segment;
  REQUIRE(net::parse_packet(229, p, 0, segment) == net::ParseOutcome::kTcp);
  CHECK(segment.source.address.family == 6);
  CHECK(segment.source.port == 2181);
  CHECK(segment.payload.size() == 3);
}

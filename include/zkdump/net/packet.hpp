// Link, IP and TCP parsing: turns one captured frame into a TCP segment view, or says why not.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace zkdump::net {

using ByteSpan = std::span<const std::uint8_t>;

struct Address {
  std::uint8_t bytes[16] = {};  // IPv4 uses the first 4
  std::uint8_t family = 4;      // 4 or 6
  // One 16-byte compare, where the defaulted operator compares byte by byte; it runs per packet.
  friend bool operator==(const Address& a, const Address& b) {
    return a.family == b.family && std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
  }
};

struct Endpoint {
  Address address;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpAck = 0x10;

struct TcpSegment {
  std::int64_t ts_us = 0;
  Endpoint source;
  Endpoint destination;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  ByteSpan payload;                   // the payload bytes the capture holds
  std::uint32_t payload_missing = 0;  // payload bytes on the wire that the snaplen cut off
};

enum class ParseOutcome : std::uint8_t {
  kTcp,
  kNotIp,            // ARP, LLDP and other link-layer traffic
  kNotTcp,           // UDP, ICMP and other IP protocols
  kFragment,         // IP fragments are counted, never reassembled or decoded
  kTruncated,        // the capture cut the packet inside its headers
  kMalformed,        // headers that contradict themselves
  kUnsupportedLink,  // a link type zkdump does not parse
};
inline constexpr std::size_t kParseOutcomeCount =
    static_cast<std::size_t>(ParseOutcome::kUnsupportedLink) + 1;

// `linktype` is the pcap DLT value. Every read is checked against `captured`.
ParseOutcome parse_packet(int linktype, ByteSpan captured, std::int64_t ts_us, TcpSegment& segment);

bool is_supported_linktype(int linktype);

}  // namespace zkdump::net

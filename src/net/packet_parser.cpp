#include <cstring>

#include "zkdump/net/packet.hpp"

namespace zkdump::net {
namespace {

// pcap DLT values (pcap/dlt.h); spelled out so this stage does not depend on libpcap.
constexpr int kDltNull = 0;
constexpr int kDltEthernet = 1;
constexpr int kDltRaw = 12;
constexpr int kDltRawOpenBsd = 14;
constexpr int kLinktypeRaw = 101;
constexpr int kDltLoop = 108;
constexpr int kDltLinuxSll = 113;
constexpr int kDltIpv4 = 228;
constexpr int kDltIpv6 = 229;
constexpr int kDltLinuxSll2 = 276;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQLegacy = 0x9100;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIpv6ExtensionHeaders = 8;
constexpr std::uint8_t kProtoTcp = 6;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

ParseOutcome parse_tcp(ByteSpan ip_payload, std::size_t wire_ip_payload, TcpSegment& segment) {
  if (ip_payload.size() < 20) return ParseOutcome::kTruncated;
  const std::uint8_t* tcp = ip_payload.data();
  const std::size_t header_length = static_cast<std::size_t>(tcp[12] >> 4) * 4;
  if (header_length < 20 || header_length > wire_ip_payload) return ParseOutcome::kMalformed;
  if (ip_payload.size() < header_length) return ParseOutcome::kTruncated;
  segment.source.port = be16(tcp);
  segment.destination.port = be16(tcp + 2);
  segment.seq = be32(tcp + 4);
  segment.ack = be32(tcp + 8);
  segment.flags = tcp[13];
  const std::size_t wire_payload = wire_ip_payload - header_length;
  const std::size_t captured_payload = ip_payload.size() - header_length;
  segment.payload = ip_payload.subspan(
      header_length, captured_payload < wire_payload ? captured_payload : wire_payload);
  segment.payload_missing = static_cast<std::uint32_t>(wire_payload - segment.payload.size());
  return ParseOutcome::kTcp;
}

ParseOutcome parse_ipv4(ByteSpan packet, TcpSegment& segment) {
  if (packet.size() < 20) return ParseOutcome::kTruncated;
  const std::uint8_t* ip = packet.data();
  const std::size_t header_length = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  const std::size_t total_length = be16(ip + 2);
  if (header_length < 20 || total_length < header_length) return ParseOutcome::kMalformed;
  if (packet.size() < header_length) return ParseOutcome::kTruncated;
  const std::uint16_t fragment = be16(ip + 6);
  if ((fragment & 0x3fff) != 0) return ParseOutcome::kFragment;  // more-fragments flag or an offset
  if (ip[9] != kProtoTcp) return ParseOutcome::kNotTcp;
  segment.source.address = Address{};
  segment.destination.address = Address{};
  std::memcpy(segment.source.address.bytes, ip + 12, 4);
  std::memcpy(segment.destination.address.bytes, ip + 16, 4);
  segment.source.address.family = 4;
  segment.destination.address.family = 4;
  // The IP length, not the capture length, bounds the payload: Ethernet pads short frames.
  const std::size_t captured_end = packet.size() < total_length ? packet.size() : total_length;
  return parse_tcp(packet.subspan(header_length, captured_end - header_length),
                   total_length - header_length, segment);
}

ParseOutcome parse_ipv6(ByteSpan packet, TcpSegment& segment) {
  if (packet.size() < 40) return ParseOutcome::kTruncated;
  const std::uint8_t* ip = packet.data();
  const std::size_t payload_length = be16(ip + 4);
  std::memcpy(segment.source.address.bytes, ip + 8, 16);
  std::memcpy(segment.destination.address.bytes, ip + 24, 16);
  segment.source.address.family = 6;
  segment.destination.address.family = 6;
  std::uint8_t next_header = ip[6];
  std::size_t offset = 40;
  const std::size_t wire_end = 40 + payload_length;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) {
    if (next_header == kProtoTcp) {
      if (offset > wire_end) return ParseOutcome::kMalformed;
      const std::size_t captured_end = packet.size() < wire_end ? packet.size() : wire_end;
      if (captured_end < offset) return ParseOutcome::kTruncated;
      return parse_tcp(packet.subspan(offset, captured_end - offset), wire_end - offset, segment);
    }
    if (packet.size() < offset + 8) return ParseOutcome::kTruncated;
    const std::uint8_t* extension = ip + offset;
    switch (next_header) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
        offset += (static_cast<std::size_t>(extension[1]) + 1) * 8;
        break;
      case 51:  // authentication header counts in 4-byte units
        offset += (static_cast<std::size_t>(extension[1]) + 2) * 4;
        break;
      case 44: {  // fragment: only an atomic fragment (offset 0, no more) holds a whole packet
        if ((be16(extension + 2) & 0xfff9) != 0) return ParseOutcome::kFragment;
        offset += 8;
        break;
      }
      default:
        return ParseOutcome::kNotTcp;
    }
    next_header = extension[0];
  }
  return ParseOutcome::kMalformed;
}

ParseOutcome parse_ip(ByteSpan packet, TcpSegment& segment) {
  if (packet.empty()) return ParseOutcome::kTruncated;
  switch (packet[0] >> 4) {
    case 4:
      return parse_ipv4(packet, segment);
    case 6:
      return parse_ipv6(packet, segment);
    default:
      return ParseOutcome::kNotIp;
  }
}

ParseOutcome parse_ethertype(std::uint16_t ethertype, ByteSpan packet, TcpSegment& segment) {
  switch (ethertype) {
    case kEtherIpv4:
      return parse_ipv4(packet, segment);
    case kEtherIpv6:
      return parse_ipv6(packet, segment);
    default:
      return ParseOutcome::kNotIp;
  }
}

ParseOutcome parse_ethernet(ByteSpan frame, TcpSegment& segment) {
  if (frame.size() < 14) return ParseOutcome::kTruncated;
  std::size_t offset = 12;
  std::uint16_t ethertype = be16(frame.data() + offset);
  offset += 2;
  for (int tags = 0;
       ethertype == kEtherVlan || ethertype == kEtherQinQ || ethertype == kEtherQinQLegacy;
       ++tags) {
    if (tags == kMaxVlanTags) return ParseOutcome::kMalformed;
    if (frame.size() < offset + 4) return ParseOutcome::kTruncated;
    ethertype = be16(frame.data() + offset + 2);
    offset += 4;
  }
  return parse_ethertype(ethertype, frame.subspan(offset), segment);
}

// BSD loopback: a 4-byte address family, host order for DLT_NULL, network order for DLT_LOOP.
ParseOutcome parse_loopback(ByteSpan frame, TcpSegment& segment) {
  if (frame.size() < 4) return ParseOutcome::kTruncated;
  return parse_ip(frame.subspan(4), segment);  // the IP version nibble settles the family
}

}  // namespace

bool is_supported_linktype(int linktype) {
  switch (linktype) {
    case kDltNull:
    case kDltEthernet:
    case kDltRaw:
    case kDltRawOpenBsd:
    case kLinktypeRaw:
    case kDltLoop:
    case kDltLinuxSll:
    case kDltIpv4:
    case kDltIpv6:
    case kDltLinuxSll2:
      return true;
    default:
      return false;
  }
}

ParseOutcome parse_packet(int linktype, ByteSpan captured, std::int64_t ts_us,
                          TcpSegment& segment) {
  segment.ts_us = ts_us;
  switch (linktype) {
    case kDltEthernet:
      return parse_ethernet(captured, segment);
    case kDltLinuxSll:
      if (captured.size() < 16) return ParseOutcome::kTruncated;
      return parse_ethertype(be16(captured.data() + 14), captured.subspan(16), segment);
    case kDltLinuxSll2:
      if (captured.size() < 20) return ParseOutcome::kTruncated;
      return parse_ethertype(be16(captured.data()), captured.subspan(20), segment);
    case kDltNull:
    case kDltLoop:
      return parse_loopback(captured, segment);
    case kDltRaw:
    case kDltRawOpenBsd:
    case kLinktypeRaw:
    case kDltIpv4:
    case kDltIpv6:
      return parse_ip(captured, segment);
    default:
      return ParseOutcome::kUnsupportedLink;
  }
}

}  // namespace zkdump::net

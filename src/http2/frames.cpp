#include "zkdump/http2/frames.hpp"

#include <algorithm>
#include <array>

#include "zkdump/tls/client_hello.hpp"

namespace zkdump::http2 {
namespace {

using framing::Problem;
using framing::Verdict;

constexpr std::array<std::string_view, kLastFrameType + 1> kFrameTypeNames = {
    "DATA",         "HEADERS", "PRIORITY", "RST_STREAM",    "SETTINGS",
    "PUSH_PROMISE", "PING",    "GOAWAY",   "WINDOW_UPDATE", "CONTINUATION"};

constexpr std::array<std::string_view, 9> kHttp1Methods = {
    "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "};

std::uint8_t tag(FrameTag frame_tag) {
  return static_cast<std::uint8_t>(frame_tag);
}

std::string_view text_of(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Whether a frame of this type may sit on this stream: connection frames on stream 0, stream
// frames elsewhere (RFC 9113, section 6).
bool stream_fits(const FrameHeader& header) {
  switch (static_cast<FrameType>(header.type)) {
    case FrameType::kSettings:
    case FrameType::kPing:
    case FrameType::kGoaway:
      return header.stream == 0;
    case FrameType::kWindowUpdate:
      return true;
    default:
      return header.stream != 0;
  }
}

// Frames whose payload has a fixed size (RFC 9113, section 6).
bool length_fits(const FrameHeader& header) {
  switch (static_cast<FrameType>(header.type)) {
    case FrameType::kSettings:
      return header.length % 6 == 0;
    case FrameType::kPing:
      return header.length == 8;
    case FrameType::kWindowUpdate:
    case FrameType::kRstStream:
      return header.length == 4;
    case FrameType::kPriority:
      return header.length == 5;
    case FrameType::kGoaway:
      return header.length >= 8;
    default:
      return true;
  }
}

bool plausible(const FrameHeader& header, ByteSpan front, std::uint32_t max_frame_size) {
  const bool reserved_clear = (front[5] & 0x80) == 0;
  return header.type <= kLastFrameType && header.length <= max_frame_size && reserved_clear &&
         stream_fits(header) && length_fits(header);
}

}  // namespace

bool plausible_frame_header(ByteSpan front, std::uint32_t max_frame_size) {
  return front.size() >= kFrameHeaderSize &&
         plausible(parse_frame_header(front), front, max_frame_size);
}

FrameHeader parse_frame_header(ByteSpan bytes) {
  FrameHeader header;
  header.length = std::uint32_t{bytes[0]} << 16 | std::uint32_t{bytes[1]} << 8 | bytes[2];
  header.type = bytes[3];
  header.flags = bytes[4];
  header.stream = static_cast<std::uint32_t>(load_be32(bytes.data() + 5)) & 0x7fffffffu;
  return header;
}

ByteSpan frame_content(const FrameHeader& header, ByteSpan payload, bool& ok) {
  ok = true;
  const bool padded_type = header.type == static_cast<std::uint8_t>(FrameType::kData) ||
                           header.type == static_cast<std::uint8_t>(FrameType::kHeaders);
  std::size_t padding = 0;
  if (padded_type && (header.flags & kPadded) != 0) {
    if (payload.empty()) return ok = false, ByteSpan();
    padding = payload[0];
    payload = payload.subspan(1);
  }
  if (header.type == static_cast<std::uint8_t>(FrameType::kHeaders) &&
      (header.flags & kPriorityFlag) != 0) {
    if (payload.size() < 5) return ok = false, ByteSpan();
    payload = payload.subspan(5);  // stream dependency and weight
  }
  if (padding > payload.size()) return ok = false, ByteSpan();
  return payload.first(payload.size() - padding);
}

bool starts_http1_request(ByteSpan bytes) {
  const std::string_view text = text_of(bytes);
  for (const std::string_view method : kHttp1Methods) {
    if (text.starts_with(method)) return true;
  }
  return false;
}

bool starts_http1_response(ByteSpan bytes) {
  return text_of(bytes).starts_with("HTTP/1.");
}

std::string_view first_line(ByteSpan bytes, std::size_t limit) {
  const std::string_view text = text_of(bytes.first(std::min(bytes.size(), limit)));
  return text.substr(0, text.find("\r\n"));
}

std::string_view frame_type_name(std::uint8_t type) {
  return type <= kLastFrameType ? kFrameTypeNames[type] : std::string_view();
}

Verdict Frames::judge(ByteSpan front, bool searching, bool closing) {
  if (opening_ == Opening::kHttp1 || opening_ == Opening::kTls) {
    return Verdict::message(front.size(),
                            tag(opening_ == Opening::kTls ? FrameTag::kTls : FrameTag::kHttp1));
  }
  if (expect_opening_ && !searching) return judge_opening(front);
  const Verdict verdict = judge_frame(front, searching && !closing);
  if (verdict.kind == Verdict::kMessage) expect_opening_ = false;
  return verdict;
}

// A client opens with the preface (or HTTP/1.x, or TLS); a server's first frame is SETTINGS.
Verdict Frames::judge_opening(ByteSpan front) {
  if (direction_ == Direction::kToClient) {
    expect_opening_ = false;
    return judge_frame(front, false);
  }
  if (front.size() < kPreface.size()) return Verdict::need(kPreface.size());
  if (text_of(front.first(kPreface.size())) == kPreface) {
    expect_opening_ = false;
    opening_ = Opening::kHttp2;
    return Verdict::message(kPreface.size(), tag(FrameTag::kClientPreface));
  }
  expect_opening_ = false;
  if (tls::starts_handshake_record(front)) {
    opening_ = Opening::kTls;
    return Verdict::message(front.size(), tag(FrameTag::kTls));
  }
  if (starts_http1_request(front)) {
    opening_ = Opening::kHttp1;
    return Verdict::message(front.size(), tag(FrameTag::kHttp1));
  }
  return Verdict::refuse(Problem::kUnexpectedStart, load_be32(front.data()));
}

// In step, any type goes (unknown ones are to be ignored) and only the length is checked; while
// searching, a frame counts only if it looks like one and so does the next.
Verdict Frames::judge_frame(ByteSpan front, bool searching) const {
  if (front.size() < kFrameHeaderSize) return Verdict::need(kFrameHeaderSize);
  const FrameHeader header = parse_frame_header(front);
  const std::size_t size = kFrameHeaderSize + header.length;
  if (!searching) {
    if (header.length > max_frame_size_) {
      return Verdict::refuse(Problem::kOversized, static_cast<std::int32_t>(header.length));
    }
    return front.size() < size ? Verdict::need(size, size)
                               : Verdict::message(size, tag(FrameTag::kFrame));
  }
  if (!plausible(header, front, max_frame_size_)) return Verdict::implausible();
  if (front.size() < size + kFrameHeaderSize) return Verdict::need(size + kFrameHeaderSize);
  const ByteSpan next = front.subspan(size);
  if (!plausible(parse_frame_header(next), next, max_frame_size_)) return Verdict::implausible();
  return Verdict::message(size, tag(FrameTag::kFrame));
}

}  // namespace zkdump::http2

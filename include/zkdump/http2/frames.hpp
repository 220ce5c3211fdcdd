// HTTP/2 (RFC 9113) as the framing engine sees it: the client's 24-byte preface, then frames of
// a 9-byte header and a payload. Only lengths and plausibility here; what frames mean is the
// conversation's business.
#pragma once

#include <cstdint>
#include <string_view>

#include "zkdump/base/bytes.hpp"
#include "zkdump/base/direction.hpp"
#include "zkdump/framing/stream.hpp"

namespace zkdump::http2 {

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr std::size_t kFrameHeaderSize = 9;
inline constexpr std::uint32_t kDefaultMaxFrameSize = 16384;
inline constexpr std::uint32_t kLargestMaxFrameSize = (1u << 24) - 1;

enum class FrameType : std::uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
inline constexpr std::uint8_t kLastFrameType = 9;

inline constexpr std::uint8_t kEndStream = 0x1;
inline constexpr std::uint8_t kAck = 0x1;
inline constexpr std::uint8_t kEndHeaders = 0x4;
inline constexpr std::uint8_t kPadded = 0x8;
inline constexpr std::uint8_t kPriorityFlag = 0x20;

inline constexpr std::uint16_t kSettingsHeaderTableSize = 0x1;
inline constexpr std::uint16_t kSettingsMaxFrameSize = 0x5;

struct FrameHeader {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
};

// The header at the front of `bytes`, which holds at least kFrameHeaderSize bytes.
FrameHeader parse_frame_header(ByteSpan bytes);
// Whether a frame header at the front of `front` fits RFC 9113: a known type on a stream it may
// use, a length its type allows, the reserved bit clear.
bool plausible_frame_header(ByteSpan front, std::uint32_t max_frame_size);
// The payload of a frame whose header says `header`: padding and priority fields removed.
// Empty (with `ok` false) when they claim more than the payload has.
ByteSpan frame_content(const FrameHeader& header, ByteSpan payload, bool& ok);
std::string_view frame_type_name(std::uint8_t type);
// Whether bytes start an HTTP/1.x request ("POST /v3/kv/range HTTP/1.1") or response.
bool starts_http1_request(ByteSpan bytes);
bool starts_http1_response(ByteSpan bytes);
// The first line of an HTTP/1.x message, without its CRLF, at most `limit` bytes.
std::string_view first_line(ByteSpan bytes, std::size_t limit);

enum class FrameTag : std::uint8_t { kClientPreface, kFrame, kHttp1, kTls };

// What the first bytes of a connection say it speaks.
enum class Opening : std::uint8_t { kUnknown, kHttp2, kHttp1, kTls };

// Cuts one direction into the preface and frames. `max_frame_size` follows the SETTINGS the
// receiving side announced. A connection whose client opens with an HTTP/1.x request line or
// TLS is handed over whole, both directions (kHttp1, kTls), as it comes: the two directions
// share what the opening said.
class Frames final : public framing::Protocol {
 public:
  // Seen from its start, a connection's frames are held to the protocol's initial 16 KiB until
  // a SETTINGS raises it; joined mid-way, the SETTINGS are unknown, so to the largest allowed.
  Frames(Direction direction, bool from_start, Opening& opening)
      : direction_(direction),
        expect_opening_(from_start),
        opening_(opening),
        max_frame_size_(from_start ? kDefaultMaxFrameSize : kLargestMaxFrameSize) {}
  framing::Verdict judge(ByteSpan front, bool searching, bool closing) override;
  void set_max_frame_size(std::uint32_t size) { max_frame_size_ = size; }

 private:
  framing::Verdict judge_opening(ByteSpan front);
  framing::Verdict judge_frame(ByteSpan front, bool searching) const;

  Direction direction_;
  bool expect_opening_;
  Opening& opening_;
  std::uint32_t max_frame_size_;
};

}  // namespace zkdump::http2

#include "zkdump/http2/recognize.hpp"

#include <algorithm>

#include "zkdump/http2/frames.hpp"

namespace zkdump::http2 {
namespace {

constexpr int kConvincingFrames = 3;
// Stream paths and the content type are sent literally until the peer's table indexes them:
// a mid-stream HEADERS frame, or a new call, still carries them.
constexpr std::string_view kGrpcMarkers[] = {"application/grpc", "/etcdserverpb.", "/v3electionpb.",
                                             "/v3lockpb.",       "grpc-status",    "grpc-timeout"};

std::string_view text_of(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool names_grpc(ByteSpan header_block) {
  const std::string_view text = text_of(header_block);
  return std::any_of(std::begin(kGrpcMarkers), std::end(kGrpcMarkers),
                     [text](std::string_view marker) { return text.find(marker) != text.npos; });
}

// A DATA frame holding whole gRPC messages: a compression flag and a length that fit it.
bool carries_grpc_message(const FrameHeader& header, ByteSpan payload) {
  constexpr std::size_t kPrefix = 5;
  if (header.type != static_cast<std::uint8_t>(FrameType::kData) || (header.flags & kPadded) != 0 ||
      payload.size() < kPrefix || payload[0] > 1) {
    return false;
  }
  return static_cast<std::uint32_t>(load_be32(payload.data() + 1)) + kPrefix == payload.size();
}

struct FrameRun {
  int frames = 0;
  bool broken = false;
  bool grpc = false;
};

FrameRun frame_run(ByteSpan bytes) {
  FrameRun run;
  std::size_t position = 0;
  constexpr std::size_t kTypeOffset = 3;
  while (run.frames < kConvincingFrames && bytes.size() - position > kTypeOffset) {
    if (bytes.size() - position < kFrameHeaderSize) {  // the type tells already
      run.broken = bytes[position + kTypeOffset] > kLastFrameType;
      break;
    }
    const ByteSpan front = bytes.subspan(position);
    if (!plausible_frame_header(front, kLargestMaxFrameSize)) {
      run.broken = true;
      break;
    }
    const FrameHeader header = parse_frame_header(front);
    const std::size_t size = kFrameHeaderSize + header.length;
    const ByteSpan payload = front.subspan(
        kFrameHeaderSize, std::min<std::size_t>(header.length, front.size() - kFrameHeaderSize));
    const bool headers = header.type == static_cast<std::uint8_t>(FrameType::kHeaders) ||
                         header.type == static_cast<std::uint8_t>(FrameType::kContinuation);
    run.grpc = run.grpc || (headers && names_grpc(payload)) ||
               (payload.size() == header.length && carries_grpc_message(header, payload));
    if (front.size() < size) break;
    ++run.frames;
    position += size;
  }
  return run;
}

Evidence run_evidence(const FrameRun& run) {
  if (run.broken && run.frames == 0) return Evidence::kRuledOut;
  if (run.grpc && run.frames > 0) return Evidence::kStrong;
  if (run.frames >= 2) return Evidence::kWeak;
  return run.broken ? Evidence::kRuledOut : Evidence::kTooFewBytes;
}

// The client's preface, or an HTTP/1.x request to etcd's gateway.
Recognition opening(ByteSpan bytes, bool reversed) {
  const std::size_t compared = std::min(bytes.size(), kPreface.size());
  if (text_of(bytes.first(compared)) == kPreface.substr(0, compared)) {
    if (compared < kPreface.size()) return {};
    return {Evidence::kStrong, reversed, "http2_preface"};
  }
  if (!starts_http1_request(bytes)) return {Evidence::kRuledOut, false, {}};
  const std::string_view line = first_line(bytes, 256);
  if (line.find(" /v3/") != line.npos || line.find(" /v3beta/") != line.npos ||
      line.find(" /v3alpha/") != line.npos) {
    return {Evidence::kStrong, reversed, "gateway_request"};
  }
  // /health, /version, /metrics: etcd's only where its port says so
  return {Evidence::kWeak, reversed, "http1_request", true};
}

}  // namespace

Recognition recognize_grpc(const FirstBytes& first) {
  Recognition best{Evidence::kRuledOut, false, {}};
  for (int side = 0; side < 2; ++side) {
    const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
    if (first.from_start && !bytes.empty()) best = stronger(best, opening(bytes, side == 1));
    FrameRun run;
    run.broken = !first.starts_of(side).empty();
    for (const std::uint32_t start : first.starts_of(side)) {
      if (start >= bytes.size()) continue;
      const FrameRun candidate = frame_run(bytes.subspan(start));
      if (run_evidence(candidate) > run_evidence(run)) run = candidate;
    }
    if (first.starts_of(side).empty()) best = stronger(best, Recognition{});
    // Mid-stream, both directions send frames alike: the port guess stands.
    best = stronger(best, Recognition{run_evidence(run), false, "grpc_frames"});
  }
  return best;
}

}  // namespace zkdump::http2

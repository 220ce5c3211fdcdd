// Every problem zkdump reports, named once, as Wireshark's expert fields are: the name is the
// line's name in text, its "error" label in JSON and its label in the metrics.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "zkdump/framing/stream.hpp"

namespace zkdump::session {

enum class ProblemKind : std::uint8_t {
  // A stream's bytes (framing::Problem, in its order).
  kGap,
  kFrameLostInGap,
  kUndecodableBytes,
  kOversizedFrame,
  kBadFrameLength,
  kUnexpectedHandshake,
  kTruncatedFrameAtClose,
  kBufferLimitDrop,
  // A message whose frame was whole but whose record was not.
  kUndecodableConnectRequest,
  kUndecodableConnectReply,
  kUndecodableRequest,
  kUndecodableReply,
  kUndecodableEvent,
  // A connection.
  kTlsNotDecodable,
  kConnectionEvicted,
  // HTTP/2 and gRPC.
  kStreamReset,
  kGoaway,
  kUndecodableHeaders,
  // The capture itself.
  kKernelDrops,
  kTruncatedPacket,
};

inline constexpr std::array<std::string_view,
                            static_cast<std::size_t>(ProblemKind::kTruncatedPacket) + 1>
    kProblemNames = {
        "Gap",
        "FrameLostInGap",
        "UndecodableBytes",
        "OversizedFrame",
        "BadFrameLength",
        "UnexpectedHandshake",
        "TruncatedFrameAtClose",
        "BufferLimitDrop",
        "UndecodableConnectRequest",
        "UndecodableConnectReply",
        "UndecodableRequest",
        "UndecodableReply",
        "UndecodableEvent",
        "TlsNotDecodable",
        "ConnectionEvicted",
        "StreamReset",
        "Goaway",
        "UndecodableHeaders",
        "KernelDrops",
        "TruncatedPacket",
};

constexpr std::string_view problem_name(ProblemKind kind) {
  return kProblemNames[static_cast<std::size_t>(kind)];
}

constexpr std::string_view problem_name(framing::Problem problem) {
  return kProblemNames[static_cast<std::size_t>(problem)];
}
static_assert(problem_name(framing::Problem::kBufferLimit) == "BufferLimitDrop",
              "the stream problems lead the table, in framing::Problem's order");

}  // namespace zkdump::session

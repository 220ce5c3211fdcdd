// gRPC over HTTP/2: status codes and the grpc-message encoding.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace zkdump::http2 {

inline constexpr std::array<std::string_view, 17> kGrpcStatusNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// A call's end whose trailers named header-table entries lost before the capture.
inline constexpr std::int32_t kGrpcStatusUnseen = -1;

// "NOT_FOUND" for 5, "UNSEEN" for kGrpcStatusUnseen; empty for a code gRPC does not define.
inline std::string_view grpc_status_name(std::int32_t code) {
  if (code == kGrpcStatusUnseen) return "UNSEEN";
  return code >= 0 && static_cast<std::size_t>(code) < kGrpcStatusNames.size()
             ? kGrpcStatusNames[static_cast<std::size_t>(code)]
             : std::string_view();
}

// grpc-message is percent-encoded (%20 for a space); a malformed escape stays as it is.
std::string percent_decode(std::string_view text);

}  // namespace zkdump::http2

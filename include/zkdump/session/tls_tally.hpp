// What sinks count of TLS connections from their events: how many decrypted, how many did not
// and why, and the bytes each kind carried. The statistics and the exporter both keep one.
#pragma once

#include <array>
#include <cstdint>

#include "zkdump/session/sink.hpp"

namespace zkdump::session {

struct TlsTally {
  std::uint64_t sessions = 0;  // TLS connections whose fate is known
  std::uint64_t decrypted = 0;
  std::array<std::uint64_t, tls::kFailureKinds> not_decrypted{};  // by why
  std::array<std::uint64_t, tls::kFailureKinds> stopped{};        // directions cut short, by why
  std::uint64_t decrypted_bytes = 0;    // TLS bytes of connections that decrypted
  std::uint64_t undecrypted_bytes = 0;  // and of those that did not
  std::uint64_t plaintext_bytes = 0;

  void count(const TlsEvent& event) {
    switch (event.kind) {
      case TlsEvent::Kind::kSession:
        ++sessions;
        if (event.failure == tls::Failure::kNone) {
          ++decrypted;
        } else {
          ++not_decrypted[static_cast<std::size_t>(event.failure)];
        }
        break;
      case TlsEvent::Kind::kStopped:
        ++stopped[static_cast<std::size_t>(event.failure)];
        break;
      case TlsEvent::Kind::kClosed:
        (event.decrypted ? decrypted_bytes : undecrypted_bytes) +=
            event.tls_bytes[0] + event.tls_bytes[1];
        plaintext_bytes += event.plaintext_bytes;
        break;
      case TlsEvent::Kind::kClientHello:
        break;
    }
  }
};

}  // namespace zkdump::session

// How a TLS connection's first records are told from other bytes, for protocol detection. TLS
// names no service: detection binds it only where a port or a known server says which.
#pragma once

#include "zkdump/base/recognition.hpp"

namespace zkdump::tls {

Recognition recognize_handshake(const FirstBytes& first);

}  // namespace zkdump::tls

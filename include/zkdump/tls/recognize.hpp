// How a TLS connection's first records are told from other bytes, for protocol detection. TLS
// names no service: detection hands it to the TLS layer where a port says whose it is or the key
// log holds its secrets, and the plaintext says the rest.
#pragma once

#include "zkdump/base/recognition.hpp"

namespace zkdump::tls {

Recognition recognize_handshake(const FirstBytes& first);

}  // namespace zkdump::tls

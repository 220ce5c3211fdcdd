// Wires the stages together: capture -> link/IP/TCP -> reassembly -> framing -> pairing -> output.
#pragma once

#include "options.hpp"

namespace zkdump::app {

// Exit codes, as the man page documents them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;      // bad options, unreadable file, no capture permission
inline constexpr int kExitReadError = 2;  // the capture file ended in the middle of a record

int run(const Options& options);
void request_stop();  // async-signal-safe

}  // namespace zkdump::app

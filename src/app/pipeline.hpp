// Wires the stages together: capture -> link/IP/TCP -> reassembly -> framing -> pairing -> output.
#pragma once

#include "options.hpp"
#include "zkdump/capture/pcap_source.hpp"

namespace zkdump::app {

// Exit codes, as the man page documents them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;      // bad options, unreadable file, no capture permission
inline constexpr int kExitReadError = 2;  // the capture file ended in the middle of a record

// Opens the capture the options name, then decodes it to standard output.
int run(const Options& options);
// Decodes every packet of an open source, writing lines to output_fd and the summary to stderr.
int decode(capture::PcapSource& source, const Options& options, int output_fd);
void request_stop();  // async-signal-safe

}  // namespace zkdump::app

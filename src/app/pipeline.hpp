// Wires the stages together: capture -> link/IP/TCP -> reassembly -> framing -> pairing -> output.
#pragma once

#include "exit_codes.hpp"
#include "options.hpp"
#include "zkdump/capture/pcap_source.hpp"
#include "zkdump/metrics/http_server.hpp"

namespace zkdump::app {

// Opens the capture the options name, then decodes it to standard output.
int run(const Options& options);
// Decodes every packet of an open source, writing lines to output_fd and the summary to stderr;
// with a metrics server, answers its scrapes, and keeps answering them after a file's end.
int decode(capture::PcapSource& source, const Options& options, int output_fd,
           metrics::MetricsServer* metrics_server = nullptr);
void request_stop();    // async-signal-safe
void request_reload();  // async-signal-safe: SIGHUP, re-read --web-config

}  // namespace zkdump::app

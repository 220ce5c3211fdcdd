// The options turned, once, into what each stage is configured with.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"
#include "zkdump/analysis/analyses.hpp"
#include "zkdump/metrics/metrics_sink.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/session/filter.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/grouped.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::app {

// What a run prints: message lines, or one of the summaries instead.
enum class Mode : std::uint8_t { kLines, kStats, kTop, kGrouped };

struct Config {
  Mode mode = Mode::kLines;
  bool json = false;
  bool quiet = false;
  bool line_buffered = false;  // -l: every line written at once (a terminal always is)
  std::int64_t stats_interval_s = 0;
  std::int64_t pending_after_us = 0;  // live paired lines: report requests waiting this long
  session::FilterOptions filters;
  output::LineOptions lines;
  stats::StatsOptions stats;
  stats::GroupedOptions grouped;
  session::ClientOptions client;
  tcp::ReassemblyLimits reassembly;
  std::size_t max_buffer_bytes = 256u << 20;
  std::vector<int> client_ports;
  std::vector<int> election_ports;
  std::vector<int> quorum_ports;
  std::vector<int> etcd_ports;
  bool learn_ports = false;         // --omni: from the election's configs
  std::uint32_t ensemble_size = 0;  // --ensemble-size: the voters until a config names them
  bool detect = true;  // every TCP connection recognised by its bytes (not --only-ports)
  analysis::AnalysisOptions analyses;
  bool metrics = false;    // --metrics-listen: the server is started before the run
  std::string web_config;  // --web-config: re-read on SIGHUP
  metrics::MetricsOptions metrics_options;
};

Config make_config(const Options& options);
// Fills in which protocol each server port speaks.
void set_port_roles(const Config& config, session::PortMap& ports);
// The kernel filter for a live capture: only the watched ports, and the user's expression.
std::string live_filter(const Config& config, const std::string& expression, int linktype);

}  // namespace zkdump::app

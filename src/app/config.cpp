#include "config.hpp"

#include <fmt/format.h>

namespace zkdump::app {
namespace {

Mode mode_of(const Options& options) {
  if (options.count_requests > 0 || options.measure_latency > 0) return Mode::kGrouped;
  if (options.stats) return Mode::kStats;
  if (options.top) return Mode::kTop;
  return Mode::kLines;
}

output::LineOptions line_options(const Options& options) {
  output::LineOptions lines;
  lines.json = options.json;
  lines.verbose = options.verbose;
  lines.show_credentials = options.show_credentials;
  lines.show_data = options.show_data || options.verbose;
  lines.include_pings = options.include_pings;
  // Text and JSON alike hold each request until its reply: the pair prints together, in an order
  // that does not depend on how the capture interleaved the two directions.
  lines.paired = !options.unpaired;
  lines.max_lines = options.count;
  lines.timestamps = options.timestamp_style();
  return lines;
}

stats::GroupedOptions grouped_options(const Options& options) {
  stats::GroupedOptions grouped;
  grouped.measure_latency = options.measure_latency > 0;
  grouped.limit = grouped.measure_latency ? options.measure_latency : options.count_requests;
  grouped.group_by = options.group_by == "type"     ? stats::GroupBy::kType
                     : options.group_by == "client" ? stats::GroupBy::kClient
                                                    : stats::GroupBy::kPath;
  grouped.sort_by = options.sort_by == "p95"   ? stats::SortBy::kP95
                    : options.sort_by == "p99" ? stats::SortBy::kP99
                                               : stats::SortBy::kAvg;
  grouped.aggregation_depth = options.aggregation_depth;
  grouped.include_pings = options.include_pings;
  return grouped;
}

// --only-ports watches the default ports unless others are named: the client's, and with --omni
// the quorum's. Otherwise detection finds every port.
std::vector<int> or_default(const std::vector<int>& ports, bool use_default, int default_port) {
  if (use_default && ports.empty()) return {default_port};
  return ports;
}

// Each analysis by its flag (a threshold given turns its analysis on), all by --analyze or --omni.
analysis::AnalysisOptions analysis_options(const Options& options) {
  const bool all = options.analyze || (options.omni && !options.no_analyze);
  analysis::AnalysisOptions analyses;
  analyses.trace_writes = all || options.trace_writes;
  analyses.trace_without_zab = options.trace_writes;
  analyses.watches = all || options.watch_storm.has_value();
  analyses.sessions = all || options.session_health || options.connection_storm.has_value();
  analyses.sizes = all || options.size_alert.has_value();
  analyses.watch_storm = options.watch_storm.value_or(analyses.watch_storm);
  analyses.connection_storm = options.connection_storm.value_or(analyses.connection_storm);
  analyses.limits.jute_maxbuffer = options.max_frame;
  analyses.limits.alert_fraction = options.size_alert.value_or(analyses.limits.alert_fraction);
  return analyses;
}

}  // namespace

Config make_config(const Options& options) {
  Config config;
  config.mode = mode_of(options);
  config.json = options.json;
  config.quiet = options.quiet;
  config.line_buffered = options.line_buffered;
  config.stats_interval_s = options.stats_interval_s;
  const bool paired_lines = mode_of(options) == Mode::kLines && !options.unpaired;
  config.pending_after_us = paired_lines ? options.pending_after_us : 0;
  config.lines = line_options(options);
  config.filters = options.filters;
  config.lines.announce_servers = !session::ExchangeFilter(options.filters).active();
  config.stats.aggregation_depth = options.aggregation_depth;
  config.stats.limit = options.stats_limit;
  config.stats.key_rows = options.stats_keys;
  config.grouped = grouped_options(options);
  config.client.max_frame = options.max_frame;
  config.reassembly.max_connections = options.max_connections;
  config.reassembly.idle_timeout_us = options.idle_timeout_s * 1'000'000;
  config.reassembly.max_out_of_order_total = options.max_buffer_mib << 20;
  const bool only_ports = options.only_ports;
  config.detect = !only_ports;
  config.client_ports = or_default(options.ports, only_ports, 2181);
  config.election_ports = or_default(options.election_ports, only_ports && options.omni, 3888);
  config.quorum_ports = or_default(options.quorum_ports, only_ports && options.omni, 2888);
  config.etcd_ports = options.etcd_ports;
  config.learn_ports = options.omni;
  config.ensemble_size = options.ensemble_size;
  config.analyses = analysis_options(options);
  config.metrics_options.analyses = config.analyses.any();
  config.metrics = !options.metrics_listen.empty();
  config.web_config = options.web_config;
  config.metrics_options.top_limit = options.metrics_top;
  config.metrics_options.aggregation_depth = options.aggregation_depth;
  return config;
}

void set_port_roles(const Config& config, session::PortMap& ports) {
  const auto assign = [&ports](const std::vector<int>& list, session::PortRole role) {
    for (int port : list) ports.set(static_cast<std::uint16_t>(port), role);
  };
  assign(config.client_ports, session::PortRole::kClient);
  assign(config.election_ports, session::PortRole::kElection);
  assign(config.quorum_ports, session::PortRole::kZab);
  assign(config.etcd_ports, session::PortRole::kEtcd);
  // Detection learns from configs too: a NEWLEADER names every server's ports at once.
  ports.learn_from_config = config.learn_ports || config.detect;
}

std::string live_filter(const Config& config, const std::string& expression, int linktype) {
  std::string ports;
  for (const auto& list :
       {config.client_ports, config.election_ports, config.quorum_ports, config.etcd_ports}) {
    for (int port : list) {
      if (!ports.empty()) ports += " or ";
      ports += fmt::format("port {}", port);
    }
  }
  // Detection and --omni find ports as they go: the kernel cannot know them in advance.
  if (config.detect || config.learn_ports) ports = "tcp";
  // On Ethernet, VLAN-tagged traffic needs its own clause (BPF offsets shift after `vlan`);
  // other link types (-i any's cooked headers) have no VLAN tags to match.
  constexpr int kDltEthernet = 1;
  std::string filter = linktype == kDltEthernet
                           ? fmt::format("(tcp and ({0})) or (vlan and tcp and ({0}))", ports)
                           : fmt::format("tcp and ({})", ports);
  if (!expression.empty()) filter = fmt::format("({}) and ({})", filter, expression);
  return filter;
}

}  // namespace zkdump::app

// Command-line options: tcpdump's conventions, zktraffic's flag names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/base/timestamp.hpp"
#include "zkdump/session/filter.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::app {

struct Options {
  std::string read_file;                 // -r
  std::string interface;                 // -i
  std::string write_file;                // -w
  std::string drop_user;                 // -Z
  std::vector<std::string> tls_keylogs;  // --tls-keylog, then SSLKEYLOGFILE
  bool list_interfaces = false;          // -D
  int no_resolve = 0;                    // -n, -nn: accepted, zkdump never resolves names
  std::vector<int> ports;                // ZooKeeper clients (2181 with --only-ports)
  std::vector<int> election_ports;       // leader election between servers (3888 in --omni)
  std::vector<int> quorum_ports;         // ZAB between leader and learners (2888 in --omni)
  std::vector<int> etcd_ports;           // etcd v3 (gRPC over HTTP/2)
  bool only_ports = false;  // decode named (or default) ports alone, no detection by content
  bool omni = false;        // client, election and ZAB together, learning ports from configs
  std::uint32_t ensemble_size = 0;  // voting servers until a config names them; 0 unknown
  std::string filter;               // the trailing BPF expression
  std::uint64_t count = 0;          // -c
  bool line_buffered = false;
  bool include_pings = false;
  bool verbose = false;
  bool json = false;
  bool unpaired = false;
  bool show_credentials = false;
  bool show_data = false;
  bool quiet = false;
  bool stats = false;  // --stats: a summary of the traffic instead of message lines
  bool top = false;    // --top: a live full-screen view
  std::size_t stats_limit = 10;
  std::size_t stats_keys = 4096;  // rows per ranking (base/heavy_hitters.hpp)
  std::int64_t stats_interval_s = 0;
  std::int64_t pending_after_us = 1'000'000;  // 0: never
  session::FilterOptions filters;             // --path, --op, --session, --client, ...
  int aggregation_depth = 0;
  // The analyses: each on by its flag, all of them by --analyze or --omni.
  bool analyze = false;
  bool no_analyze = false;  // --omni without them
  bool trace_writes = false;
  bool session_health = false;
  std::optional<std::uint32_t> watch_storm;       // notifications from one write
  std::optional<std::uint32_t> connection_storm;  // per client host
  std::optional<double> size_alert;               // of --max-frame
  std::string metrics_listen;                     // --metrics-listen ADDR:PORT
  std::string web_config;                         // --web-config FILE: TLS, basic auth
  std::size_t metrics_top = 10;
  std::uint64_t count_requests = 0;  // zktraffic's summary modes
  std::uint64_t measure_latency = 0;
  std::string group_by = "path";
  std::string sort_by = "avg";
  int timestamp_flags = 0;  // how many -t
  int snaplen = 262144;
  int buffer_kib = 32768;
  std::int32_t max_frame = zk::kDefaultMaxFrame;
  std::size_t max_connections = 65536;
  std::int64_t idle_timeout_s = 300;
  std::size_t max_buffer_mib = 256;

  TimestampStyle timestamp_style() const;
};

// "1.5s", "250ms", "800us", or a bare number of seconds; nothing for anything else.
std::optional<std::int64_t> parse_duration_us(std::string_view text);

// Parses argv; on --help or --version prints them, on an error prints "zkdump: ..."; either way
// sets should_exit and returns the exit status.
int parse_options(int argc, char** argv, Options& options, bool& should_exit);

}  // namespace zkdump::app

#include "options.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>
#include <system_error>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "zkdump/metrics/http_server.hpp"

namespace zkdump::app {

TimestampStyle Options::timestamp_style() const {
  switch (timestamp_flags) {
    case 0:
      return TimestampStyle::kTime;
    case 1:
      return TimestampStyle::kNone;
    case 2:
      return TimestampStyle::kEpoch;
    case 3:
      return TimestampStyle::kDeltaPrevious;
    case 4:
      return TimestampStyle::kDate;
    default:
      return TimestampStyle::kDeltaFirst;
  }
}

std::optional<std::int64_t> parse_duration_us(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || rest == text.data() || value < 0) return std::nullopt;
  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1e6;
  } else if (unit == "min") {
    scale = 60e6;
  } else if (unit == "ms") {
    scale = 1e3;
  } else if (unit == "us") {
    scale = 1;
  } else {
    return std::nullopt;
  }
  const double micros = value * scale;
  if (micros > 1e15) return std::nullopt;  // beyond any wait
  return std::llround(micros);
}

namespace {

// A duration option's value, or a usage error that says what one looks like.
std::int64_t duration_of(const char* option, const std::string& text) {
  const std::optional<std::int64_t> duration = parse_duration_us(text);
  if (!duration) {
    throw CLI::ValidationError(option, "not a duration: " + text +
                                           " (a number and its unit, one word: 800us, 500ms, "
                                           "2.5s, 5min, or a number of seconds)");
  }
  return *duration;
}

// --help and --version exit 0; every usage error prints "zkdump: ..." and exits 1, as tcpdump's
// do (CLI11's own codes, 100 and up, would mean nothing to a script).
int exit_on(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    (void)app.exit(error);
    return kExitOk;
  }
  fmt::print(stderr, "zkdump: {}\nzkdump: see zkdump --help\n", error.what());
  return kExitUsage;
}

void add_source_options(CLI::App& app, Options& options) {
  app.add_option("-r", options.read_file,
                 "Read packets from a pcap or pcapng file, gzip or xz compressed or not ('-' for "
                 "standard input)");
  app.add_option("-i", options.interface,
                 "Capture live on this interface ('any' for all); needs root or CAP_NET_RAW");
  app.add_option("-w", options.write_file, "Also write the raw packets read to this pcap file");
  app.add_option("--tls-keylog", options.tls_keylogs,
                 "Decrypt TLS with the secrets this NSS key log holds (SSLKEYLOGFILE, as OpenSSL, "
                 "curl, Python, Go and Java agents write it); repeat for several. Live, it is "
                 "followed as it grows. SSLKEYLOGFILE, when set and readable, is read too")
      ->type_name("FILE");
  app.add_option("-Z", options.drop_user,
                 "Once the capture is open, drop root privileges and run as this user");
  app.add_flag("-D", options.list_interfaces,
               "List the interfaces zkdump can capture on, as tcpdump -D does, and exit");
  app.add_flag("-n", options.no_resolve,
               "Accepted for tcpdump's sake (-n, -nn): zkdump never resolves names or ports");
  app.add_option("--election-port", options.election_ports,
                 "Also decode leader election on this server port; repeat for several")
      ->check(CLI::Range(1, 65535));
  app.add_option("--quorum-port", options.quorum_ports,
                 "Also decode ZAB (leader to learners) on this server port; repeat for several")
      ->check(CLI::Range(1, 65535));
  app.add_option("--etcd-port", options.etcd_ports,
                 "Also decode etcd v3 (gRPC over HTTP/2) on this server port; repeat for several")
      ->check(CLI::Range(1, 65535));
  app.add_flag("--omni", options.omni,
               "Decode client, election and ZAB traffic together, with every analysis, learning "
               "every server's ports from the election's configs (with --only-ports: from election "
               "port 3888 and ZAB port 2888 unless others are named)");
  app.add_option("--ensemble-size", options.ensemble_size,
                 "The ensemble's voting servers, until a config the servers exchange names them "
                 "(servers before 3.5 send none): a write's quorum is a majority of them")
      ->check(CLI::Range(1, 255));
  app.add_flag("--only-ports", options.only_ports,
               "Decode only the ports named (with none named, 2181; with --omni also 3888 and "
               "2888), as the kernel filter does, instead of finding every protocol on any port "
               "by what its bytes say");
  app.add_option("--port", options.ports,
                 "ZooKeeper client port; repeat for several. Named ports are decoded as that "
                 "protocol whatever their bytes say")
      ->check(CLI::Range(1, 65535))
      ->take_all()
      ->expected(1, -1);
}

void add_output_options(CLI::App& app, Options& options) {
  app.add_option("-c", options.count, "Exit after printing this many lines")
      ->check(CLI::PositiveNumber);
  app.add_flag("-l", options.line_buffered,
               "Line-buffer standard output, and capture live in immediate mode");
  app.add_flag("-p,--include-pings", options.include_pings,
               "Show PingRequest/PingReply and ZAB PINGs (hidden by default, always counted); "
               "count pings in --count-requests and --measure-latency");
  app.add_flag("-v", options.verbose,
               "Append error names, latency, session, Stat and data previews");
  app.add_flag("--json", options.json, "Print one JSON object per message");
  app.add_flag("--unpaired", options.unpaired,
               "Print messages in capture order instead of pairing each reply with its request");
  app.add_option_function<std::string>(
      "--pending-after",
      [&options](const std::string& text) {
        options.pending_after_us = duration_of("--pending-after", text);
      },
      "Live, paired lines: print a Pending line for a request still unanswered after this long "
      "(default 1s; 500ms, 2s; 0 never); its reply still pairs when it comes");
  app.add_flag("--show-credentials", options.show_credentials,
               "Show auth credentials and SASL tokens (redacted by default)");
  app.add_flag("--show-data", options.show_data,
               "Show a preview of znode data, txn data and etcd values in every line, text and "
               "JSON (left out by default; -v shows them too)");
  app.add_flag(
      "-t", options.timestamp_flags,
      "Timestamps: -t none, -tt epoch seconds, -ttt delta to previous line, -tttt date and time, "
      "-ttttt delta to first line (default HH:MM:SS:micros, local time)");
  app.add_flag("-q", options.quiet, "Do not print the summary on standard error");
}

// zktraffic's counting modes, --stats and --top, and which exclude which.
void add_mode_options(CLI::App& app, Options& options) {
  auto* count_requests =
      app.add_option("--count-requests", options.count_requests,
                     "zktraffic's mode: count the first N requests and events by --group-by, "
                     "print the counts and exit")
          ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  auto* measure_latency =
      app.add_option("--measure-latency", options.measure_latency,
                     "zktraffic's mode: time the first N replies by --group-by, print avg, p95 "
                     "and p99 in seconds, sorted by --sort-by, and exit")
          ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  count_requests->excludes(measure_latency);
  app.add_option("--group-by", options.group_by,
                 "Group --count-requests and --measure-latency by path, type or client")
      ->check(CLI::IsMember({"path", "type", "client"}));
  app.add_option("--sort-by", options.sort_by, "Sort --measure-latency by avg, p95 or p99")
      ->check(CLI::IsMember({"avg", "p95", "p99"}));
  auto* stats = app.add_flag(
      "--stats", options.stats,
      "Decode and pair every message but print none: print statistics at the end (with "
      "--json, as one JSON document, and one more for ZAB traffic)");
  stats->excludes(count_requests)->excludes(measure_latency);
  app.add_flag("--top", options.top,
               "A live full-screen view, like top: ops/s, latency per op, the hottest paths and "
               "clients, redrawn every "
               "second; keys r, l, e sort by requests, p99 latency, errors; q quits")
      ->excludes(count_requests)
      ->excludes(measure_latency);
  app.add_option("--stats-interval", options.stats_interval_s,
                 "With --stats, also print the statistics of every S seconds (of capture time when "
                 "reading a "
                 "file), one report or JSON document each")
      ->check(CLI::Range(1, 86400));
  app.add_option("--stats-limit", options.stats_limit, "Rows in each top-N table of --stats")
      ->check(CLI::Range(1, 100000));
  app.add_option("--stats-keys", options.stats_keys,
                 "Keys kept per ranking of --stats and --top (busiest paths and clients by "
                 "requests and by bytes), whatever the number of distinct keys; exact until there "
                 "are more (default 4096)")
      ->check(CLI::Range(16, 1000000));
  app.add_option("--aggregation-depth", options.aggregation_depth,
                 "Fold paths to their first N components in statistics (0: whole paths)")
      ->check(CLI::Range(0, 1000));
}

// What no single message shows: each analysis by its flag, all of them by --analyze (or --omni).
void add_analysis_options(CLI::App& app, Options& options) {
  app.add_flag("--analyze", options.analyze,
               "Run every analysis below (on by default with --omni): write tracing, watch "
               "storms, session health, size alerts");
  app.add_flag("--no-analyze", options.no_analyze,
               "With --omni, run no analysis but those named by their own flags")
      ->excludes("--analyze");
  app.add_flag("--trace-writes", options.trace_writes,
               "A WriteTrace line per client write: where its time went (forward, propose, "
               "quorum, commit, sync, reply), from client and ZAB traffic captured together");
  app.add_option("--watch-storm", options.watch_storm,
                 "Watch analysis: a WatchStorm line when one write fires more than N "
                 "notifications (default 20)")
      ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{1} << 30))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--session-health", options.session_health,
               "Session analysis: SessionAtRisk when a client is silent for 2/3 of its "
               "timeout, SessionExpired with its last activity, ConnectionStorm");
  app.add_option("--connection-storm", options.connection_storm,
                 "Session analysis: a ConnectionStorm line when a client host has more than N "
                 "connections open, or opens more than N in 10 s (default 60)")
      ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{1} << 30))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--size-alert", options.size_alert,
                 "Size analysis: a SizeAlert line for requests, replies and txns of at least "
                 "this fraction of --max-frame, jute.maxbuffer (default 0.5)")
      ->check(CLI::Range(0.01, 1.0))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// The Prometheus endpoint, beside whatever else the run prints.
void add_metrics_options(CLI::App& app, Options& options) {
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Serve Prometheus metrics on http://ADDR:PORT/metrics (and /stats.json) while "
                 "capturing; reading a file, keep serving once it ends, until interrupted. "
                 "ADDR:PORT, [IPv6]:PORT, or PORT for 127.0.0.1 alone (0.0.0.0:PORT or "
                 "[::]:PORT for every address)")
      ->check([](const std::string& text) {
        metrics::ListenAddress address;
        return metrics::parse_listen_address(text, address)
                   ? std::string()
                   : "not ADDR:PORT, [IPv6]:PORT or PORT: " + text;
      })
      ->type_name("ADDR:PORT");
  app.add_option("--web-config", options.web_config,
                 "Serve the metrics as FILE says, in Prometheus exporters' web config format: "
                 "TLS (tls_server_config), client certificates, basic_auth_users (bcrypt), "
                 "rate_limit, headers; re-read on SIGHUP")
      ->type_name("FILE");
  app.add_option("--metrics-top", options.metrics_top,
                 "Label values per top metric (paths, clients, etcd prefixes); the rest count "
                 "as other (default 10)")
      ->check(CLI::Range(1, 1000));
}

bool is_op_name(std::string_view name) {
  if (name == "connect" || name == "notification") return true;
  for (std::size_t i = 0; i < zk::op_count(); ++i) {
    if (zk::op_at(i).json_name == name) return true;
  }
  return false;
}

// Field filters: OR within one option repeated, AND across options.
void add_filter_options(CLI::App& app, Options& options) {
  session::FilterOptions& filters = options.filters;
  app.add_option("--path", filters.path_prefixes,
                 "Only exchanges whose path starts with PREFIX; repeat for several");
  app.add_option_function<std::vector<std::string>>(
      "--op",
      [&filters](const std::vector<std::string>& names) {
        for (const std::string& name : names) {
          if (!is_op_name(name)) throw CLI::ValidationError("--op", "no such op: " + name);
          filters.ops.push_back(name);
        }
      },
      "Only this op (as ZooDefs names it: getData, create, multi, connect, notification...); "
      "repeat for several");
  app.add_option_function<std::vector<std::string>>(
      "--session",
      [&filters](const std::vector<std::string>& ids) {
        for (const std::string& id : ids) {
          const std::optional<std::int64_t> session = session::parse_session_id(id);
          if (!session) throw CLI::ValidationError("--session", "not a session id: " + id);
          filters.sessions.push_back(*session);
        }
      },
      "Only this session (0x1000a2b3c4d0001); repeat for several");
  app.add_option_function<std::vector<std::string>>(
      "--client",
      [&filters](const std::vector<std::string>& hosts) {
        for (const std::string& host : hosts) {
          const std::optional<session::ClientMatch> client = session::parse_client_match(host);
          if (!client) throw CLI::ValidationError("--client", "not HOST or HOST:PORT: " + host);
          filters.clients.push_back(*client);
        }
      },
      "Only this client IP, or IP:PORT ([IPv6]:PORT); repeat for several");
  app.add_flag("--errors", filters.errors_only,
               "Only failed replies, each with its request (and requests never answered)");
  app.add_option_function<std::string>(
      "--slower-than",
      [&filters](const std::string& text) {
        filters.slower_than_us = duration_of("--slower-than", text);
      },
      "Only exchanges whose reply took at least DURATION (5ms, 1s), with requests that waited "
      "that long unanswered");
}

// Capture sizes and the bounds that keep hostile or huge traffic in constant memory.
void add_limit_options(CLI::App& app, Options& options) {
  app.add_option("-s", options.snaplen, "Live capture snapshot length in bytes")
      ->check(CLI::Range(64, 262144));
  app.add_option("-B", options.buffer_kib, "Live capture kernel buffer size in KiB")
      ->check(CLI::Range(64, 4 << 20));
  app.add_option("--max-frame", options.max_frame,
                 "Largest frame accepted, in bytes (the server's jute.maxbuffer)")
      ->check(CLI::Range(1024, 0x7fffffff));
  app.add_option("--max-connections", options.max_connections,
                 "Connections tracked at once; the oldest are evicted")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--idle-timeout", options.idle_timeout_s,
                 "Forget a connection idle this many seconds")
      ->check(CLI::Range(1, 86400 * 365));
  app.add_option("--max-buffer", options.max_buffer_mib,
                 "MiB held in all for out-of-order TCP segments")
      ->check(CLI::Range(1, 65536));
}

std::string_view first_word(std::string_view text) {
  const std::size_t start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  return text.substr(0, text.find(' '));
}

// A word a duration given apart from its number ends with ("--pending-after 5 minutes").
bool looks_like_time_unit(std::string_view word) {
  for (const std::string_view unit : {"us", "ms", "s", "sec", "secs", "second", "seconds", "min",
                                      "mins", "minute", "minutes", "h", "hour", "hours"}) {
    if (word == unit) return true;
  }
  return false;
}

// Values that went astray: a flag that needs another, a duration split in two words.
std::string astray(const CLI::App& app, const Options& options) {
  if (options.no_analyze && !options.omni) {
    return "--no-analyze applies to --omni, which runs every analysis unless told not to";
  }
  if (app.count("--pending-after") > 0 && looks_like_time_unit(first_word(options.filter))) {
    return fmt::format(
        "--pending-after takes one word, a number and its unit (500ms, 2s, 5min): "
        "'{}' was read as a filter expression",
        options.filter);
  }
  return {};
}

}  // namespace

// Options that would be silently ignored together are refused instead. Returns the complaint.
std::string conflict(const CLI::App& app, const Options& options) {
  const auto given = [&app](const char* name) { return app.count(name) > 0; };
  const bool grouped = options.count_requests > 0 || options.measure_latency > 0;
  const bool summary = options.stats || options.top || grouped;
  const char* mode = options.stats                ? "--stats"
                     : options.top                ? "--top"
                     : options.count_requests > 0 ? "--count-requests"
                                                  : "--measure-latency";
  if (given("-r") && given("-i")) return "-r and -i: read a file or capture live, not both";
  if (std::string complaint = astray(app, options); !complaint.empty()) return complaint;
  if (options.stats && options.top) return "--stats and --top: choose one";
  if (options.json && (options.top || grouped)) {
    return fmt::format("--json cannot go with {}: it prints no JSON", mode);
  }
  if (given("--stats-interval") && !options.stats) return "--stats-interval needs --stats";
  const bool at_reply = given("--errors") || given("--slower-than");
  if (at_reply && options.unpaired) {
    return "--errors and --slower-than need paired lines: a request prints with its reply";
  }
  if (at_reply && options.count_requests > 0) {
    return "--errors and --slower-than cannot go with --count-requests: it counts requests";
  }
  if (given("--pending-after") && (summary || options.unpaired || given("-r"))) {
    return "--pending-after applies to paired message lines of a live capture";
  }
  if (given("--stats-limit") && !options.stats) return "--stats-limit needs --stats";
  if (given("--stats-keys") && !options.stats && !options.top && !given("--metrics-listen")) {
    return "--stats-keys needs --stats, --top or --metrics-listen";
  }
  if (given("--aggregation-depth") && !summary && !given("--metrics-listen")) {
    return "--aggregation-depth needs --stats, --top, --count-requests, --measure-latency or "
           "--metrics-listen";
  }
  if (given("--web-config") && !given("--metrics-listen")) {
    return "--web-config needs --metrics-listen";
  }
  if (given("--metrics-top") && !given("--metrics-listen")) {
    return "--metrics-top needs --metrics-listen";
  }
  if (given("--metrics-listen") && grouped) {
    return fmt::format("--metrics-listen cannot go with {}: it stops after its count", mode);
  }
  const bool analyses = options.analyze || options.trace_writes || options.session_health ||
                        given("--watch-storm") || given("--connection-storm") ||
                        given("--size-alert");
  if (analyses && grouped) {
    return fmt::format("the analyses cannot go with {}: it stops after its count", mode);
  }
  if (given("--group-by") && !grouped)
    return "--group-by needs --count-requests or --measure-latency";
  if (given("--sort-by") && options.measure_latency == 0)
    return "--sort-by needs --measure-latency";
  for (const char* line_option :
       {"-c", "-v", "-p", "--unpaired", "--show-credentials", "--show-data"}) {
    // zktraffic's modes count pings only when -p asks for them.
    if (summary && given(line_option) && !(grouped && line_option == std::string_view("-p"))) {
      return fmt::format("{} shapes message lines, which {} does not print", line_option, mode);
    }
  }
  return {};
}

int parse_options(int argc, char** argv, Options& options, bool& should_exit) {
  CLI::App app{
      "zkdump: a passive ZooKeeper wire-protocol sniffer and decoder.\n"
      "Reads packets from a capture file or a live interface, reassembles each TCP\n"
      "connection and prints every ZooKeeper message, replies paired with requests.",
      "zkdump"};
  app.set_version_flag("--version", "zkdump 0.1.0");
  app.get_formatter()->column_width(34);
  // Examples from the man page, where docs.man_page_examples runs them.
  app.footer(
      "Examples:\n"
      "  zkdump -r cap.pcap --slower-than 10ms\n"
      "  zkdump -r cap.pcap --session 0x1000a2b3c4d0001\n"
      "  zkdump -i any -l --errors | grep -B1 -E 'error=-(102|115)'\n"
      "  zkdump -r cap.pcap --stats --aggregation-depth 2\n"
      "See zkdump(1) for more.");

  add_source_options(app, options);
  add_output_options(app, options);
  add_mode_options(app, options);
  add_filter_options(app, options);
  add_limit_options(app, options);
  add_analysis_options(app, options);
  add_metrics_options(app, options);
  // CLI11 takes the expression as one string per word; tcpdump joins them with spaces.
  std::vector<std::string> words;
  app.add_option("expression", words, "BPF filter expression, as in tcpdump (e.g. host 10.0.0.5)");
  app.positionals_at_end();

  try {
    app.parse(argc, argv);
    for (const std::string& word : words) {
      if (!options.filter.empty()) options.filter += ' ';
      options.filter += word;
    }
    if (const std::string complaint = conflict(app, options); !complaint.empty()) {
      throw CLI::ValidationError(complaint);
    }
  } catch (const CLI::ParseError& error) {
    should_exit = true;
    return exit_on(app, error);
  }
  should_exit = false;
  return 0;
}

}  // namespace zkdump::app

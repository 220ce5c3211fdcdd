#include "pipeline.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config.hpp"
#include "privileges.hpp"
#include "zkdump/metrics/metrics_sink.hpp"
#include "zkdump/net/packet.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/session/detection.hpp"
#include "zkdump/session/etcd.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/session/tls.hpp"
#include "zkdump/stats/analysis_stats.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/etcd_stats.hpp"
#include "zkdump/stats/grouped.hpp"
#include "zkdump/stats/quorum_summary.hpp"
#include "zkdump/stats/zab_stats.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/top/top_view.hpp"

namespace zkdump::app {
namespace {

// What a signal handler may touch: it can reach nothing else.
std::atomic<capture::PcapSource*> active_source{nullptr};  // NOLINT(*-non-const-global-variables)
std::atomic<bool> stop_requested{false};                   // NOLINT(*-non-const-global-variables)
std::atomic<bool> reload_requested{false};                 // NOLINT(*-non-const-global-variables)

// A periodic check of the live loop: due at most once per period, on the wall clock, whatever
// the packets do; first due at once, or after `wait`.
class Every {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Every(Clock::duration period, Clock::duration wait = {})
      : period_(period), next_(wait.count() > 0 ? Clock::now() + wait : Clock::time_point{}) {}
  bool due() {
    const Clock::time_point now = Clock::now();
    if (now < next_) return false;
    next_ = now + period_;
    return true;
  }
  void make_due() { next_ = Clock::time_point{}; }

 private:
  Clock::duration period_;
  Clock::time_point next_;
};

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct PacketCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::array<std::uint64_t, net::kParseOutcomeCount> outcomes{};
  std::uint64_t other_tcp = 0;  // TCP not to or from a watched port

  std::uint64_t outcome(net::ParseOutcome which) const {
    return outcomes[static_cast<std::size_t>(which)];
  }
};

void print_etcd_summary(const session::EtcdCounters& etcd) {
  if (etcd.requests + etcd.replies + etcd.statuses + etcd.undecodable_headers == 0) return;
  fmt::print(stderr,
             "zkdump: etcd: {} requests, {} replies, {} final statuses, {} methods guessed, {} "
             "header blocks naming entries lost before the capture, {} undecodable header blocks, "
             "{} oversized messages\n",
             etcd.requests, etcd.replies, etcd.statuses, etcd.guessed_methods,
             etcd.partial_header_blocks, etcd.undecodable_headers, etcd.oversized_messages);
}

// Other TCP: segments of ports neither named nor detected (--only-ports), and of connections
// detection found to speak nothing zkdump decodes.
void print_summary(const PacketCounters& packets, const tcp::ReassemblyCounters& tcp,
                   const framing::Budget& streams, const session::DetectionCounters& detection,
                   const session::ClientCounters& session, const session::EtcdCounters& etcd,
                   const capture::CaptureStats& stats) {
  using Outcome = net::ParseOutcome;
  using Problem = framing::Problem;
  fmt::print(stderr,
             "zkdump: {} packets ({} bytes): {} TCP segments decoded, {} other TCP, "
             "{} non-TCP, {} non-IP, {} IP fragments, {} truncated, {} malformed\n",
             packets.packets, packets.bytes, tcp.segments, packets.other_tcp + tcp.ignored_segments,
             packets.outcome(Outcome::kNotTcp), packets.outcome(Outcome::kNotIp),
             packets.outcome(Outcome::kFragment), packets.outcome(Outcome::kTruncated),
             packets.outcome(Outcome::kMalformed) + packets.outcome(Outcome::kUnsupportedLink));
  fmt::print(stderr,
             "zkdump: {} requests, {} replies, {} events, {} unanswered, {} unknown-xid replies, "
             "{} undecodable frames\n",
             session.requests, session.replies, session.events, session.unanswered,
             session.unknown_replies, session.undecodable_frames);
  fmt::print(stderr,
             "zkdump: {} connections ({} expired, {} evicted); {} gaps ({} bytes), {} snaplen-cut "
             "segments, {} oversized frames, {} undecodable stretches, {} buffer-cap drops, {} "
             "segments late after a reset\n",
             tcp.connections_opened, tcp.connections_expired, tcp.connections_evicted, tcp.gaps,
             tcp.gap_bytes, tcp.truncated_segments, streams.problem(Problem::kOversized),
             streams.problem(Problem::kUndecodable),
             streams.problem(Problem::kBufferLimit) + tcp.out_of_order_dropped,
             tcp.late_after_reset);
  print_etcd_summary(etcd);
  fmt::print(stderr,
             "zkdump: detection: {} connections by port, {} by their bytes, {} other TCP ({} "
             "bytes)\n",
             detection.by_port, detection.by_content, detection.other, tcp.ignored_bytes);
  if (stats.available) {
    fmt::print(
        stderr,
        "zkdump: {} packets received by filter, {} dropped by kernel, {} dropped by interface\n",
        stats.received, stats.dropped_by_kernel, stats.dropped_by_interface);
  }
}

// One run: the stages wired together, the sinks its mode needs, the capture loop, the reports.
class Run {
 public:
  Run(const Config& config, capture::PcapSource& source, tls::KeyLog& keys, int output_fd,
      metrics::MetricsServer* metrics_server);
  int capture();
  void finish();

 private:
  void attach_sinks();
  void attach_metrics();
  void add_analysis_stats();  // the whole run's, when an analysis runs
  void serve_metrics();
  void serve_metrics_until_stopped();
  void reload_web_config_if_asked();
  bool keep_going() const;
  void on_packet(const capture::RawPacket& raw);
  void check_drops();
  void check_pending();
  void check_keys();
  void take_embedded_secrets();
  void report_skipped_secrets() const;
  void tick_analyses();
  void check_silence();
  std::uint64_t decoded_messages() const;
  // Capture time when reading a file, wall-clock time when live: what intervals and spans use.
  std::int64_t clock_us() const { return live_ ? now_us() : last_ts_us_; }
  void report_intervals_due(std::int64_t now);
  stats::ReportSpan interval_span(std::int64_t end) const;
  void service_top(bool capturing);
  void draw_top(bool capturing);
  // The capture's counters now: the same snapshot for statistics, metrics and the summary.
  session::CaptureCounters counters() const;
  stats::ReportSpan run_span() const;
  void write_final_stats(const stats::ReportSpan& span);
  void report_omni() const;
  // What one statistics report is made of, held once for the whole run and once more for the
  // current --stats-interval.
  struct StatsSet {
    explicit StatsSet(const stats::StatsOptions& options) : collector(options) {}
    void start_interval();
    stats::Collector collector;
    stats::ZabStats zab;
    stats::EtcdStats etcd;
    std::optional<stats::AnalysisStats> analyses;  // when an analysis runs
  };
  void write_stats_report(const StatsSet& sinks, const session::CaptureCounters& totals,
                          const stats::ReportSpan& span);
  static void format_stats_json(fmt::memory_buffer& report, const StatsSet& sinks,
                                const session::CaptureCounters& totals,
                                const stats::ReportSpan& span);
  // /stats.json: what --stats --json prints, for the current interval or else the whole run.
  void write_stats_json(fmt::memory_buffer& report);
  void write_quorum_summary();
  void write(const fmt::memory_buffer& report) { out_.write_line({report.data(), report.size()}); }

  const Config& config_;
  capture::PcapSource& source_;
  tls::KeyLog& keys_;
  const bool live_;
  output::OutputBuffer out_;
  session::Sinks sinks_;
  std::optional<output::LineWriter> lines_;
  StatsSet run_stats_;
  std::optional<StatsSet> interval_stats_;      // --stats-interval: the current interval
  std::optional<analysis::Analyses> analyses_;  // added last: findings follow their messages
  Every analysis_tick_{std::chrono::milliseconds(100)};
  stats::GroupedReport grouped_;
  stats::QuorumSummary quorum_summary_;
  framing::Budget budget_;
  session::ExchangeFilter filter_;
  session::PortMap ports_;
  session::ClientSessions clients_;
  session::QuorumSessions servers_;
  session::EtcdSessions etcd_;
  session::SessionFamilies families_;
  session::TlsSessions tls_;
  session::Detection detection_;
  tcp::ConnectionTable connections_;
  PacketCounters packets_;
  net::TcpSegment segment_;
  std::int64_t last_ts_us_ = INT64_MIN;
  std::int64_t run_start_us_ = INT64_MIN;
  // Live, until something decodes: bytes per TCP port, for the hint after 5 quiet seconds.
  std::unique_ptr<std::array<std::uint64_t, 65536>> port_bytes_;
  Every silence_check_{std::chrono::seconds(1)};
  std::int64_t interval_start_us_ = INT64_MIN;
  session::CaptureCounters interval_base_;  // the run's totals when the interval began
  std::uint64_t drops_reported_ = 0;
  Every drop_check_{std::chrono::seconds(1), std::chrono::seconds(1)};
  Every pending_check_{std::chrono::milliseconds(100)};
  Every key_check_{std::chrono::milliseconds(100)};
  std::optional<metrics::MetricsSink> metrics_;
  metrics::MetricsServer* metrics_server_;
  std::unique_ptr<top::TopView> top_;
  Every top_check_{std::chrono::milliseconds(100)};
  bool quit_ = false;
};

Run::Run(const Config& config, capture::PcapSource& source, tls::KeyLog& keys, int output_fd,
         metrics::MetricsServer* metrics_server)
    : config_(config),
      source_(source),
      keys_(keys),
      live_(source.live()),
      out_(output_fd, config.line_buffered || isatty(output_fd) == 1),
      run_stats_(config.stats),
      grouped_(config.grouped),
      quorum_summary_(config.lines.timestamps),
      budget_{config.max_buffer_bytes, 0},
      filter_(config.filters),
      clients_(config.client, sinks_, budget_, filter_.active() ? &filter_ : nullptr),
      servers_(sinks_, budget_, ports_, config.ensemble_size),
      etcd_({}, sinks_, budget_),
      families_(clients_, servers_, etcd_),
      tls_(keys, sinks_, live_),
      detection_(families_, ports_, sinks_, tls_, {}),
      connections_(detection_, config.reassembly),
      metrics_server_(metrics_server) {
  set_port_roles(config, ports_);
  attach_sinks();
  if (metrics_server_ != nullptr) {
    attach_metrics();
    metrics_server_->set_waker([&source] { source.wake(); });
  }
  if (config.analyses.any() && config.mode != Mode::kGrouped) {
    analyses_.emplace(config.analyses, sinks_);
  }
  if (config.mode == Mode::kTop) top_ = std::make_unique<top::TopView>();
}

void Run::attach_sinks() {
  switch (config_.mode) {
    case Mode::kLines:
      lines_.emplace(config_.lines, out_);
      sinks_.add(*lines_);
      sinks_.add(quorum_summary_);
      sinks_.add(run_stats_.zab);
      break;
    case Mode::kStats:
      sinks_.add(run_stats_.collector);
      sinks_.add(quorum_summary_);
      sinks_.add(run_stats_.zab);
      sinks_.add(run_stats_.etcd);
      if (config_.stats_interval_s > 0) {
        sinks_.add(interval_stats_.emplace(config_.stats).collector);
        sinks_.add(interval_stats_->zab);
        sinks_.add(interval_stats_->etcd);
      }
      if (config_.analyses.any()) {
        const std::int64_t limit = config_.analyses.limits.jute_maxbuffer;
        sinks_.add(run_stats_.analyses.emplace(config_.stats, limit));
        if (interval_stats_) sinks_.add(interval_stats_->analyses.emplace(config_.stats, limit));
      }
      break;
    case Mode::kTop:
      sinks_.add(run_stats_.collector);
      sinks_.add(run_stats_.etcd);
      add_analysis_stats();
      break;
    case Mode::kGrouped:
      sinks_.add(grouped_);
      break;
  }
}

void Run::StatsSet::start_interval() {
  collector.start_interval();
  zab.start_interval();
  etcd.start_interval();
  if (analyses) analyses->start_interval();
}

void Run::add_analysis_stats() {
  if (!config_.analyses.any()) return;
  sinks_.add(run_stats_.analyses.emplace(config_.stats, config_.analyses.limits.jute_maxbuffer));
}

// The exporter, and the statistics /stats.json serves where the mode does not keep them already.
void Run::attach_metrics() {
  sinks_.add(metrics_.emplace(config_.metrics_options));
  if (config_.mode == Mode::kLines) {
    sinks_.add(run_stats_.collector);
    sinks_.add(run_stats_.etcd);
    add_analysis_stats();
  } else if (config_.mode == Mode::kTop) {
    sinks_.add(run_stats_.zab);
  }
}

// Made here, on the capture's thread, only when a scrape waits for them.
void Run::serve_metrics() {
  if (metrics_server_->wanted(metrics::Document::kMetrics)) {
    fmt::memory_buffer exposition;
    metrics_->write(exposition, counters(), clock_us());
    metrics_server_->publish(metrics::Document::kMetrics, fmt::to_string(exposition));
  }
  if (metrics_server_->wanted(metrics::Document::kStatsJson)) {
    fmt::memory_buffer report;
    write_stats_json(report);
    metrics_server_->publish(metrics::Document::kStatsJson, fmt::to_string(report));
  }
}

void Run::write_stats_json(fmt::memory_buffer& report) {
  if (interval_stats_) {
    format_stats_json(report, *interval_stats_, counters() - interval_base_,
                      interval_span(clock_us()));
  } else {
    format_stats_json(report, run_stats_, counters(), run_span());
  }
}

// A file's end leaves the figures to be looked at: serve them until SIGINT or SIGTERM.
void Run::serve_metrics_until_stopped() {
  if (!config_.quiet) {
    fmt::print(stderr, "zkdump: capture ended; serving metrics on port {} until interrupted\n",
               metrics_server_->port());
  }
  while (!stop_requested.load()) {
    reload_web_config_if_asked();
    if (metrics_server_->any_wanted()) serve_metrics();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// SIGHUP: the new file applies whole, or not at all and the old one stays.
void Run::reload_web_config_if_asked() {
  if (!reload_requested.exchange(false)) return;
  if (config_.web_config.empty()) {
    fmt::print(stderr, "zkdump: SIGHUP: no --web-config to re-read\n");
    return;
  }
  try {
    metrics_server_->reload(metrics::load_web_config(config_.web_config));
    fmt::print(stderr, "zkdump: --web-config {}: reloaded\n", config_.web_config);
  } catch (const std::exception& error) {
    fmt::print(stderr, "zkdump: --web-config not reloaded, the previous one stays: {}\n",
               error.what());
  }
}

bool Run::keep_going() const {
  if (stop_requested.load() || quit_) return false;
  if (lines_ && lines_->finished()) return false;
  return config_.mode != Mode::kGrouped || !grouped_.done();
}

void Run::on_packet(const capture::RawPacket& raw) {
  ++packets_.packets;
  packets_.bytes += raw.wire_length;
  last_ts_us_ = std::max(last_ts_us_, raw.ts_us);  // capture clocks may step back: spans do not
  const net::ParseOutcome outcome =
      net::parse_packet(source_.linktype(), raw.bytes, raw.ts_us, segment_);
  ++packets_.outcomes[static_cast<std::size_t>(outcome)];
  if (outcome == net::ParseOutcome::kTruncated) {
    session::CaptureProblem problem;
    problem.kind = session::CaptureProblem::Kind::kTruncatedPacket;
    problem.ts_us = raw.ts_us;
    problem.captured = static_cast<std::uint32_t>(raw.bytes.size());
    problem.wire_length = raw.wire_length;
    sinks_.capture(problem);
  } else if (outcome == net::ParseOutcome::kTcp) {
    if (port_bytes_) {
      (*port_bytes_)[segment_.source.port] += segment_.payload.size();
      (*port_bytes_)[segment_.destination.port] += segment_.payload.size();
    }
    // Detection orients by named ports too, and finds a connection either way round: one it
    // oriented from its bytes keeps its key when a config names its port later.
    if (config_.detect) {
      connections_.segment_either_way(segment_, detection_);
    } else if (ports_.role(segment_.destination.port) != session::PortRole::kNone) {
      connections_.segment(segment_, Direction::kToServer);
    } else if (ports_.role(segment_.source.port) != session::PortRole::kNone) {
      connections_.segment(segment_, Direction::kToClient);
    } else {
      ++packets_.other_tcp;
    }
  }
  connections_.advance(raw.ts_us);
}

// Kernel drops are reported as they happen, in the output itself: nobody should believe they saw
// everything when they did not.
void Run::check_drops() {
  if (!drop_check_.due()) return;
  const capture::CaptureStats stats = source_.stats();
  const std::uint64_t dropped = stats.dropped_by_kernel + stats.dropped_by_interface;
  if (dropped <= drops_reported_) return;
  session::CaptureProblem problem;
  problem.ts_us = now_us();
  problem.dropped = dropped - drops_reported_;
  problem.total = dropped;
  const std::string interface = source_.name();
  problem.interface = interface;
  sinks_.capture(problem);
  drops_reported_ = dropped;
}

std::uint64_t Run::decoded_messages() const {
  const session::ClientCounters& client = clients_.counters();
  const session::EtcdCounters& etcd = etcd_.counters();
  return client.requests + client.replies + client.events + servers_.messages() + etcd.requests +
         etcd.replies + etcd.statuses;
}

// Live, no silence: when nothing decoded for 5 s, say once what the capture did see.
void Run::check_silence() {
  constexpr std::int64_t kQuiet_us = 5'000'000;
  constexpr std::size_t kPortsShown = 5;
  if (!port_bytes_ || !silence_check_.due()) return;
  if (decoded_messages() > 0) return port_bytes_.reset();
  if (now_us() - run_start_us_ < kQuiet_us) return;
  std::vector<std::pair<std::uint64_t, std::uint16_t>> busiest;
  for (std::size_t port = 0; port < port_bytes_->size(); ++port) {
    if ((*port_bytes_)[port] > 0) busiest.emplace_back((*port_bytes_)[port], port);
  }
  std::sort(busiest.begin(), busiest.end(), std::greater<>());
  busiest.resize(std::min(busiest.size(), kPortsShown));
  std::string seen;
  for (const auto& [bytes, port] : busiest) {
    seen += fmt::format("{}port {} ({} bytes)", seen.empty() ? "" : ", ", port, bytes);
  }
  fmt::print(stderr,
             "zkdump: nothing decoded in {} s: {}; none of it looked like ZooKeeper, its quorum or "
             "etcd (name a port with --port, --quorum-port, --election-port or --etcd-port to "
             "decode it as one)\n",
             kQuiet_us / 1'000'000,
             seen.empty() ? std::string("no TCP payload seen") : "TCP payload on " + seen);
  port_bytes_.reset();
}

// Live: what the analyses wait for (a silent session) happens without packets too.
void Run::tick_analyses() {
  if (!analyses_ || !analysis_tick_.due()) return;
  sinks_.tick(now_us());
}

// Live: endpoints write a connection's secrets as its handshake goes; waiting ones decrypt.
void Run::check_keys() {
  if (key_check_.due()) tls_.tick();
}

// A pcapng file's secrets, read as libpcap reads on: known before the packets after them.
void Run::take_embedded_secrets() {
  capture::EmbeddedSecrets* secrets = source_.embedded_secrets();
  if (secrets != nullptr && secrets->pending()) keys_.parse(secrets->take());
}

void Run::report_skipped_secrets() const {
  const capture::EmbeddedSecrets* secrets = source_.embedded_secrets();
  if (secrets == nullptr || secrets->skipped() == 0) return;
  fmt::print(stderr,
             "zkdump: warning: {}: {} of {} decryption secrets blocks not read (not a TLS key "
             "log, over {} MiB, or cut short)\n",
             source_.name(), secrets->skipped(), secrets->blocks(),
             capture::EmbeddedSecrets::kMaxBlockBytes >> 20);
}

// Live: requests waiting past --pending-after are reported while they wait, not when answered.
void Run::check_pending() {
  if (config_.pending_after_us <= 0 || !pending_check_.due()) return;
  clients_.report_pending(now_us(), config_.pending_after_us);
}

session::CaptureCounters Run::counters() const {
  const tcp::ReassemblyCounters& tcp = connections_.counters();
  const capture::CaptureStats capture = source_.stats();
  session::CaptureCounters counters;
  counters.packets = packets_.packets;
  counters.bytes = packets_.bytes;
  counters.segments = tcp.segments;
  counters.bytes_to_server = tcp.payload_bytes[0];
  counters.bytes_to_client = tcp.payload_bytes[1];
  counters.kernel_drops = capture.dropped_by_kernel;
  counters.interface_drops = capture.dropped_by_interface;
  counters.gaps = tcp.gaps;
  counters.gap_bytes = tcp.gap_bytes;
  counters.connections_opened = tcp.connections_opened;
  counters.connections_expired = tcp.connections_expired;
  counters.connections_evicted = tcp.connections_evicted;
  counters.segments_dropped_at_cap = tcp.out_of_order_dropped;
  counters.undecodable_frames = clients_.counters().undecodable_frames;
  counters.unknown_replies = clients_.counters().unknown_replies;
  return counters;
}

void Run::write_stats_report(const StatsSet& sinks, const session::CaptureCounters& totals,
                             const stats::ReportSpan& span) {
  fmt::memory_buffer report;
  if (config_.json) {
    format_stats_json(report, sinks, totals, span);
  } else {
    sinks.collector.write_text(report, totals, span);
    if (!sinks.zab.empty()) {
      report.push_back('\n');
      sinks.zab.write_text(report, span);
    }
    if (!sinks.etcd.empty()) {
      report.push_back('\n');
      sinks.etcd.write_text(report, span);
    }
    if (sinks.analyses) {
      report.push_back('\n');
      sinks.analyses->write_text(report, span);
    }
  }
  write(report);
  out_.flush();
}

void Run::format_stats_json(fmt::memory_buffer& report, const StatsSet& sinks,
                            const session::CaptureCounters& totals, const stats::ReportSpan& span) {
  sinks.collector.write_json(report, totals, span);
  if (!sinks.zab.empty()) sinks.zab.write_json(report, span);
  if (!sinks.etcd.empty()) sinks.etcd.write_json(report, span);
  if (sinks.analyses) sinks.analyses->write_json(report, span);
}

// --stats-interval: a report for every interval that ended by `now`, each covering only its
// interval, empty ones included, so a pipeline reading them gets an even series. Intervals fall
// on multiples of their length since the epoch (10 s: :00, :10, :20), as sar's do.
void Run::report_intervals_due(std::int64_t now) {
  if (!interval_stats_ || now == INT64_MIN) return;
  const std::int64_t length_us = config_.stats_interval_s * 1'000'000;
  if (interval_start_us_ == INT64_MIN) {
    interval_start_us_ = run_start_us_ - (run_start_us_ % length_us + length_us) % length_us;
  }
  while (now >= interval_start_us_ + length_us) {
    const session::CaptureCounters current = counters();
    write_stats_report(*interval_stats_, current - interval_base_,
                       interval_span(interval_start_us_ + length_us));
    interval_stats_->start_interval();
    interval_base_ = current;
    interval_start_us_ += length_us;
  }
}

// The current interval up to `end`; the first begins with the run, not at its boundary.
stats::ReportSpan Run::interval_span(std::int64_t end) const {
  return {std::max(interval_start_us_, run_start_us_), end, false};
}

// --top: keys are read and the screen redrawn at most every 100 ms, not per packet.
void Run::service_top(bool capturing) {
  if (!top_check_.due()) return;
  if (!top_->handle_keys()) {
    quit_ = true;
    return;
  }
  if (top_->due()) draw_top(capturing);
}

void Run::draw_top(bool capturing) {
  const std::string source = source_.name();
  top_->draw({run_stats_.collector, run_stats_.etcd, run_span(), source, capturing,
              clients_.oldest_pending(), clock_us(),
              run_stats_.analyses ? &*run_stats_.analyses : nullptr, counters()});
}

int Run::capture() {
  active_source.store(&source_);
  if (stop_requested.load()) source_.interrupt();
  capture::RawPacket raw;
  int exit_code = kExitOk;
  if (live_) run_start_us_ = now_us();
  if (live_ && !config_.quiet) port_bytes_ = std::make_unique<std::array<std::uint64_t, 65536>>();
  while (keep_going()) {
    if (top_) service_top(true);
    if (metrics_server_ != nullptr) {
      reload_web_config_if_asked();
      if (metrics_server_->any_wanted()) serve_metrics();
    }
    const capture::NextStatus status = source_.next(raw);
    if (live_) {
      check_drops();
      check_keys();
      check_pending();
      tick_analyses();
      check_silence();
      report_intervals_due(now_us());
    } else if (status == capture::NextStatus::kPacket) {
      take_embedded_secrets();
      // Before the packet: its messages belong to the interval its time falls in.
      run_start_us_ = run_start_us_ == INT64_MIN ? raw.ts_us : std::min(run_start_us_, raw.ts_us);
      report_intervals_due(raw.ts_us);
      // A finding due by this packet's time is reported before it, a FIN or RST included.
      if (analyses_) sinks_.tick(raw.ts_us);
    }
    if (status == capture::NextStatus::kTimeout) {
      connections_.advance(now_us());  // live: holes and idle connections age without packets
      continue;
    }
    if (status == capture::NextStatus::kEnd) break;
    if (status == capture::NextStatus::kError) {
      fmt::print(stderr, "zkdump: {}: {} (after packet {})\n", source_.name(), source_.last_error(),
                 packets_.packets);
      exit_code = kExitReadError;
      break;
    }
    on_packet(raw);
  }
  report_skipped_secrets();
  return exit_code;
}

void Run::write_quorum_summary() {
  if (!quorum_summary_.seen_any()) return;
  fmt::memory_buffer report;
  if (config_.json) {
    quorum_summary_.write_json(report);
  } else {
    quorum_summary_.write_text(report);
  }
  // Under --stats the statistics report carries each follower's percentiles instead.
  if (config_.mode != Mode::kStats) {
    if (!config_.json) {
      run_stats_.zab.write_brief_text(report);
    } else if (!run_stats_.zab.empty()) {
      run_stats_.zab.write_json(report, run_span());
    }
  }
  write(report);
}

stats::ReportSpan Run::run_span() const {
  std::int64_t end = clock_us();
  if (end == INT64_MIN) end = 0;  // a capture without a packet
  return {run_start_us_ == INT64_MIN ? end : run_start_us_, end, true};
}

// With --stats-interval, the last interval (however short) and then the whole run.
void Run::write_final_stats(const stats::ReportSpan& span) {
  if (interval_stats_) {
    report_intervals_due(span.end_us);
    if (span.end_us > interval_start_us_ && interval_start_us_ != INT64_MIN) {
      write_stats_report(*interval_stats_, counters() - interval_base_, interval_span(span.end_us));
    }
  }
  write_stats_report(run_stats_, counters(), span);
}

// --omni: which ports the election's configs taught it (with the summary), and a warning when
// it decoded no server-to-server traffic at all, which else would look like a quiet ensemble.
void Run::report_omni() const {
  if (!config_.quiet) {
    std::string learned;
    for (const auto& [sid, ports] : servers_.learned()) {
      learned +=
          fmt::format("{}server {} (election {}, ZAB {}, client {})", learned.empty() ? "" : ", ",
                      sid, ports.election_port, ports.quorum_port, ports.client_port);
    }
    fmt::print(stderr, "zkdump: --omni learned {}\n",
               learned.empty() ? "no server's ports: no election notification carried the "
                                 "ensemble's configuration"
                               : learned);
  }
  if (servers_.messages() == 0 && config_.detect) {
    fmt::print(stderr,
               "zkdump: warning: --omni decoded no election or ZAB traffic: no connection of the "
               "capture looked like either\n");
  } else if (servers_.messages() == 0) {
    fmt::print(stderr,
               "zkdump: warning: --omni decoded no election or ZAB traffic. It starts on election "
               "port(s) {} and ZAB port(s) {} and learns the others from election "
               "notifications; name the ensemble's ports with --election-port and --quorum-port\n",
               fmt::join(config_.election_ports, ", "), fmt::join(config_.quorum_ports, ", "));
  }
}

void Run::finish() {
  if (top_) {  // a finished file stays on screen until q
    draw_top(false);
    while (!quit_ && !stop_requested.load()) {
      service_top(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    top_.reset();
  }
  active_source.store(nullptr);
  if (live_) {
    drop_check_.make_due();
    check_drops();
  }
  const stats::ReportSpan span = run_span();
  sinks_.finish(span.end_us);
  connections_.close_all(span.end_us);
  if (config_.mode == Mode::kLines || config_.mode == Mode::kStats) write_quorum_summary();
  if (config_.mode == Mode::kStats) write_final_stats(span);
  if (config_.mode == Mode::kGrouped) {
    fmt::memory_buffer report;
    grouped_.write(report);
    write(report);
  }
  out_.flush();
  // A reader that went away (zkdump ... | head) ends the run quietly.
  if (!config_.quiet && !out_.closed()) {
    print_summary(packets_, connections_.counters(), budget_, detection_.counters(),
                  clients_.counters(), etcd_.counters(), source_.stats());
  }
  if (config_.learn_ports && !out_.closed()) report_omni();
  if (metrics_server_ != nullptr && !live_ && !stop_requested.load()) {
    serve_metrics_until_stopped();
  }
}

}  // namespace

void request_reload() {
  reload_requested.store(true);
}

void request_stop() {
  stop_requested.store(true);
  if (capture::PcapSource* source = active_source.load()) source->interrupt();
}

// What tcpdump says as a live capture starts, and which ports zkdump decodes.
void announce(const capture::PcapSource& source, const Config& config) {
  std::string ports;
  if (!config.client_ports.empty()) {
    ports = fmt::format("client port {}", fmt::join(config.client_ports, ", "));
  }
  if (!config.election_ports.empty()) {
    ports += fmt::format("; election port {}", fmt::join(config.election_ports, ", "));
  }
  if (!config.quorum_ports.empty()) {
    ports += fmt::format("; ZAB port {}", fmt::join(config.quorum_ports, ", "));
  }
  if (!config.etcd_ports.empty()) {
    ports += fmt::format("; etcd port {}", fmt::join(config.etcd_ports, ", "));
  }
  if (config.learn_ports) ports += "; and every port the election's configs name";
  if (ports.starts_with("; ")) ports.erase(0, 2);
  if (config.detect) {
    ports = ports.empty() ? "ZooKeeper, its quorum and etcd found on any TCP port by their bytes"
                          : fmt::format("{}; and any TCP port by its bytes", ports);
  }
  fmt::print(stderr, "zkdump: listening on {}, link-type {}, snapshot length {} bytes; {}\n",
             source.name(), source.linktype_name(), source.snaplen(), ports);
}

int decode_with(const Config& config, capture::PcapSource& source, tls::KeyLog& keys, int output_fd,
                metrics::MetricsServer* metrics_server) {
  auto run = std::make_unique<Run>(config, source, keys, output_fd, metrics_server);
  const int exit_code = run->capture();
  run->finish();
  return exit_code;
}

// What the endpoint is open to, said once: who can reach it, and whether it asks who they are.
void announce_metrics(const metrics::ListenAddress& address, const metrics::WebConfig& web,
                      const metrics::MetricsServer& server) {
  if (address.host.empty()) {
    fmt::print(stderr,
               "zkdump: metrics on 127.0.0.1:{} only; --metrics-listen 0.0.0.0:{} (or [::]:{}) "
               "serves other hosts, --web-config adds TLS and basic auth\n",
               server.port(), server.port(), server.port());
  } else if (!server.uses_tls() && web.users.empty() && address.host.rfind("127.", 0) != 0 &&
             address.host != "::1" && address.host != "localhost") {
    fmt::print(stderr,
               "zkdump: metrics on {}:{} in clear to any host, with no authentication; "
               "--web-config adds TLS and basic auth\n",
               address.host.find(':') != std::string::npos ? fmt::format("[{}]", address.host)
                                                           : address.host,
               server.port());
  }
  if (web.wants_http2) {
    fmt::print(stderr,
               "zkdump: --web-config asks for HTTP/2: the metrics are served over "
               "HTTP/1.1, which Prometheus speaks too\n");
  }
}

std::unique_ptr<metrics::MetricsServer> start_metrics_server(const Options& options) {
  metrics::ListenAddress address;
  metrics::parse_listen_address(options.metrics_listen, address);
  metrics::WebConfig web;
  if (!options.web_config.empty()) web = metrics::load_web_config(options.web_config);
  auto server = std::make_unique<metrics::MetricsServer>(address, metrics::ServerLimits{}, web);
  if (!options.quiet) announce_metrics(address, web, *server);
  return server;
}

int list_interfaces() {
  try {
    for (const std::string& line : capture::list_interfaces()) fmt::print("{}\n", line);
  } catch (const std::exception& error) {
    fmt::print(stderr, "zkdump: {}\n", error.what());
    return kExitUsage;
  }
  return kExitOk;
}

// --tls-keylog's files, and SSLKEYLOGFILE's when it is set and readable.
void load_key_logs(const Options& options, tls::KeyLog& keys) {
  std::vector<std::string> paths = options.tls_keylogs;
  const char* from_environment = std::getenv("SSLKEYLOGFILE");
  if (from_environment != nullptr && *from_environment != '\0' &&
      ::access(from_environment, R_OK) == 0 &&
      std::find(paths.begin(), paths.end(), from_environment) == paths.end()) {
    paths.emplace_back(from_environment);
  }
  for (const std::string& path : paths) {
    std::string error;
    std::string warning;
    if (!keys.add_file(path, error, warning)) throw std::runtime_error(error);
    if (!warning.empty()) fmt::print(stderr, "zkdump: warning: {}\n", warning);
  }
}

int run(const Options& options) {
  if (options.list_interfaces) return list_interfaces();
  std::unique_ptr<capture::PcapSource> source;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  const Config config = make_config(options);
  tls::KeyLog keys;
  try {
    load_key_logs(options, keys);
    if (options.top && options.read_file == "-") {
      throw std::runtime_error(
          "--top reads its keys from the terminal: it cannot read the capture from -r -");
    }
    if (options.top && (isatty(STDIN_FILENO) != 1 || isatty(STDOUT_FILENO) != 1)) {
      throw std::runtime_error(
          "--top draws on a terminal and reads its keys from it: standard input and output must "
          "be one (--stats prints a report anywhere)");
    }
    if (options.read_file.empty()) {
      capture::LiveOptions live_options;
      live_options.interface = options.interface;
      live_options.snaplen = options.snaplen;
      live_options.buffer_bytes = options.buffer_kib * 1024;
      live_options.immediate = options.line_buffered || options.top;
      source = capture::PcapSource::open_live(live_options);
      source->set_filter(live_filter(config, options.filter, source->linktype()));
      if (!options.quiet) announce(*source, config);
    } else {
      source = capture::PcapSource::open_file(options.read_file);
      // Offline, only the user's expression filters: fragments and other traffic are counted.
      if (!options.filter.empty()) source->set_filter(options.filter);
    }
    if (!net::is_supported_linktype(source->linktype())) {
      throw std::runtime_error(
          fmt::format("{}: unsupported link type {}", source->name(), source->linktype()));
    }
    if (!options.write_file.empty()) source->write_to(options.write_file);
    // Bound before -Z, as the capture is opened: a port below 1024 needs root too.
    if (!options.metrics_listen.empty()) metrics_server = start_metrics_server(options);
    if (!options.drop_user.empty()) drop_privileges(options.drop_user);
  } catch (const std::exception& error) {
    fmt::print(stderr, "zkdump: {}\n", error.what());
    return kExitUsage;
  }
  return decode_with(config, *source, keys, STDOUT_FILENO, metrics_server.get());
}

int decode(capture::PcapSource& source, const Options& options, int output_fd,
           metrics::MetricsServer* metrics_server) {
  tls::KeyLog keys;
  load_key_logs(options, keys);
  return decode_with(make_config(options), source, keys, output_fd, metrics_server);
}

}  // namespace zkdump::app

#include "pipeline.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "config.hpp"
#include "zkdump/net/packet.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/stats/collector.hpp"
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

constexpr auto kDropCheckInterval = std::chrono::seconds(1);
constexpr auto kTopCheckInterval = std::chrono::milliseconds(100);

// -Z: once the capture is open, run as USER, as tcpdump does.
void drop_privileges(const std::string& user) {
  const passwd* account = getpwnam(user.c_str());
  if (account == nullptr) throw std::runtime_error("-Z: no such user: " + user);
  if (initgroups(account->pw_name, account->pw_gid) != 0 || setgid(account->pw_gid) != 0 ||
      setuid(account->pw_uid) != 0) {
    throw std::runtime_error("-Z: cannot switch to user " + user + ": " + std::strerror(errno));
  }
}

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

// Hands each connection to the stage for its server port's protocol.
class ProtocolRouter final : public tcp::StreamHandlerFactory {
 public:
  ProtocolRouter(const session::PortMap& ports, session::ClientSessions& clients,
                 session::QuorumSessions& servers)
      : ports_(ports), clients_(clients), servers_(servers) {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override {
    if (ports_.role(server.port) == session::PortRole::kClient) {
      return clients_.open(client, server, from_start, ts_us);
    }
    return servers_.open(client, server, from_start, ts_us);
  }

 private:
  const session::PortMap& ports_;
  session::ClientSessions& clients_;
  session::QuorumSessions& servers_;
};

void print_summary(const PacketCounters& packets, const tcp::ReassemblyCounters& tcp,
                   const session::ClientCounters& session, const capture::CaptureStats& stats) {
  using Outcome = net::ParseOutcome;
  using Problem = framing::Problem;
  fmt::print(stderr,
             "zkdump: {} packets ({} bytes): {} ZooKeeper TCP segments, {} other TCP, {} non-TCP, "
             "{} non-IP, {} IP fragments, {} truncated, {} malformed\n",
             packets.packets, packets.bytes, tcp.segments, packets.other_tcp,
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
             "segments, {} oversized frames, {} undecodable stretches, {} buffer-cap drops\n",
             tcp.connections_opened, tcp.connections_expired, tcp.connections_evicted, tcp.gaps,
             tcp.gap_bytes, tcp.truncated_segments, session.problem(Problem::kOversized),
             session.problem(Problem::kUndecodable),
             session.problem(Problem::kBufferLimit) + tcp.out_of_order_dropped);
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
  Run(const Config& config, capture::PcapSource& source, int output_fd);
  int capture();
  void finish();

 private:
  void attach_sinks();
  bool keep_going() const;
  void on_packet(const capture::RawPacket& raw);
  void check_drops();
  void report_interval_if_due(bool have_packet, std::int64_t ts_us);
  void service_top(bool capturing);
  stats::CaptureTotals totals() const;
  void write_stats_report();
  void write_quorum_summary();
  void write(const fmt::memory_buffer& report) { out_.write_line({report.data(), report.size()}); }

  const Config& config_;
  capture::PcapSource& source_;
  const bool live_;
  output::OutputBuffer out_;
  session::Sinks sinks_;
  std::optional<output::LineWriter> lines_;
  stats::Collector collector_;
  stats::GroupedReport grouped_;
  stats::ZabStats zab_stats_;
  stats::QuorumSummary quorum_summary_;
  framing::Budget budget_;
  session::PortMap ports_;
  session::ClientSessions clients_;
  session::QuorumSessions servers_;
  ProtocolRouter router_;
  tcp::ConnectionTable connections_;
  PacketCounters packets_;
  net::TcpSegment segment_;
  std::int64_t last_ts_us_ = 0;
  std::uint64_t drops_reported_ = 0;
  std::chrono::steady_clock::time_point next_drop_check_;
  std::int64_t next_interval_us_ = INT64_MIN;            // capture time, when reading a file
  std::chrono::steady_clock::time_point next_interval_;  // wall-clock time, when live
  std::unique_ptr<top::TopView> top_;
  std::chrono::steady_clock::time_point next_top_check_;
  bool quit_ = false;
};

Run::Run(const Config& config, capture::PcapSource& source, int output_fd)
    : config_(config),
      source_(source),
      live_(source.live()),
      out_(output_fd, config.line_buffered || isatty(output_fd) == 1),
      collector_(config.stats),
      grouped_(config.grouped),
      quorum_summary_(config.lines.timestamps),
      budget_{config.max_buffer_bytes, 0},
      clients_(config.client, sinks_, budget_),
      servers_(sinks_, budget_, ports_),
      router_(ports_, clients_, servers_),
      connections_(router_, config.reassembly),
      next_drop_check_(std::chrono::steady_clock::now() + kDropCheckInterval),
      next_interval_(std::chrono::steady_clock::now() +
                     std::chrono::seconds(config.stats_interval_s)) {
  set_port_roles(config, ports_);
  attach_sinks();
  if (config.mode == Mode::kTop) top_ = std::make_unique<top::TopView>();
}

void Run::attach_sinks() {
  switch (config_.mode) {
    case Mode::kLines:
      lines_.emplace(config_.lines, out_);
      sinks_.add(*lines_);
      sinks_.add(quorum_summary_);
      sinks_.add(zab_stats_);
      break;
    case Mode::kStats:
      sinks_.add(collector_);
      sinks_.add(quorum_summary_);
      sinks_.add(zab_stats_);
      break;
    case Mode::kTop:
      sinks_.add(collector_);
      break;
    case Mode::kGrouped:
      sinks_.add(grouped_);
      break;
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
  last_ts_us_ = raw.ts_us;
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
    if (ports_.role(segment_.destination.port) != session::PortRole::kNone) {
      connections_.segment(segment_, true);
    } else if (ports_.role(segment_.source.port) != session::PortRole::kNone) {
      connections_.segment(segment_, false);
    } else {
      ++packets_.other_tcp;
    }
  }
  connections_.advance(raw.ts_us);
}

// Kernel drops are reported as they happen, in the output itself: nobody should believe they saw
// everything when they did not.
void Run::check_drops() {
  if (std::chrono::steady_clock::now() < next_drop_check_) return;
  next_drop_check_ = std::chrono::steady_clock::now() + kDropCheckInterval;
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

stats::CaptureTotals Run::totals() const {
  stats::CaptureTotals totals;
  totals.packets = packets_.packets;
  totals.bytes_to_server = connections_.counters().payload_bytes[0];
  totals.bytes_to_client = connections_.counters().payload_bytes[1];
  totals.gaps = connections_.counters().gaps;
  totals.gap_bytes = connections_.counters().gap_bytes;
  totals.kernel_drops = drops_reported_;
  totals.undecodable_frames = clients_.counters().undecodable_frames;
  totals.unknown_replies = clients_.counters().unknown_replies;
  return totals;
}

void Run::write_stats_report() {
  fmt::memory_buffer report;
  if (config_.json) {
    collector_.write_json(report, totals());
    if (!zab_stats_.empty()) zab_stats_.write_json(report);
  } else {
    collector_.write_text(report, totals());
    if (!zab_stats_.empty()) {
      report.push_back('\n');
      zab_stats_.write_text(report);
    }
  }
  write(report);
  out_.flush();
}

// --stats-interval: a report per interval of capture time (of wall-clock time when live), each
// covering only its interval.
void Run::report_interval_if_due(bool have_packet, std::int64_t ts_us) {
  if (config_.mode != Mode::kStats || config_.stats_interval_s <= 0) return;
  const std::int64_t interval_us = config_.stats_interval_s * 1'000'000;
  bool due = false;
  if (live_) {
    due = std::chrono::steady_clock::now() >= next_interval_;
    if (due) next_interval_ += std::chrono::seconds(config_.stats_interval_s);
  } else if (have_packet) {
    if (next_interval_us_ == INT64_MIN) next_interval_us_ = ts_us + interval_us;
    due = ts_us >= next_interval_us_;
    while (ts_us >= next_interval_us_) next_interval_us_ += interval_us;
  }
  if (!due) return;
  write_stats_report();
  collector_.start_interval();
  zab_stats_.start_interval();
}

// --top: keys are read and the screen redrawn at most every 100 ms, not per packet.
void Run::service_top(bool capturing) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_top_check_) return;
  next_top_check_ = now + kTopCheckInterval;
  if (!top_->handle_keys()) {
    quit_ = true;
    return;
  }
  top_->refresh(collector_, source_.name(), capturing);
}

int Run::capture() {
  active_source.store(&source_);
  if (stop_requested.load()) source_.interrupt();
  capture::RawPacket raw;
  int exit_code = kExitOk;
  while (keep_going()) {
    if (top_) service_top(true);
    const capture::NextStatus status = source_.next(raw);
    if (live_) check_drops();
    report_interval_if_due(status == capture::NextStatus::kPacket, raw.ts_us);
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
      zab_stats_.write_brief_text(report);
    } else if (!zab_stats_.empty()) {
      zab_stats_.write_json(report);
    }
  }
  write(report);
}

void Run::finish() {
  if (top_) {  // a finished file stays on screen until q
    top_->refresh(collector_, source_.name(), false, true);
    while (!quit_ && !stop_requested.load()) {
      service_top(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    top_.reset();
  }
  active_source.store(nullptr);
  if (live_) {
    next_drop_check_ = std::chrono::steady_clock::now();
    check_drops();
  }
  connections_.close_all(last_ts_us_);
  if (config_.mode == Mode::kLines || config_.mode == Mode::kStats) write_quorum_summary();
  if (config_.mode == Mode::kStats) write_stats_report();
  if (config_.mode == Mode::kGrouped) {
    fmt::memory_buffer report;
    grouped_.write(report);
    write(report);
  }
  out_.flush();
  // A reader that went away (zkdump ... | head) ends the run quietly.
  if (!config_.quiet && !out_.closed()) {
    print_summary(packets_, connections_.counters(), clients_.counters(), source_.stats());
  }
}

}  // namespace

void request_stop() {
  stop_requested.store(true);
  if (capture::PcapSource* source = active_source.load()) source->interrupt();
}

int run(const Options& options) {
  std::unique_ptr<capture::PcapSource> source;
  const Config config = make_config(options);
  try {
    if (options.top && options.read_file == "-") {
      throw std::runtime_error(
          "--top reads its keys from the terminal: it cannot read the capture from -r -");
    }
    if (options.read_file.empty()) {
      capture::LiveOptions live_options;
      live_options.interface = options.interface;
      live_options.snaplen = options.snaplen;
      live_options.buffer_bytes = options.buffer_kib * 1024;
      live_options.immediate = options.line_buffered || options.top;
      source = capture::PcapSource::open_live(live_options);
      source->set_filter(live_filter(config, options.filter, source->linktype()));
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
    if (!options.drop_user.empty()) drop_privileges(options.drop_user);
  } catch (const std::exception& error) {
    fmt::print(stderr, "zkdump: {}\n", error.what());
    return kExitUsage;
  }
  return decode(*source, options, STDOUT_FILENO);
}

int decode(capture::PcapSource& source, const Options& options, int output_fd) {
  const Config config = make_config(options);
  auto run = std::make_unique<Run>(config, source, output_fd);
  const int exit_code = run->capture();
  run->finish();
  return exit_code;
}

}  // namespace zkdump::app

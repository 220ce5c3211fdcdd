#include "pipeline.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "zkdump/capture/pcap_source.hpp"
#include "zkdump/net/packet.hpp"
#include "zkdump/output/message_printer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/output/top_view.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/session/tracker.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/grouped.hpp"
#include "zkdump/stats/zab_stats.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::app {
namespace {

std::atomic<capture::PcapSource*> active_source{nullptr};
std::atomic<bool> stop_requested{false};

constexpr auto kDropCheckInterval = std::chrono::seconds(1);

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
  std::uint64_t outcomes[7] = {};  // by net::ParseOutcome
  std::uint64_t other_tcp = 0;     // TCP not to or from a ZooKeeper port
};

std::vector<int> election_ports(const Options& options) {
  if (options.omni && options.election_ports.empty()) return {3888};
  return options.election_ports;
}

std::vector<int> quorum_ports(const Options& options) {
  if (options.omni && options.quorum_ports.empty()) return {2888};
  return options.quorum_ports;
}

// Hands each connection to the stage for its server port's protocol.
class ProtocolRouter : public tcp::StreamHandlerFactory {
 public:
  ProtocolRouter(const session::PortMap& ports, session::Tracker& clients,
                 session::QuorumTracker& servers)
      : ports_(ports), clients_(clients), servers_(servers) {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override {
    if (ports_.role(server.port) == session::PortRole::kClient)
      return clients_.open(client, server, from_start, ts_us);
    return servers_.open(client, server, from_start, ts_us);
  }

 private:
  const session::PortMap& ports_;
  session::Tracker& clients_;
  session::QuorumTracker& servers_;
};

std::string live_filter(const Options& options, int linktype) {
  std::string ports;
  for (const auto& list : {options.ports, election_ports(options), quorum_ports(options)}) {
    for (int port : list) {
      if (!ports.empty()) ports += " or ";
      ports += fmt::format("port {}", port);
    }
  }
  // --omni learns ports as it goes: the kernel cannot know them in advance.
  if (options.omni) ports = "tcp";
  // On Ethernet, VLAN-tagged traffic needs its own clause (BPF offsets shift after `vlan`);
  // other link types (-i any's cooked headers) have no VLAN tags to match.
  constexpr int kDltEthernet = 1;
  std::string filter = linktype == kDltEthernet
                           ? fmt::format("(tcp and ({0})) or (vlan and tcp and ({0}))", ports)
                           : fmt::format("tcp and ({})", ports);
  if (!options.filter.empty()) filter = fmt::format("({}) and ({})", filter, options.filter);
  return filter;
}

void print_summary(const PacketCounters& packets, const tcp::ReassemblyCounters& tcp,
                   const session::TrackerCounters& session, const capture::CaptureStats& stats) {
  using Outcome = net::ParseOutcome;
  const auto outcome = [&packets](Outcome which) {
    return packets.outcomes[static_cast<int>(which)];
  };
  const auto event = [&session](zk::StreamEvent which) {
    return session.stream_events[static_cast<int>(which)];
  };
  fmt::print(stderr,
             "zkdump: {} packets ({} bytes): {} ZooKeeper TCP segments, {} other TCP, {} non-TCP, "
             "{} non-IP, "
             "{} IP fragments, {} truncated, {} malformed\n",
             packets.packets, packets.bytes, tcp.segments, packets.other_tcp,
             outcome(Outcome::kNotTcp), outcome(Outcome::kNotIp), outcome(Outcome::kFragment),
             outcome(Outcome::kTruncated),
             outcome(Outcome::kMalformed) + outcome(Outcome::kUnsupportedLink));
  fmt::print(stderr,
             "zkdump: {} requests, {} replies, {} events, {} unanswered, {} unknown-xid replies, "
             "{} undecodable frames\n",
             session.requests, session.replies, session.events, session.unanswered,
             session.unknown_replies, session.undecodable_frames);
  fmt::print(stderr,
             "zkdump: {} connections ({} expired, {} evicted); {} gaps ({} bytes), {} snaplen-cut "
             "segments, "
             "{} oversized frames, {} undecodable stretches, {} buffer-cap drops\n",
             tcp.connections_opened, tcp.connections_expired, tcp.connections_evicted, tcp.gaps,
             tcp.gap_bytes, tcp.truncated_segments, event(zk::StreamEvent::kOversizedFrame),
             event(zk::StreamEvent::kUndecodable),
             event(zk::StreamEvent::kBufferLimit) + tcp.out_of_order_dropped);
  if (stats.available) {
    fmt::print(
        stderr,
        "zkdump: {} packets received by filter, {} dropped by kernel, {} dropped by interface\n",
        stats.received, stats.dropped_by_kernel, stats.dropped_by_interface);
  }
}

output::PrintOptions print_options_from(const Options& options, bool grouped_mode) {
  output::PrintOptions print;
  print.json = options.json;
  print.verbose = options.verbose;
  print.show_credentials = options.show_credentials;
  print.timestamps = options.timestamp_style();
  print.discard =
      options.stats || grouped_mode || options.top;  // these modes print no message lines
  return print;
}

stats::GroupedOptions grouped_options_from(const Options& options) {
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
  return grouped;
}

}  // namespace

void request_stop() {
  stop_requested.store(true);
  if (capture::PcapSource* source = active_source.load()) source->interrupt();
}

int run(const Options& options) {
  std::unique_ptr<capture::PcapSource> source;
  try {
    if (options.top && options.read_file == "-") {
      throw std::runtime_error(
          "--top reads its keys from the terminal: it cannot read the capture from -r -");
    }
    const bool live = options.read_file.empty();
    if (live) {
      capture::LiveOptions live_options;
      live_options.interface = options.interface;
      live_options.snaplen = options.snaplen;
      live_options.buffer_bytes = options.buffer_kib * 1024;
      live_options.immediate = options.line_buffered || options.top;
      source = capture::PcapSource::open_live(live_options);
      source->set_filter(live_filter(options, source->linktype()));
    } else {
      source = capture::PcapSource::open_file(options.read_file);
      // Offline, only the user's expression filters: fragments and other traffic are still counted.
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
  const bool line_buffered = options.line_buffered || isatty(output_fd) == 1;
  output::OutputBuffer out(output_fd, line_buffered);
  const bool grouped_mode = options.count_requests > 0 || options.measure_latency > 0;
  const output::PrintOptions print_options = print_options_from(options, grouped_mode);
  output::MessagePrinter printer(print_options);

  session::TrackerOptions tracker_options;
  // Text and JSON alike hold each request until its reply: the pair prints together, in an order
  // that does not depend on how the capture interleaved the two directions. Without message
  // lines (--stats, --top, zktraffic's modes) there is no order to keep.
  tracker_options.paired = !options.unpaired && !print_options.discard;
  tracker_options.include_pings = options.include_pings;
  tracker_options.max_lines = options.count;
  tracker_options.framer.max_frame = options.max_frame;
  session::Tracker tracker(tracker_options, printer, out);
  stats::StatsOptions stats_options;
  stats_options.aggregation_depth = options.aggregation_depth;
  stats_options.limit = options.stats_limit;
  stats::Collector collector(stats_options);
  if (options.stats || options.top) tracker.set_observer(&collector);
  stats::GroupedReport grouped(grouped_options_from(options));
  if (grouped_mode) tracker.set_observer(&grouped);

  tcp::ReassemblyLimits limits;
  limits.max_connections = options.max_connections;
  limits.idle_timeout_us = options.idle_timeout_s * 1'000'000;
  limits.max_out_of_order_total = options.max_buffer_mib << 20;
  session::PortMap port_roles;
  for (int port : options.ports)
    port_roles.set(static_cast<std::uint16_t>(port), session::PortRole::kClient);
  for (int port : election_ports(options))
    port_roles.set(static_cast<std::uint16_t>(port), session::PortRole::kElection);
  for (int port : quorum_ports(options))
    port_roles.set(static_cast<std::uint16_t>(port), session::PortRole::kZab);
  port_roles.learn_from_config = options.omni;
  session::QuorumTracker quorum(printer, out, port_roles);
  stats::ZabStats zab_stats;
  quorum.set_observer(&zab_stats);
  ProtocolRouter router(port_roles, tracker, quorum);
  tcp::ConnectionTable connections(router, limits);

  active_source.store(&source);
  if (stop_requested.load()) source.interrupt();
  PacketCounters packets;
  capture::RawPacket raw;
  net::TcpSegment segment;
  std::int64_t last_ts_us = 0;
  int exit_code = kExitOk;
  const int linktype = source.linktype();
  const bool live = source.live();
  auto next_drop_check = std::chrono::steady_clock::now() + kDropCheckInterval;
  std::uint64_t drops_reported = 0;
  // Kernel drops are reported as they happen, in the output itself: nobody should believe they
  // saw everything when they did not.
  const auto report_new_drops = [&] {
    const capture::CaptureStats stats = source.stats();
    const std::uint64_t dropped = stats.dropped_by_kernel + stats.dropped_by_interface;
    if (dropped <= drops_reported) return;
    out.write_line(
        printer.capture_drops(source.name(), dropped - drops_reported, dropped, now_us()));
    drops_reported = dropped;
  };
  const auto write_stats_report = [&] {
    stats::CaptureTotals totals;
    totals.packets = packets.packets;
    totals.bytes_to_server = connections.counters().payload_bytes[0];
    totals.bytes_to_client = connections.counters().payload_bytes[1];
    totals.gaps = connections.counters().gaps;
    totals.gap_bytes = connections.counters().gap_bytes;
    totals.kernel_drops = drops_reported;
    totals.undecodable_frames = tracker.counters().undecodable_frames;
    totals.unknown_replies = tracker.counters().unknown_replies;
    fmt::memory_buffer report;
    if (options.json) {
      collector.write_json(report, totals);
      if (!zab_stats.empty()) zab_stats.write_json(report);
    } else {
      collector.write_text(report, totals);
      if (!zab_stats.empty()) {
        report.push_back('\n');
        zab_stats.write_text(report);
      }
    }
    out.write_line({report.data(), report.size()});
    out.flush();
  };
  // --stats-interval: a report per interval of capture time (of wall-clock time when live), each
  // covering only its interval; the totals count from the start.
  const std::int64_t interval_us = options.stats_interval_s * 1'000'000;
  std::int64_t next_report_us = INT64_MIN;
  auto next_report_wall =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.stats_interval_s);
  const auto report_interval_if_due = [&](bool have_packet) {
    if (!options.stats || interval_us <= 0) return;
    bool due = false;
    if (live) {
      due = std::chrono::steady_clock::now() >= next_report_wall;
      if (due) next_report_wall += std::chrono::seconds(options.stats_interval_s);
    } else if (have_packet) {
      if (next_report_us == INT64_MIN) next_report_us = raw.ts_us + interval_us;
      due = raw.ts_us >= next_report_us;
      while (raw.ts_us >= next_report_us) next_report_us += interval_us;
    }
    if (!due) return;
    write_stats_report();
    collector.start_interval();
    zab_stats.start_interval();
  };
  // --top: keys are read and the screen redrawn at most every 100 ms, not per packet.
  std::unique_ptr<output::TopView> top;
  if (options.top) top = std::make_unique<output::TopView>();
  auto next_top_check = std::chrono::steady_clock::now();
  bool quit = false;
  const auto service_top = [&](bool capturing) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_top_check) return;
    next_top_check = now + std::chrono::milliseconds(100);
    if (!top->handle_keys()) {
      quit = true;
      return;
    }
    top->refresh(collector, source.name(), capturing);
  };
  while (!tracker.finished() && !stop_requested.load() && !(grouped_mode && grouped.done()) &&
         !quit) {
    if (top) service_top(true);
    const capture::NextStatus status = source.next(raw);
    if (live && std::chrono::steady_clock::now() >= next_drop_check) {
      report_new_drops();
      next_drop_check = std::chrono::steady_clock::now() + kDropCheckInterval;
    }
    report_interval_if_due(status == capture::NextStatus::kPacket);
    if (status == capture::NextStatus::kTimeout) {
      connections.advance(now_us());  // live: holes and idle connections age without packets
      continue;
    }
    if (status == capture::NextStatus::kEnd) break;
    if (status == capture::NextStatus::kError) {
      fmt::print(stderr, "zkdump: {}: {} (after packet {})\n", source.name(), source.last_error(),
                 packets.packets);
      exit_code = kExitReadError;
      break;
    }
    ++packets.packets;
    packets.bytes += raw.wire_length;
    last_ts_us = raw.ts_us;
    const net::ParseOutcome outcome = net::parse_packet(linktype, raw.bytes, raw.ts_us, segment);
    ++packets.outcomes[static_cast<int>(outcome)];
    if (outcome == net::ParseOutcome::kTruncated) {
      out.write_line(printer.truncated_packet(static_cast<std::uint32_t>(raw.bytes.size()),
                                              raw.wire_length, raw.ts_us));
    } else if (outcome == net::ParseOutcome::kTcp) {
      if (port_roles.role(segment.destination.port) != session::PortRole::kNone) {
        connections.segment(segment, true);
      } else if (port_roles.role(segment.source.port) != session::PortRole::kNone) {
        connections.segment(segment, false);
      } else {
        ++packets.other_tcp;
      }
    }
    connections.advance(raw.ts_us);
  }
  // A finished file stays on screen until q.
  if (top) {
    top->refresh(collector, source.name(), false, true);
    while (!quit && !stop_requested.load()) {
      service_top(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    top.reset();
  }
  active_source.store(nullptr);
  if (live) report_new_drops();
  connections.close_all(last_ts_us);
  if (quorum.seen_any()) {
    fmt::memory_buffer report;
    quorum.write_summary(report, options.json);
    // Under --stats the statistics report carries each follower's percentiles instead.
    if (!options.stats) {
      if (options.json) {
        if (!zab_stats.empty()) zab_stats.write_json(report);
      } else {
        zab_stats.write_brief_text(report);
      }
    }
    out.write_line({report.data(), report.size()});
  }
  if (options.stats) write_stats_report();
  if (grouped_mode) {
    fmt::memory_buffer report;
    grouped.write(report);
    out.write_line({report.data(), report.size()});
  }
  out.flush();
  // A reader that went away (zkdump ... | head) ends the run quietly.
  if (!options.quiet && !out.closed())
    print_summary(packets, connections.counters(), tracker.counters(), source.stats());
  return exit_code;
}

}  // namespace zkdump::app

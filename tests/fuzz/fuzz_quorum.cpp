// The leader-election or ZAB decoder (FUZZ_ELECTION=1 or 0) for one server-to-server connection,
// both directions interleaved as the input says: after a control byte, each record is a byte
// holding the direction (high bit) and a length (low 7 bits), then that many bytes.

#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/stats/quorum_summary.hpp"
#include "zkdump/stats/zab_stats.hpp"

namespace {

constexpr std::uint16_t kServerPort = FUZZ_ELECTION ? 3888 : 2888;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  // The sessions, the statistics and the summary are made anew for each input: what earlier
  // inputs left in them would make every later summary slower.
  static zkdump::fuzz::NullOutput text(false), json(true);
  zkdump::fuzz::NullOutput& output = (control & 1) != 0 ? json : text;
  zkdump::output::LineWriter writer(output.options(), output.out());
  zkdump::stats::ZabStats stats;
  zkdump::stats::QuorumSummary summary(zkdump::TimestampStyle::kTime);
  zkdump::session::Sinks sinks;
  sinks.add(writer);
  sinks.add(stats);
  sinks.add(summary);
  zkdump::metrics::MetricsSink metrics({3, 0, true});
  sinks.add(metrics);
  zkdump::stats::AnalysisStats analysis_stats({2, 10, 64}, 1024);
  sinks.add(analysis_stats);
  const zkdump::analysis::Analyses analyses(zkdump::fuzz::every_analysis(), sinks);
  zkdump::framing::Budget budget;
  zkdump::session::PortMap ports;
  ports.set(kServerPort,
            FUZZ_ELECTION ? zkdump::session::PortRole::kElection : zkdump::session::PortRole::kZab);
  zkdump::session::QuorumSessions sessions(sinks, budget, ports, 0);
  zkdump::net::Endpoint client, server;
  client.port = 40000;
  server.port = kServerPort;
  auto connection = sessions.open(client, server, (control & 2) != 0, 0);
  zkdump::fuzz::play_records(*connection, data, size);
  sinks.finish(0);
  connection.reset();
  zkdump::fuzz::write_analysis_report(analysis_stats);
  // The summaries and statistics read what the input built.
  fmt::memory_buffer report;
  summary.write_text(report);
  summary.write_json(report);
  stats.write_text(report, {});
  stats.write_json(report, {});
  stats.write_brief_text(report);
  zkdump::fuzz::check_metrics(metrics);
  return 0;
}

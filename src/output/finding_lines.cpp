// The lines of what the analyses found: WriteTrace, WatchStorm, SessionAtRisk, SessionExpired,
// ConnectionStorm and SizeAlert.
#include <fmt/format.h>

#include "zkdump/output/line_writer.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::output {

void LineWriter::emit_finding(const session::Connection* connection, std::string_view line) {
  if (connection != nullptr && connection->protocol == session::Protocol::kZooKeeper &&
      connection->sink_state[state_index_]) {
    emit(lines_of(*connection), line);
  } else {
    print(line);
  }
}

void LineWriter::write_trace(const session::WriteTrace& trace) {
  if (!trace.selected) return;
  begin({trace.ts_us, false, "write_trace", trace.connection, "", "", {"", "WriteTrace"}});
  fields([&](FieldSink& out) {
    if (trace.session != 0) out.hex_id("session", static_cast<std::uint64_t>(trace.session));
    out.number("xid", trace.xid);
    if (trace.zxid != 0) out.hex_number("zxid", static_cast<std::uint64_t>(trace.zxid));
    out.name("op", trace.op->json_name);
    if (!trace.path.empty()) out.bytes("path", WireBytes::of(trace.path));
    out.number({"error", "err"}, trace.err);
    out.number("total_us", trace.total_us);
    out.begin_object("stages_us", "Stages");
    for (std::size_t stage = 0; stage < session::kWriteStages; ++stage) {
      if (trace.stages_us[stage] < 0) continue;
      const std::string_view name =
          session::write_stage_name(static_cast<session::WriteStage>(stage));
      out.number({name, name}, trace.stages_us[stage]);
    }
    out.end_object();
  });
  emit_finding(trace.connection, end(trace.connection, Peers::kBoth, false));
}

void LineWriter::watch_fanout(const session::WatchFanout& fanout) {
  if (!fanout.storm()) return;
  const std::string_view type = zk::or_unknown(zk::event_type_name(fanout.event_type));
  begin({fanout.ts_us, false, "watch_storm", nullptr, "", "", {"", "WatchStorm"}});
  fields([&](FieldSink& out) {
    if (!fanout.write_op.empty()) out.name("op", fanout.write_op);
    if (fanout.writer_session != 0)
      out.hex_id("session", static_cast<std::uint64_t>(fanout.writer_session));
    if (fanout.zxid > 0) out.hex_number("zxid", static_cast<std::uint64_t>(fanout.zxid));
    out.bytes("path", WireBytes::of(fanout.path));
    out.name("event", type);
    out.number("notifications", fanout.notifications);
    out.number("notified_sessions", fanout.connections);
    out.number("follow_up_reads", fanout.reads);
    out.number("window_us", fanout.window_us);
    out.number("threshold", fanout.threshold);
  });
  print(end(nullptr, Peers::kNone, false));
}

void LineWriter::session_finding(const session::SessionFinding& finding) {
  using Kind = session::SessionFinding::Kind;
  const Peers peers = finding.connection != nullptr ? Peers::kBoth : Peers::kNone;
  switch (finding.kind) {
    case Kind::kAtRisk:
      begin({finding.ts_us,
             false,
             "session_at_risk",
             finding.connection,
             "",
             "",
             {"", "SessionAtRisk"}});
      break;
    case Kind::kExpired:
      begin({finding.ts_us,
             false,
             "session_expired",
             finding.connection,
             "",
             "",
             {"", "SessionExpired"}});
      break;
    case Kind::kSilenceEnded:
      return;
    case Kind::kConnectionStorm:
      begin({finding.ts_us,
             false,
             "connection_storm",
             finding.connection,
             "",
             "",
             {"", "ConnectionStorm"}});
      fields([&](FieldSink& out) {
        out.bytes("host", WireBytes::of(finding.client_host));
        out.number("open_connections", finding.open_connections);
        out.number("connects", finding.connects_in_window);
        out.number("window_us", finding.window_us);
        out.number("threshold", finding.threshold);
      });
      return emit_finding(finding.connection, end(finding.connection, Peers::kBoth, false));
  }
  fields([&](FieldSink& out) {
    out.hex_id("session", static_cast<std::uint64_t>(finding.session));
    if (finding.kind == Kind::kExpired)
      out.name("source", session::session_source_name(finding.source));
    if (finding.timeout_ms > 0) out.number("timeout", finding.timeout_ms);
    if (finding.last_activity_us >= 0) out.number("silent_us", finding.silent_us);
  });
  emit_finding(finding.connection, end(finding.connection, peers, false));
}

void LineWriter::size_alert(const session::SizeAlert& alert) {
  if (!alert.selected) return;
  const std::string_view what = session::size_what_name(alert.what);
  begin({alert.ts_us, false, "size_alert", alert.connection, "", "", {"", "SizeAlert"}});
  fields([&](FieldSink& out) {
    out.name("what", what);
    if (alert.op != nullptr) out.name("op", alert.op->json_name);
    if (!alert.txn_type.empty()) out.name("txn", alert.txn_type);
    if (alert.session != 0) out.hex_id("session", static_cast<std::uint64_t>(alert.session));
    if (alert.zxid != 0) out.hex_number("zxid", static_cast<std::uint64_t>(alert.zxid));
    out.bytes("path", WireBytes::of(alert.path));
    out.number("size", alert.size);
    out.number("jute_maxbuffer", alert.limit);
  });
  emit_finding(alert.connection, end(alert.connection, Peers::kBoth, false));
}

}  // namespace zkdump::output

// The line writer: prints every message as one timestamped line, zktraffic's text or JSON. It
// keeps each connection's lines in order, holding a request's line until its reply so that the
// two print together (paired mode), and stops after -c lines.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/base/timestamp.hpp"
#include "zkdump/output/fields.hpp"
#include "zkdump/output/line_format.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/sink.hpp"

namespace zkdump::output {

struct LineOptions {
  bool json = false;
  bool verbose = false;
  bool show_credentials = false;
  bool show_data = false;  // previews of znode data, txn data and etcd values
  bool include_pings = false;
  bool paired = true;            // hold each request until its reply, print them together
  bool announce_servers = true;  // ServerDiscovered lines; not when filters select exchanges
  std::uint64_t max_lines = 0;   // -c: stop after this many lines, 0 for no limit
  TimestampStyle timestamps = TimestampStyle::kTime;
};

class LineWriter final : public session::Sink {
 public:
  LineWriter(const LineOptions& options, OutputBuffer& out);

  std::size_t request_slots_wanted() const override { return 1; }
  void open(session::Connection& connection) override;
  void closing(session::Connection& connection, tcp::CloseReason reason,
               std::int64_t ts_us) override;
  void close(session::Connection& connection) override;
  void zk(const session::ZkMessage& message) override;
  void unanswered(const session::Unanswered& unanswered) override;
  void pending(const session::Pending& pending) override;
  void quorum(const session::QuorumMessage& message) override;
  void etcd(const session::EtcdMessage& message) override;
  void tls(const session::TlsEvent& event) override;
  void problem(const session::StreamProblem& problem) override;
  void capture(const session::CaptureProblem& problem) override;
  void server_discovered(const session::ServerDiscovered& server) override;
  // What the analyses found (finding_lines.cpp).
  void write_trace(const session::WriteTrace& trace) override;
  void watch_fanout(const session::WatchFanout& fanout) override;
  void session_finding(const session::SessionFinding& finding) override;
  void size_alert(const session::SizeAlert& alert) override;

  // True once -c lines were printed or the reader of the output went away.
  bool finished() const { return limit_reached_ || out_.closed(); }
  std::uint64_t lines() const { return lines_; }

 private:
  struct ConnectionLines;

  void begin(const LineStart& start);
  template <typename Describe>
  void fields(Describe describe);
  std::string_view end(const session::Connection* connection, Peers peers, bool with_session);
  std::string_view end_quorum(const session::QuorumMessage& message);
  static void describe_leader_change(const session::LeaderChange& change, FieldSink& out);

  std::string_view format(const session::ZkMessage& message);
  std::string_view format_connect_request(const session::ZkMessage& message,
                                          const zk::ConnectRequest& request);
  std::string_view format_connect_response(const session::ZkMessage& message,
                                           const zk::ConnectResponse& response);
  std::string_view format_request(const session::ZkMessage& message, const zk::Request& request);
  std::string_view format_reply(const session::ZkMessage& message, const zk::Reply& reply);
  std::string_view format_event(const session::ZkMessage& message, const zk::WatcherEvent& event);
  std::string_view format_four_letter(const session::ZkMessage& message, std::string_view word,
                                      const session::FourLetterReply* reply);
  std::string_view format_client_hello(const session::ZkMessage& message,
                                       const tls::ClientHello& hello);
  std::string_view format_tls_not_decodable(const session::ZkMessage& message);
  std::string_view format_etcd(const session::EtcdMessage& message);
  std::string_view format_undecodable(const session::ZkMessage& message, std::string_view error,
                                      std::string_view op, std::int32_t xid,
                                      std::int32_t frame_size, std::int64_t bad_byte);
  std::string_view format_quorum(const session::QuorumMessage& message);
  void begin_quorum(const session::QuorumMessage& message, std::string_view name);
  std::string_view format_problem(const session::StreamProblem& problem);
  bool visible(const session::ZkMessage& message) const;
  // A finding's line: after the held lines of its connection, if it has one.
  void emit_finding(const session::Connection* connection, std::string_view line);

  ConnectionLines& lines_of(const session::Connection& connection) const;
  // Prints `line`, or holds it behind earlier lines still waiting for their replies.
  void emit(ConnectionLines& lines, std::string_view line);
  static void hold(ConnectionLines& lines, std::string_view line, bool awaiting_reply);
  void hold_request(ConnectionLines& lines, std::string_view line, session::Outstanding* request);
  // The reply (or end) of a request: `answer` printed after its held line if `visible`; the
  // held line itself dropped unless `keep_request`.
  void complete(ConnectionLines& lines, const session::Outstanding* request,
                std::string_view answer, bool visible, bool keep_request = true);
  void flush_ready(ConnectionLines& lines);
  void print(std::string_view text);
  bool relative_times() const;
  std::string_view with_times(std::string_view text);

  LineOptions options_;
  OutputBuffer& out_;
  std::unique_ptr<LineFormat> format_;
  TimestampFormatter timestamps_;  // the deltas of -ttt and -ttttt, filled in as lines print
  fmt::memory_buffer relative_;    // -ttt, -ttttt: a piece of lines with its deltas filled in
  std::uint64_t lines_ = 0;        // counted only under -c
  bool limit_reached_ = false;
};

template <typename Describe>
void LineWriter::fields(Describe describe) {
  describe(format_->begin_fields());
  format_->end_fields();
}

}  // namespace zkdump::output

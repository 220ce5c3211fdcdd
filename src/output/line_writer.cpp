#include "zkdump/output/line_writer.hpp"

#include <charconv>

#include <memory>
#include <vector>

#include "etcd_lines.hpp"
#include "zkdump/base/escape.hpp"
#include "zkdump/base/ring.hpp"
#include "zkdump/base/variant.hpp"
#include "zkdump/session/elapsed.hpp"
#include "zkdump/session/problems.hpp"

namespace zkdump::output {
namespace {

using session::problem_name;
using session::ProblemKind;
using session::QuorumMessage;
using session::ZkMessage;

std::string_view direction_name(Direction direction) {
  return direction == Direction::kToServer ? "to_server" : "to_client";
}

// Which count a stream problem carries: a byte count, or a length or word from the wire.
FieldKey count_key(framing::Problem problem, bool quorum) {
  switch (problem) {
    case framing::Problem::kMessageLostInGap:
    case framing::Problem::kOversized:
    case framing::Problem::kBadLength:
      return "length";
    case framing::Problem::kUnexpectedStart:
      return "first_word";
    case framing::Problem::kGap:
      return quorum ? FieldKey("missing_bytes", "bytes") : FieldKey("bytes");
    default:
      return "bytes";
  }
}

bool is_quorum(const session::Connection& connection) {
  return connection.protocol == session::Protocol::kElection ||
         connection.protocol == session::Protocol::kZab;
}

// Only ZooKeeper client lines wait behind a request for its reply.
bool holds_lines(const session::Connection& connection) {
  return connection.protocol == session::Protocol::kZooKeeper;
}

}  // namespace

// One connection's lines waiting to print behind a request still awaiting its reply.
struct LineWriter::ConnectionLines : session::ConnectionState {
  struct HeldLine {
    std::string text;
    bool awaiting_reply = false;
  };
  Ring<HeldLine> held;  // its slots' strings keep their storage: holding allocates nothing
  std::uint64_t first_held_id = 0;
};

LineWriter::LineWriter(const LineOptions& options, OutputBuffer& out)
    : options_(options), out_(out), timestamps_(options.timestamps) {
  const FieldOptions fields{options.verbose, options.show_credentials, options.show_data};
  format_ = options.json
                ? make_json_format(fields)
                : make_text_format({fields, options.paired, relative_times(), options.timestamps});
}

// ---- Connections and their order ----

LineWriter::ConnectionLines& LineWriter::lines_of(const session::Connection& connection) const {
  return connection.state<ConnectionLines>(state_index_);
}

void LineWriter::open(session::Connection& connection) {
  if (holds_lines(connection))
    connection.sink_state[state_index_] = std::make_unique<ConnectionLines>();
}

void LineWriter::closing(session::Connection& connection, tcp::CloseReason reason,
                         std::int64_t ts_us) {
  if (!holds_lines(connection)) return;
  if (reason != tcp::CloseReason::kEvicted && reason != tcp::CloseReason::kIdle) return;
  // A connection forgotten before it closed: to make room (capacity) or after silence (idle).
  begin({ts_us,
         false,
         "error",
         &connection,
         "error",
         problem_name(ProblemKind::kConnectionEvicted),
         {"", problem_name(ProblemKind::kConnectionEvicted)}});
  fields([&](FieldSink& out) {
    out.name("reason", reason == tcp::CloseReason::kEvicted ? "capacity" : "idle");
  });
  emit(lines_of(connection), end(&connection, Peers::kBoth, true));
}

void LineWriter::close(session::Connection& connection) {
  if (!holds_lines(connection)) return;
  flush_ready(lines_of(connection));
  connection.sink_state[state_index_].reset();
}

bool LineWriter::relative_times() const {
  return options_.timestamps == TimestampStyle::kDeltaPrevious ||
         options_.timestamps == TimestampStyle::kDeltaFirst;
}

// Replaces each time mark with its delta, in the order the lines print. A mark cannot be
// forged: values never carry a raw control byte.
std::string_view LineWriter::with_times(std::string_view text) {
  relative_.clear();
  std::size_t at = 0;
  for (std::size_t mark = text.find(kTimeMark);
       mark != std::string_view::npos && mark + kTimeMarkSize <= text.size();
       mark = text.find(kTimeMark, at)) {
    append_bytes(relative_, text.substr(at, mark - at));
    std::uint64_t ts = 0;
    std::from_chars(text.data() + mark + 1, text.data() + mark + kTimeMarkSize, ts, 16);
    timestamps_.append(relative_, static_cast<std::int64_t>(ts));
    at = mark + kTimeMarkSize;
  }
  append_bytes(relative_, text.substr(at));
  return {relative_.data(), relative_.size()};
}

void LineWriter::print(std::string_view text) {
  if (limit_reached_ || text.empty()) return;
  if (relative_times()) text = with_times(text);
  if (options_.max_lines == 0) {
    out_.write_line(text);
    return;
  }
  // A held request and its reply print as one piece but are two lines for -c.
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out_.write_line(text.substr(start, end - start));
    start = end;
    if (++lines_ >= options_.max_lines) {
      limit_reached_ = true;
      return;
    }
  }
}

void LineWriter::hold(ConnectionLines& lines, std::string_view line, bool awaiting_reply) {
  ConnectionLines::HeldLine& held = lines.held.push_back();
  held.text.assign(line);
  held.awaiting_reply = awaiting_reply;
}

void LineWriter::emit(ConnectionLines& lines, std::string_view line) {
  if (lines.held.empty()) {
    print(line);
  } else {
    hold(lines, line, false);
  }
}

void LineWriter::flush_ready(ConnectionLines& lines) {
  while (!lines.held.empty() && !lines.held.front().awaiting_reply) {
    print(lines.held.front().text);
    lines.held.pop_front();
    ++lines.first_held_id;
  }
}

// The request's slot keeps its held line's id, plus one: 0 means it holds none.
void LineWriter::hold_request(ConnectionLines& lines, std::string_view line,
                              session::Outstanding* request) {
  if (request == nullptr || !options_.paired) {
    emit(lines, line);
    return;
  }
  request->slots[request_slot_] = lines.first_held_id + lines.held.size() + 1;
  hold(lines, line, true);
}

void LineWriter::complete(ConnectionLines& lines, const session::Outstanding* request,
                          std::string_view answer, bool visible, bool keep_request) {
  const std::uint64_t held_id = request != nullptr ? request->slots[request_slot_] : 0;
  if (held_id == 0) {
    if (visible) emit(lines, answer);
    return;
  }
  ConnectionLines::HeldLine& held = lines.held[held_id - 1 - lines.first_held_id];
  if (!keep_request) held.text.clear();  // the filters left the exchange out: nothing prints
  if (visible) held.text.append(answer);
  held.awaiting_reply = false;
  flush_ready(lines);
}

// ---- Line layout ----

void LineWriter::begin(const LineStart& start) {
  format_->begin(start);
}

std::string_view LineWriter::end(const session::Connection* connection, Peers peers,
                                 bool with_session) {
  format_->end(connection, peers, with_session);
  return format_->line();
}

std::string_view LineWriter::end_quorum(const QuorumMessage& message) {
  const session::Connection& connection = *message.connection;
  format_->end_quorum(
      message.direction == Direction::kToServer ? connection.client : connection.server,
      message.direction == Direction::kToServer ? connection.server : connection.client,
      connection.tls);
  return format_->line();
}

// ---- Client messages ----

bool LineWriter::visible(const ZkMessage& message) const {
  if (options_.include_pings) return true;
  if (const auto* request = message.as<zk::Request>()) {
    return request->op == nullptr || request->op->code != zk::kOpPing;
  }
  const auto* reply = message.as<zk::Reply>();
  return reply == nullptr || reply->header.xid != zk::kPingXid;
}

void LineWriter::zk(const ZkMessage& message) {
  ConnectionLines& lines = lines_of(*message.connection);
  const bool selected = message.selection != session::Selection::kNo;
  // An oversized request's line is its OversizedFrame problem's.
  const bool oversized = message.outstanding != nullptr && message.outstanding->oversized;
  const bool shown = selected && !oversized && visible(message);
  const bool request = std::holds_alternative<Ref<zk::ConnectRequest>>(message.body) ||
                       std::holds_alternative<Ref<zk::Request>>(message.body);
  const bool answer = std::holds_alternative<Ref<zk::ConnectResponse>>(message.body) ||
                      std::holds_alternative<Ref<zk::Reply>>(message.body);
  if (request) {
    if (shown) {  // kAtReply too: held, its reply decides
      hold_request(lines, format(message), message.outstanding);
    } else if (message.outstanding != nullptr) {
      message.outstanding->slots[request_slot_] = 0;
    }
  } else if (answer) {
    complete(lines, message.outstanding, shown ? format(message) : std::string_view(), shown,
             selected);
  } else if (selected) {
    emit(lines, format(message));
  }
}

std::string_view LineWriter::format(const ZkMessage& message) {
  return std::visit(
      Overloaded{
          [&](const zk::ConnectRequest& request) {
            return format_connect_request(message, request);
          },
          [&](const zk::ConnectResponse& response) {
            return format_connect_response(message, response);
          },
          [&](const zk::Request& request) { return format_request(message, request); },
          [&](const zk::Reply& reply) { return format_reply(message, reply); },
          [&](const zk::WatcherEvent& event) { return format_event(message, event); },
          [&](const session::FourLetterWord& word) {
            return format_four_letter(message, word.word, nullptr);
          },
          [&](const session::FourLetterReply& reply) {
            return format_four_letter(message, reply.word, &reply);
          },
          [&](const tls::ClientHello& hello) { return format_client_hello(message, hello); },
          [&](const session::OtherTlsRecord&) { return format_tls_not_decodable(message); },
      },
      message.body);
}

std::string_view LineWriter::format_tls_not_decodable(const ZkMessage& message) {
  begin({message.ts_us,
         false,
         "error",
         message.connection,
         "error",
         problem_name(ProblemKind::kTlsNotDecodable),
         {"", problem_name(ProblemKind::kTlsNotDecodable)}});
  fields([&](FieldSink& out) {
    out.name("direction", direction_name(Direction::kToServer));
    out.number("offset", static_cast<std::int64_t>(message.offset));
  });
  return end(message.connection, Peers::kBoth, true);
}

std::string_view LineWriter::format_client_hello(const ZkMessage& message,
                                                 const tls::ClientHello& hello) {
  begin({message.ts_us,
         false,
         "tls",
         message.connection,
         "name",
         "ClientHello",
         {"Tls", "ClientHello"}});
  fields([&](FieldSink& out) { tls::describe(hello, out); });
  return end(message.connection, Peers::kBoth, false);
}

std::string_view LineWriter::format_undecodable(const ZkMessage& message, std::string_view error,
                                                std::string_view op, std::int32_t xid,
                                                std::int32_t frame_size, std::int64_t bad_byte) {
  const bool reply = message.direction == Direction::kToClient;
  begin({message.ts_us, reply, "error", message.connection, "op", op, {"", error}});
  fields([&](FieldSink& out) {
    out.name("error", error, FieldRole::kInName);
    out.number("xid", xid);
    out.number("size", frame_size);
    out.number("offset", static_cast<std::int64_t>(message.offset));
    // Where in the frame the record stopped making sense, its length prefix included.
    out.number("bad_byte", bad_byte);
  });
  return end(message.connection, reply ? Peers::kServer : Peers::kClient, true);
}

std::string_view LineWriter::format_connect_request(const ZkMessage& message,
                                                    const zk::ConnectRequest& request) {
  if (!request.decoded.complete) {
    return format_undecodable(message, problem_name(ProblemKind::kUndecodableConnectRequest),
                              "connect", 0, message.frame_size, request.decoded.bad_byte);
  }
  begin({message.ts_us, false, "request", message.connection, "op", "connect",
         zk::line_name(request)});
  fields([&](FieldSink& out) { zk::describe(request, out); });
  return end(message.connection, Peers::kClient, false);
}

std::string_view LineWriter::format_connect_response(const ZkMessage& message,
                                                     const zk::ConnectResponse& response) {
  if (!response.decoded.complete) {
    return format_undecodable(message, problem_name(ProblemKind::kUndecodableConnectReply),
                              "connect", 0, message.frame_size, response.decoded.bad_byte);
  }
  begin(
      {message.ts_us, true, "reply", message.connection, "op", "connect", zk::line_name(response)});
  fields([&](FieldSink& out) { zk::describe(response, message.latency_us, out); });
  return end(message.connection, Peers::kServer, false);
}

std::string_view LineWriter::format_request(const ZkMessage& message, const zk::Request& request) {
  if (request.op == nullptr) {  // an opcode the protocol does not have
    begin({message.ts_us, false, "request", message.connection, "op", "unknown",
           zk::line_name(request)});
    fields([&](FieldSink& out) {
      zk::describe(request, out);
      out.number("offset", static_cast<std::int64_t>(message.offset));
    });
    return end(message.connection, Peers::kClient, true);
  }
  if (!request.decoded.complete) {
    return format_undecodable(message, problem_name(ProblemKind::kUndecodableRequest),
                              request.op->json_name, request.xid, request.frame_size,
                              request.decoded.bad_byte);
  }
  begin({message.ts_us, false, "request", message.connection, "op", request.op->json_name,
         zk::line_name(request)});
  fields([&](FieldSink& out) { zk::describe(request, out); });
  const bool closes = request.op->code == zk::kOpCloseSession;
  return end(message.connection, closes ? Peers::kBoth : Peers::kClient, true);
}

std::string_view LineWriter::format_reply(const ZkMessage& message, const zk::Reply& reply) {
  const std::string_view op = reply.op != nullptr ? reply.op->json_name : "unknown";
  if (!reply.decoded.complete) {
    return format_undecodable(message, problem_name(ProblemKind::kUndecodableReply), op,
                              reply.header.xid, reply.frame_size, reply.decoded.bad_byte);
  }
  begin({message.ts_us, true, "reply", message.connection, "op", op, zk::line_name(reply)});
  fields([&](FieldSink& out) { zk::describe(reply, message.latency_us, out); });
  return end(message.connection, Peers::kServer, true);
}

std::string_view LineWriter::format_event(const ZkMessage& message, const zk::WatcherEvent& event) {
  if (!event.decoded.complete) {
    return format_undecodable(message, problem_name(ProblemKind::kUndecodableEvent), "notification",
                              zk::kNotificationXid, event.frame_size, event.decoded.bad_byte);
  }
  begin({message.ts_us, false, "event", message.connection, "op", "notification",
         zk::line_name(event)});
  fields([&](FieldSink& out) { zk::describe(event, out); });
  return end(message.connection, Peers::kBoth, true);
}

// `reply`: the server's answer, or null for the word itself.
std::string_view LineWriter::format_four_letter(const ZkMessage& message, std::string_view word,
                                                const session::FourLetterReply* reply) {
  const bool answers = reply != nullptr;
  begin({message.ts_us,
         answers,
         answers ? "reply" : "request",
         message.connection,
         "op",
         "fourLetterWord",
         {"", answers ? "FourLetterReply" : "FourLetterWord"}});
  fields([&](FieldSink& out) {
    out.name("cmd", word);
    if (reply == nullptr) return;
    out.number("size", static_cast<std::int64_t>(reply->answer_bytes));
    // What the server said (its first 64 KiB), quoted and escaped: -v in text, always in JSON.
    out.bytes("text", WireBytes::of(reply->answer), FieldRole::kDetail);
  });
  return end(message.connection, answers ? Peers::kServer : Peers::kBoth, true);
}

void LineWriter::unanswered(const session::Unanswered& unanswered) {
  const session::Outstanding& request = *unanswered.request;
  const bool shown =
      options_.include_pings || request.op == nullptr || request.op->code != zk::kOpPing;
  if (!shown || !unanswered.selected) {
    complete(lines_of(*unanswered.connection), &request, {}, false, unanswered.selected);
    return;
  }
  // Text lines keep the time it was given up; JSON objects the request's own.
  begin({options_.json ? request.ts_us : unanswered.ts_us,
         true,
         "unanswered",
         unanswered.connection,
         "op",
         request.op_name(),
         {"", "Unanswered"}});
  fields([&](FieldSink& out) {
    out.number("xid", request.xid);
    if (!options_.json) out.name("op", request.op_name());
    if (!request.path.empty()) out.bytes("path", WireBytes::of(request.path));
    out.number("waited_us", session::elapsed_us(request.ts_us, unanswered.ts_us));
    out.name("reason", unanswered.reason);
  });
  complete(lines_of(*unanswered.connection), &request,
           end(unanswered.connection, Peers::kBoth, true), true);
}

// Printed at once, ahead of the lines held for this connection: the operator looks now.
void LineWriter::pending(const session::Pending& pending) {
  const session::Outstanding& request = *pending.request;
  if (!pending.selected) return;
  if (!options_.include_pings && request.op != nullptr && request.op->code == zk::kOpPing) return;
  begin({pending.ts_us,
         false,
         "pending",
         pending.connection,
         "op",
         request.op_name(),
         {"", "Pending"}});
  fields([&](FieldSink& out) {
    out.number("xid", request.xid);
    if (!options_.json) out.name("op", request.op_name());
    if (!request.path.empty()) out.bytes("path", WireBytes::of(request.path));
    out.number("waited_us", session::elapsed_us(request.ts_us, pending.ts_us));
  });
  print(end(pending.connection, Peers::kBoth, true));
}

// ---- Server-to-server messages, stream and capture problems ----

std::string_view LineWriter::format_quorum(const QuorumMessage& message) {
  std::visit(
      Overloaded{
          [&](const zk::quorum::ElectionHeader& header) {
            begin_quorum(message, "ElectionHeader");
            fields([&](FieldSink& out) { zk::quorum::describe(header, out); });
          },
          [&](const session::ElectionNotification& vote) {
            begin_quorum(message, "Notification");
            fields(
                [&](FieldSink& out) { zk::quorum::describe(vote.notification, vote.voters, out); });
          },
          [&](const zk::quorum::ZabPacket& packet) {
            begin_quorum(message, zk::quorum::packet_line_name(packet.packet.type));
            fields([&](FieldSink& out) { zk::quorum::describe(packet, message.latency_us, out); });
          },
          [&](const session::Snapshot& snapshot) {
            begin_quorum(message, "Snapshot");
            fields([&](FieldSink& out) {
              out.number("bytes", static_cast<std::int64_t>(snapshot.bytes));
              out.number("duration_us", snapshot.duration_us);
              if (!snapshot.complete) out.boolean("complete", false);
            });
          },
          [&](const session::Uncommitted& uncommitted) {
            begin_quorum(message, "Uncommitted");
            fields([&](FieldSink& out) { zk::quorum::describe_zxid(out, uncommitted.zxid); });
          },
          [&](const session::LeaderChange& change) {
            constexpr std::string_view kName = "LeaderChanged";
            begin({message.ts_us, false, "leader", message.connection, "name", kName, {"", kName}});
            fields([&](FieldSink& out) { describe_leader_change(change, out); });
          },
      },
      message.body);
  if (message.as<session::LeaderChange>() != nullptr) return end(nullptr, Peers::kNone, false);
  return end_quorum(message);
}

void LineWriter::describe_leader_change(const session::LeaderChange& change, FieldSink& out) {
  constexpr std::int64_t kMicrosPerMilli = 1000;
  out.number("epoch", change.epoch);
  out.number("leader", change.leader);
  out.name("address", change.address);
  if (change.previous >= 0) out.number("previous", change.previous);
  if (change.unavailable_us >= 0) {
    out.number("unavailable_ms", change.unavailable_us / kMicrosPerMilli);
  }
}

void LineWriter::begin_quorum(const QuorumMessage& message, std::string_view name) {
  begin({message.ts_us, false, "message", message.connection, "name", name, {"", name}});
}

void LineWriter::quorum(const QuorumMessage& message) {
  const auto* packet = message.as<zk::quorum::ZabPacket>();
  if (!options_.include_pings && packet != nullptr && packet->packet.type == zk::quorum::kPing) {
    return;  // like a client's pings: counted, printed with -p
  }
  print(format_quorum(message));
}

void LineWriter::etcd(const session::EtcdMessage& message) {
  print(format_etcd(message));
}

std::string_view LineWriter::format_etcd(const session::EtcdMessage& message) {
  const EtcdLine line = etcd_line(message);
  const bool arrow =
      message.direction == Direction::kToClient && line.kind != std::string_view("error");
  begin(
      {message.ts_us, arrow, line.kind, message.connection, line.label_key, line.label, line.name});
  fields([&](FieldSink& out) { describe_etcd(message, out); });
  return end(message.connection,
             message.direction == Direction::kToServer ? Peers::kClient : Peers::kServer, false);
}

std::string_view LineWriter::format_problem(const session::StreamProblem& problem) {
  const session::Connection& connection = *problem.connection;
  const bool quorum = is_quorum(connection);
  const std::string_view name = problem_name(problem.problem);
  begin({problem.ts_us, false, "error", &connection, "error", name, {"", name}});
  fields([&](FieldSink& out) {
    if (!quorum) {
      out.name("direction", direction_name(problem.direction));
      out.number("offset", static_cast<std::int64_t>(problem.offset));
    }
    out.number(count_key(problem.problem, quorum), problem.count);
    if (const zk::Request* request = problem.request) {
      out.name("op", request->op->json_name);
      out.number("xid", request->xid);
      if (request->facts.path.size > 0) out.bytes("path", request->facts.path);
      if (!connection.session.empty()) out.name("session", connection.session);
    }
  });
  if (!quorum) return end(&connection, Peers::kBoth, problem.request == nullptr);
  QuorumMessage sent_by;
  sent_by.connection = problem.connection;
  sent_by.direction = problem.direction;
  return end_quorum(sent_by);
}

void LineWriter::problem(const session::StreamProblem& problem) {
  const std::string_view line = format_problem(problem);
  if (!holds_lines(*problem.connection)) {
    print(line);
  } else {
    emit(lines_of(*problem.connection), line);
  }
}

void LineWriter::capture(const session::CaptureProblem& problem) {
  const bool drops = problem.kind == session::CaptureProblem::Kind::kKernelDrops;
  const std::string_view name =
      problem_name(drops ? ProblemKind::kKernelDrops : ProblemKind::kTruncatedPacket);
  begin({problem.ts_us, false, "error", nullptr, "error", name, {"", name}});
  fields([&](FieldSink& out) {
    if (drops) {
      out.number("dropped", static_cast<std::int64_t>(problem.dropped));
      out.number("total", static_cast<std::int64_t>(problem.total));
      out.bytes("interface", WireBytes::of(problem.interface));
    } else {
      // A packet the capture cut inside its headers: which connection it was is unknown.
      out.number("captured", problem.captured);
      out.number("wire", problem.wire_length);
    }
  });
  print(end(nullptr, Peers::kNone, false));
}

// ---- TLS ----

// A TLS connection's hello and session say what it is; where decryption failed is always said,
// filters or not.
void LineWriter::tls(const session::TlsEvent& event) {
  const bool failed = event.failure != tls::Failure::kNone;
  if (event.kind == session::TlsEvent::Kind::kClosed || (!failed && !options_.announce_servers)) {
    return;
  }
  const std::string_view name = event.kind == session::TlsEvent::Kind::kClientHello ? "ClientHello"
                                : event.kind == session::TlsEvent::Kind::kSession
                                    ? "Session"
                                    : "DecryptionStopped";
  begin({event.ts_us, false, "tls", event.connection, "name", name, {"Tls", name}});
  fields([&](FieldSink& out) {
    switch (event.kind) {
      case session::TlsEvent::Kind::kClientHello:
        return tls::describe(*event.client_hello, out);
      case session::TlsEvent::Kind::kSession:
        return tls::describe_session(*event.server_hello, event.failure, out);
      default:
        out.name("direction", direction_name(event.direction));
        out.name("reason", tls::failure_name(event.failure));
        out.number("offset", static_cast<std::int64_t>(event.offset));
    }
  });
  print(end(event.connection, Peers::kBoth, false));
}

// Said once per server, when detection found it; a port the user named is no news.
void LineWriter::server_discovered(const session::ServerDiscovered& server) {
  if (server.named || !options_.announce_servers) return;
  constexpr std::string_view kName = "ServerDiscovered";
  const std::string endpoint = session::format_endpoint(server.server);
  begin({server.ts_us, false, "server", nullptr, "name", kName, {"", kName}});
  fields([&](FieldSink& out) {
    out.name("proto", session::protocol_name(server.protocol));
    out.name("evidence", server.evidence);
    out.name("server", endpoint);
  });
  print(end(nullptr, Peers::kNone, false));
}

}  // namespace zkdump::output

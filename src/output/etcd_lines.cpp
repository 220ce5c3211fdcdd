#include "etcd_lines.hpp"

#include <string>

#include "zkdump/base/variant.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"
#include "zkdump/session/problems.hpp"
#include "zkdump/tls/client_hello.hpp"

namespace zkdump::output {
namespace {

using session::EtcdMessage;
using session::ProblemKind;

EtcdLine error_line(ProblemKind kind) {
  const std::string_view name = session::problem_name(kind);
  return {"error", "error", name, {"", name}};
}

std::string_view method_name(const EtcdMessage& message) {
  return message.method != nullptr ? message.method->name : std::string_view("Grpc");
}

void describe_body(const EtcdMessage& message, ByteSpan body, bool compressed, FieldSink& out) {
  const etcd::MessageSpec* spec = nullptr;
  if (message.method != nullptr && !compressed) {
    spec = message.direction == Direction::kToServer ? message.method->request
                                                     : message.method->response;
  }
  if (spec == nullptr) {
    out.number("size", static_cast<std::int64_t>(body.size()));
    if (compressed) out.boolean("compressed", true);
    return;
  }
  etcd::describe(*spec, body, out);
}

void describe_status(const session::GrpcStatus& status, FieldSink& out) {
  const std::string_view name = http2::grpc_status_name(status.code);
  if (name.empty()) {
    out.number({"status", "grpc_status"}, status.code);
  } else {
    out.name({"status", "grpc_status_name"}, name);
    out.number({"status_code", "grpc_status"}, status.code, FieldRole::kInName);
  }
  if (!status.message.empty()) {
    const std::string decoded = http2::percent_decode(status.message);
    out.bytes({"message", "grpc_message"}, WireBytes::of(decoded));
  }
}

// The fields every message of a call starts with: its stream and method.
void describe_call(const EtcdMessage& message, FieldSink& out) {
  out.number("stream", message.stream);
  const std::string_view path = !message.path.empty()       ? message.path
                                : message.method != nullptr ? message.method->path
                                                            : std::string_view();
  if (!path.empty()) out.bytes("method", WireBytes::of(path), FieldRole::kInName);
  if (message.method_guessed) out.boolean("method_guessed", true);
}

// A call's kind: its call's fields, its own, and the call's latency when it answers.
template <class Describe>
void describe_in_call(const EtcdMessage& message, FieldSink& out, Describe describe_own) {
  describe_call(message, out);
  describe_own();
  if (message.latency_us >= 0) out.number("latency_us", message.latency_us);
}

}  // namespace

EtcdLine etcd_line(const EtcdMessage& message) {
  const std::string_view method = method_name(message);
  const std::string_view op = message.method != nullptr ? method : std::string_view("unknown");
  return std::visit(
      Overloaded{
          [&](const session::GrpcRequest&) -> EtcdLine {
            return {"request", "op", op, {method, "Request"}};
          },
          [&](const session::GrpcReply&) -> EtcdLine {
            return {"reply", "op", op, {method, "Reply"}};
          },
          [&](const session::GrpcStatus&) -> EtcdLine {
            return {"status", "op", op, {method, "Status"}};
          },
          [&](const session::EtcdWatchEvent& event) -> EtcdLine {
            return {
                "event", "op", "notification", {"WatchEvent", event.is_delete ? "Delete" : "Put"}};
          },
          [&](const session::StreamReset&) -> EtcdLine {
            return error_line(ProblemKind::kStreamReset);
          },
          [&](const session::Goaway&) -> EtcdLine { return error_line(ProblemKind::kGoaway); },
          [&](const session::UndecodableHeaders&) -> EtcdLine {
            return error_line(ProblemKind::kUndecodableHeaders);
          },
          [&](const tls::ClientHello&) -> EtcdLine {
            return {"tls", "name", "ClientHello", {"Tls", "ClientHello"}};
          },
          [&](const session::Http1Request&) -> EtcdLine {
            return {"request", "op", "http1", {"Http1", "Request"}};
          },
          [&](const session::Http1Response&) -> EtcdLine {
            return {"reply", "op", "http1", {"Http1", "Response"}};
          },
      },
      message.body);
}

void describe_etcd(const EtcdMessage& message, FieldSink& out) {
  std::visit(
      Overloaded{
          [&](const tls::ClientHello& hello) { tls::describe(hello, out); },
          [&](const session::Http1Request& http) {
            out.bytes("http_line", WireBytes::of(http.line));
          },
          [&](const session::Http1Response& http) {
            out.bytes("http_line", WireBytes::of(http.line));
          },
          [&](const session::GrpcRequest& request) {
            describe_in_call(message, out, [&] {
              describe_body(message, request.body, request.compressed, out);
            });
          },
          [&](const session::GrpcReply& reply) {
            describe_in_call(message, out,
                             [&] { describe_body(message, reply.body, reply.compressed, out); });
          },
          [&](const session::EtcdWatchEvent& event) {
            describe_in_call(message, out, [&] {
              out.name("event", event.is_delete ? "DELETE" : "PUT", FieldRole::kInName);
              out.number("watch_id", event.watch_id);
              etcd::describe(etcd::watch_event_spec(), event.event, out);
            });
          },
          [&](const session::GrpcStatus& status) {
            describe_in_call(message, out, [&] { describe_status(status, out); });
          },
          [&](const session::StreamReset& reset) {
            describe_in_call(message, out, [&] { out.number("error_code", reset.error_code); });
          },
          [&](const session::Goaway& goaway) {
            describe_in_call(message, out, [&] { out.number("error_code", goaway.error_code); });
          },
          [&](const session::UndecodableHeaders& headers) {
            describe_in_call(message, out, [&] {
              out.name("reason", headers.too_large ? "over-cap" : "hpack");
              out.number("bytes", static_cast<std::int64_t>(headers.size));
            });
          },
      },
      message.body);
}

}  // namespace zkdump::output

#include "etcd_lines.hpp"

#include <string>

#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"
#include "zkdump/tls/client_hello.hpp"

namespace zkdump::output {
namespace {

using Kind = session::EtcdMessage::Kind;

std::string_view method_name(const session::EtcdMessage& message) {
  return message.method != nullptr ? message.method->name : std::string_view("Grpc");
}

void describe_body(const session::EtcdMessage& message, FieldSink& out) {
  const etcd::MessageSpec* spec = nullptr;
  if (message.method != nullptr && !message.compressed) {
    spec = message.kind == Kind::kRequest ? message.method->request : message.method->response;
  }
  if (spec == nullptr) {
    out.number("size", static_cast<std::int64_t>(message.body.size()));
    if (message.compressed) out.boolean("compressed", true);
    return;
  }
  etcd::describe(*spec, message.body, out);
}

void describe_status(const session::EtcdMessage& message, FieldSink& out) {
  const std::string_view name = http2::grpc_status_name(message.grpc_status);
  if (name.empty()) {
    out.number({"status", "grpc_status"}, message.grpc_status);
  } else {
    out.name({"status", "grpc_status_name"}, name);
    out.number({"status_code", "grpc_status"}, message.grpc_status, FieldRole::kInName);
  }
  if (!message.grpc_message.empty()) {
    const std::string decoded = http2::percent_decode(message.grpc_message);
    out.bytes({"message", "grpc_message"}, WireBytes::of(decoded));
  }
}

}  // namespace

EtcdLine etcd_line(const session::EtcdMessage& message) {
  const std::string_view method = method_name(message);
  const std::string_view op = message.method != nullptr ? method : std::string_view("unknown");
  switch (message.kind) {
    case Kind::kRequest:
      return {"request", "op", op, {method, "Request"}};
    case Kind::kReply:
      return {"reply", "op", op, {method, "Reply"}};
    case Kind::kStatus:
      return {"status", "op", op, {method, "Status"}};
    case Kind::kWatchEvent:
      return {"event", "op", "notification", {"WatchEvent", message.is_delete ? "Delete" : "Put"}};
    case Kind::kReset:
      return {"error", "error", "StreamReset", {"", "StreamReset"}};
    case Kind::kGoaway:
      return {"error", "error", "Goaway", {"", "Goaway"}};
    case Kind::kUndecodableHeaders:
      return {"error", "error", "UndecodableHeaders", {"", "UndecodableHeaders"}};
    case Kind::kTlsClientHello:
      return {"tls", "name", "ClientHello", {"Tls", "ClientHello"}};
    case Kind::kHttp1Request:
      return {"request", "op", "http1", {"Http1", "Request"}};
    case Kind::kHttp1Response:
      return {"reply", "op", "http1", {"Http1", "Response"}};
  }
  return {"error", "error", "Unknown", {"", "Unknown"}};
}

void describe_etcd(const session::EtcdMessage& message, FieldSink& out) {
  switch (message.kind) {
    case Kind::kTlsClientHello:
      return tls::describe(*message.client_hello, out);
    case Kind::kHttp1Request:
    case Kind::kHttp1Response:
      return out.bytes("http_line", WireBytes::of(message.http_line));
    default:
      break;
  }
  out.number("stream", message.stream);
  const std::string_view path = !message.path.empty()       ? message.path
                                : message.method != nullptr ? message.method->path
                                                            : std::string_view();
  if (!path.empty()) out.bytes("method", WireBytes::of(path), FieldRole::kInName);
  if (message.method_guessed) out.boolean("method_guessed", true);
  switch (message.kind) {
    case Kind::kRequest:
    case Kind::kReply:
      describe_body(message, out);
      break;
    case Kind::kWatchEvent:
      out.name("event", message.is_delete ? "DELETE" : "PUT", FieldRole::kInName);
      out.number("watch_id", message.watch_id);
      etcd::describe(etcd::watch_event_spec(), message.body, out);
      break;
    case Kind::kStatus:
      describe_status(message, out);
      break;
    case Kind::kReset:
    case Kind::kGoaway:
      out.number("error_code", message.error_code);
      break;
    case Kind::kUndecodableHeaders:
      out.name("reason", message.header_block_too_large ? "over-cap" : "hpack");
      out.number("bytes", static_cast<std::int64_t>(message.header_block_size));
      break;
    default:
      break;
  }
  if (message.latency_us >= 0) out.number("latency_us", message.latency_us);
}

}  // namespace zkdump::output

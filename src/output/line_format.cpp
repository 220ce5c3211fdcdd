#include "zkdump/output/line_format.hpp"

#include <optional>

#include "zkdump/base/escape.hpp"

namespace zkdump::output {
namespace {

constexpr std::string_view kReplyArrow = "————►";

class TextFormat final : public LineFormat {
 public:
  explicit TextFormat(const TextLayout& layout) : layout_(layout), timestamps_(layout.timestamps) {}

  void begin(const LineStart& start) override {
    line_.clear();
    trailer_.clear();
    wrote_fields_ = false;
    if (start.arrow) append_bytes(line_, kReplyArrow);
    if (layout_.relative_times) {
      // A delta is to the line printed before, known only when this one prints: a mark for now.
      fmt::format_to(fmt::appender(line_), "{}{:016x}", kTimeMark,
                     static_cast<std::uint64_t>(start.ts_us));
    } else {
      timestamps_.append(line_, start.ts_us);
    }
    append_bytes(line_, start.name.prefix);
    append_bytes(line_, start.name.name);
    append_char(line_, '(');
  }

  FieldSink& begin_fields() override { return fields_.emplace(line_, trailer_, layout_.fields); }
  void end_fields() override { wrote_fields_ = wrote_fields_ || fields_->wrote_main(); }

  void end(const session::Connection* connection, Peers peers, bool with_session) override {
    // Unpaired, a reply follows other lines, not its request: it names its connection in full.
    if (!layout_.paired && peers == Peers::kServer) peers = Peers::kBoth;
    if (connection != nullptr) append_peers(*connection, peers);
    append_bytes(line_, {trailer_.data(), trailer_.size()});
    const bool session = with_session && connection != nullptr && !connection->session.empty();
    if (layout_.fields.verbose && session) {
      append_bytes(line_, ", session=");
      append_bytes(line_, connection->session);
    }
    append_bytes(line_, ")\n");
  }

  // A line about the capture itself has no connection and names no peers.
  void append_peers(const session::Connection& connection, Peers peers) {
    std::string_view separator = wrote_fields_ ? ", " : "";
    if (connection.tls) {
      append_bytes(line_, separator);
      append_bytes(line_, "tls=True");
      separator = ", ";
    }
    if (peers == Peers::kClient || peers == Peers::kBoth) {
      append_bytes(line_, separator);
      append_bytes(line_, "client=");
      append_bytes(line_, connection.client);
      separator = ", ";
    }
    if (peers == Peers::kServer || peers == Peers::kBoth) {
      append_bytes(line_, separator);
      append_bytes(line_, "server=");
      append_bytes(line_, connection.server);
    }
  }

  void end_quorum(std::string_view from, std::string_view to, bool tls) override {
    if (tls) append_bytes(line_, wrote_fields_ ? ", tls=True" : "tls=True");
    append_bytes(line_, wrote_fields_ || tls ? ", from=" : "from=");
    append_bytes(line_, from);
    append_bytes(line_, ", to=");
    append_bytes(line_, to);
    append_bytes(line_, {trailer_.data(), trailer_.size()});
    append_bytes(line_, ")\n");
  }

 private:
  TextLayout layout_;
  TimestampFormatter timestamps_;
  fmt::memory_buffer trailer_;  // -v fields, which go after the endpoints
  std::optional<TextFields> fields_;
  bool wrote_fields_ = false;
};

class JsonFormat final : public LineFormat {
 public:
  explicit JsonFormat(const FieldOptions& options) : options_(options) {}

  // Kinds, labels and endpoints come from zkdump's own tables and formatting: no escaping.
  void begin(const LineStart& start) override {
    line_.clear();
    json_.emplace(line_);
    json_->begin_object();
    json_->trusted_key("ts").epoch(start.ts_us);
    json_->trusted_member("kind", start.kind, true);
    if (start.connection != nullptr) {
      json_->trusted_member("proto", session::protocol_name(start.connection->protocol), true);
    }
    if (!start.label_key.empty()) json_->trusted_member(start.label_key, start.label, true);
  }

  FieldSink& begin_fields() override { return fields_.emplace(*json_, options_); }

  void end(const session::Connection* connection, Peers, bool with_session) override {
    if (connection != nullptr) {
      if (connection->tls) json_->trusted_key("tls").boolean(true);
      json_->trusted_member("client", connection->client, true);
      json_->trusted_member("server", connection->server, true);
      if (with_session && !connection->session.empty()) {
        json_->trusted_member("session", connection->session, true);
      }
    }
    finish();
  }

  void end_quorum(std::string_view from, std::string_view to, bool tls) override {
    if (tls) json_->trusted_key("tls").boolean(true);
    json_->trusted_member("from", from, true);
    json_->trusted_member("to", to, true);
    finish();
  }

 private:
  void finish() {
    json_->end_object();
    append_char(line_, '\n');
  }

  FieldOptions options_;
  std::optional<JsonWriter> json_;
  std::optional<JsonFields> fields_;
};

}  // namespace

std::unique_ptr<LineFormat> make_text_format(const TextLayout& layout) {
  return std::make_unique<TextFormat>(layout);
}

std::unique_ptr<LineFormat> make_json_format(const FieldOptions& options) {
  return std::make_unique<JsonFormat>(options);
}

}  // namespace zkdump::output

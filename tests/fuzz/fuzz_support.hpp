// Shared by the fuzz targets: the real stages and sinks, output thrown away.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "zkdump/analysis/analyses.hpp"
#include "zkdump/metrics/metrics_sink.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/stats/analysis_stats.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/tls/key_log.hpp"

namespace zkdump::fuzz {

// Text or JSON lines into /dev/null, one per style for a whole run: targets that make their
// sessions and sinks anew for each input write through it.
class NullOutput {
 public:
  explicit NullOutput(bool json) : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false) {
    options_.json = json;
    options_.verbose = true;
  }
  ~NullOutput() {
    out_.flush();
    close(null_fd_);
  }
  NullOutput(const NullOutput&) = delete;
  NullOutput& operator=(const NullOutput&) = delete;
  output::OutputBuffer& out() { return out_; }
  const output::LineOptions& options() const { return options_; }

 private:
  int null_fd_;
  output::OutputBuffer out_;
  output::LineOptions options_;
};

// Plays both directions of one connection as the input says, then closes it: after the control
// byte (data[0]), each record is a byte holding the direction (high bit) and a length (low 7
// bits), then that many bytes; with bit 2 of the control byte an empty record is a gap.
inline void play_records(tcp::StreamHandler& connection, const std::uint8_t* data,
                         std::size_t size) {
  const std::uint8_t control = data[0];
  std::size_t at = 1;
  std::int64_t ts = 0;
  while (at < size) {
    const std::uint8_t record = data[at++];
    const auto side = (record & 0x80) != 0 ? Direction::kToClient : Direction::kToServer;
    const std::size_t length = std::min<std::size_t>(record & 0x7f, size - at);
    ts += record & 0x0f;
    if (length == 0 && (control & 4) != 0) {
      connection.on_gap(side, record, ts);
    } else {
      connection.on_data(side, tcp::ByteSpan(data + at, length), ts);
    }
    at += length;
  }
  connection.on_close(tcp::CloseReason::kFin, ts);
}

#ifdef ZKDUMP_PCAPS
// The bundled TLS captures' key logs: seeds cut from those captures decrypt.
inline tls::KeyLog& bundled_key_log() {
  static tls::KeyLog keys;
  static const bool loaded = [] {
    for (const char* name : {"zk_tls.keys", "etcd_tls.keys", "zab_tls.keys"}) {
      std::ifstream file(std::string(ZKDUMP_PCAPS) + "/" + name);
      std::stringstream text;
      text << file.rdbuf();
      keys.parse(text.str());
    }
    return true;
  }();
  (void)loaded;
  return keys;
}
#endif

// Aborts unless every line of the exposition is a comment or `name{label="value",...} number`
// whose values hold only the escapes the format knows and no control byte: what the wire put
// in a label must not end it, or the line.
inline void check_exposition(std::string_view text) {
  const auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':';
  };
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) std::abort();  // a last line without its newline
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    std::size_t at = 0;
    while (at < line.size() && name_char(line[at])) ++at;
    if (at == 0) std::abort();
    if (at < line.size() && line[at] == '{') {
      for (++at; at < line.size() && line[at] != '}';) {
        while (at < line.size() && name_char(line[at])) ++at;
        if (line.substr(at, 2) != "=\"") std::abort();
        for (at += 2; at < line.size() && line[at] != '"'; ++at) {
          if (static_cast<unsigned char>(line[at]) < 0x20) std::abort();
          if (line[at] == '\\' &&
              (++at == line.size() ||
               std::string_view("\\\"n").find(line[at]) == std::string_view::npos)) {
            std::abort();
          }
        }
        if (++at < line.size() && line[at] == ',') ++at;
      }
      if (at++ >= line.size()) std::abort();
    }
    if (at >= line.size() || line[at] != ' ' ||
        line.find_first_not_of("0123456789.e+-Inf", at + 1) != std::string_view::npos) {
      std::abort();
    }
  }
}

// Every analysis, at thresholds low enough that fuzzed input reaches every finding.
inline analysis::AnalysisOptions every_analysis() {
  analysis::AnalysisOptions options;
  options.trace_writes = options.trace_without_zab = true;
  options.watches = options.sessions = options.sizes = true;
  options.watch_storm = 1;
  options.connection_storm = 1;
  options.limits = {1024, 0.05};
  return options;
}

// The analyses' report, in both forms, once the input is played.
inline void write_analysis_report(const stats::AnalysisStats& stats) {
  fmt::memory_buffer report;
  stats.write_text(report, {});
  stats.write_json(report, {});
}

// Writes a metrics sink's exposition and checks it.
inline void check_metrics(metrics::MetricsSink& sink) {
  fmt::memory_buffer exposition;
  sink.write(exposition, {}, 0);
  check_exposition({exposition.data(), exposition.size()});
}

// The client sessions feeding a line writer (text or JSON, into /dev/null) and, for JSON, the
// statistics too, so that every sink is fuzzed.
class Pipeline {
 public:
  explicit Pipeline(bool json)
      : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false), writer_(options(json), out_) {
    sinks_.add(writer_);
    if (json) sinks_.add(collector_);
    sinks_.add(metrics_);
    sinks_.add(analysis_stats_);
    analyses_.emplace(every_analysis(), sinks_);
    session::ClientOptions client;
    client.max_pending_per_connection = 64;  // small caps reach the eviction paths
    sessions_ = std::make_unique<session::ClientSessions>(client, sinks_, budget_);
  }
  ~Pipeline() {
    sinks_.finish(0);
    sessions_.reset();
    write_analysis_report(analysis_stats_);
    check_metrics(metrics_);
    out_.flush();
    close(null_fd_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  session::ClientSessions& sessions() { return *sessions_; }

 private:
  static output::LineOptions options(bool json) {
    output::LineOptions lines;
    lines.json = json;
    lines.verbose = true;
    lines.include_pings = true;
    return lines;
  }

  int null_fd_;
  output::OutputBuffer out_;
  output::LineWriter writer_;
  stats::Collector collector_{stats::StatsOptions{2, 10, 64}};
  metrics::MetricsSink metrics_{metrics::MetricsOptions{3, 0, true}};
  stats::AnalysisStats analysis_stats_{stats::StatsOptions{2, 10, 64}, 1024};
  session::Sinks sinks_;
  std::optional<analysis::Analyses> analyses_;
  framing::Budget budget_;
  std::unique_ptr<session::ClientSessions> sessions_;
};

}  // namespace zkdump::fuzz

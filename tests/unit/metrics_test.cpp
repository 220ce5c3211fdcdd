#include <doctest/doctest.h>

#include <map>
#include <string>

#include "zkdump/metrics/exposition.hpp"
#include "zkdump/metrics/http_server.hpp"
#include "zkdump/metrics/metrics_sink.hpp"
#include "zkdump/metrics/top_labels.hpp"

using namespace zkdump;

namespace {

std::string text_of(const fmt::memory_buffer& out) {
  return fmt::to_string(out);
}

std::map<std::string, std::uint64_t> series_of(const metrics::TopLabels& top) {
  std::map<std::string, std::uint64_t> series;
  top.for_each(
      [&](std::string_view value, std::uint64_t count) { series[std::string(value)] = count; });
  return series;
}

}  // namespace

TEST_CASE("label values from the wire cannot end their label, their line or pass for a series") {
  fmt::memory_buffer out;
  metrics::Exposition exposition(out);
  constexpr metrics::Family kPaths{"zkdump_path_requests_total", "counter", "", {"path"}};
  exposition.sample(kPaths, {"/a\"} 1\nevil{x=\"\\"}, std::uint64_t{3});
  const std::string text = text_of(out);
  CHECK(text == R"(zkdump_path_requests_total{path="/a\"} 1\\x0aevil{x=\"\\\\"} 3)"
                "\n");
  CHECK(text.find('\n') == text.size() - 1);
}

TEST_CASE("label values: UTF-8 passes, bytes that are not UTF-8 are escaped") {
  fmt::memory_buffer out;
  metrics::append_label_value(out, "/caf\xc3\xa9/\xff");
  CHECK(text_of(out) == "/caf\xc3\xa9/\\\\xff");
}

TEST_CASE("a histogram's buckets are cumulative, in seconds, and end with +Inf, sum and count") {
  metrics::DurationHistogram histogram;
  for (const std::int64_t micros : {50, 100, 101, 3'000, 20'000'000}) {
    histogram.observe(micros, metrics::kDurationBucketsUs);
  }
  fmt::memory_buffer out;
  metrics::Exposition exposition(out);
  constexpr metrics::Family kDurations{"d_seconds", "histogram", "", {"op"}};
  exposition.histogram(kDurations, {"getData"}, histogram, metrics::kDurationBucketsUs, 1e6);
  const std::string text = text_of(out);
  CHECK(text.find("d_seconds_bucket{op=\"getData\",le=\"0.0001\"} 2\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"getData\",le=\"0.00025\"} 3\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"getData\",le=\"0.005\"} 4\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"getData\",le=\"10\"} 4\n") != std::string::npos);
  CHECK(text.find("d_seconds_bucket{op=\"getData\",le=\"+Inf\"} 5\n") != std::string::npos);
  CHECK(text.find("d_seconds_sum{op=\"getData\"} 20.003251\n") != std::string::npos);
  CHECK(text.find("d_seconds_count{op=\"getData\"} 5\n") != std::string::npos);
}

TEST_CASE("top labels: at most the limit has a series, the rest is other, and all add up") {
  metrics::TopLabels top(3);
  std::uint64_t total = 0;
  for (int round = 0; round < 20; ++round) {
    for (int path = 0; path < 1000; ++path) {
      // /p0 busiest, then /p1, /p2; hundreds of others once each.
      const int weight = path < 3 ? 50 - 10 * path : 1;
      top.add("/p" + std::to_string(path), static_cast<std::uint64_t>(weight));
      total += static_cast<std::uint64_t>(weight);
    }
    top.rebalance(round * 1'000'000);
  }
  const auto series = series_of(top);
  CHECK(series.size() == 4);
  CHECK(series.contains("/p0"));
  CHECK(series.contains("/p1"));
  CHECK(series.contains("/p2"));
  std::uint64_t sum = 0;
  for (const auto& [value, count] : series) sum += count;
  CHECK(sum == total);
}

TEST_CASE("top labels: a value much busier over a window takes the quietest one's series") {
  metrics::TopLabels top(1);
  top.add("/old", 10);
  top.rebalance(0);
  top.add("/old", 5);
  CHECK(series_of(top)["/old"] == 5);  // counted from when it got its series
  top.add("/new", 100);
  top.rebalance(metrics::TopLabels::kWindowUs);
  auto series = series_of(top);
  CHECK(series.contains("/new"));
  CHECK_FALSE(series.contains("/old"));
  const std::uint64_t other = series["other"];
  top.add("/new", 1);
  top.add("/old", 1);
  series = series_of(top);
  CHECK(series["/new"] == 1);
  CHECK(series["other"] == other + 1);  // other only grows
}

TEST_CASE("top labels: a busy value first seen after thousands of others still gets a series") {
  metrics::TopLabels top(2);
  for (int path = 0; path < 5000; ++path) top.add("/once" + std::to_string(path));
  for (int i = 0; i < 50; ++i) top.add("/late");
  top.rebalance(0);
  const auto series = series_of(top);
  CHECK(series.contains("/late"));
  CHECK(series.size() == 3);  // /late, one value seen once, other
  std::uint64_t sum = 0;
  for (const auto& [value, count] : series) sum += count;
  CHECK(sum == 5050);
}

TEST_CASE("top labels: a wire value named like the other bucket counts in it") {
  metrics::TopLabels top(2);
  top.add("other", 4);
  top.rebalance(0);
  top.add("other", 1);
  CHECK(series_of(top) == std::map<std::string, std::uint64_t>{{"other", 5}});
}

TEST_CASE("--metrics-listen addresses") {
  metrics::ListenAddress address;
  CHECK(metrics::parse_listen_address("127.0.0.1:9141", address));
  CHECK(address.host == "127.0.0.1");
  CHECK(address.port == 9141);
  CHECK(metrics::parse_listen_address("[::1]:80", address));
  CHECK(address.host == "::1");
  CHECK(metrics::parse_listen_address(":9141", address));
  CHECK(address.host.empty());
  CHECK_FALSE(metrics::parse_listen_address("::1:80", address));
  CHECK_FALSE(metrics::parse_listen_address("localhost", address));
  CHECK_FALSE(metrics::parse_listen_address("host:65536", address));
  CHECK_FALSE(metrics::parse_listen_address("host:", address));
}

TEST_CASE("TLS connections are counted by what became of them, with their bytes") {
  metrics::MetricsSink sink(metrics::MetricsOptions{});
  session::Connection connection =
      session::make_connection(session::Protocol::kTls, net::Endpoint{}, net::Endpoint{});
  const auto event = [&](session::TlsEvent::Kind kind, tls::Failure failure) {
    session::TlsEvent made;
    made.kind = kind;
    made.connection = &connection;
    made.failure = failure;
    return made;
  };
  sink.tls(event(session::TlsEvent::Kind::kSession, tls::Failure::kNone));
  sink.tls(event(session::TlsEvent::Kind::kSession, tls::Failure::kNoKey));
  sink.tls(event(session::TlsEvent::Kind::kSession, tls::Failure::kNoKey));
  sink.tls(event(session::TlsEvent::Kind::kStopped, tls::Failure::kGap));
  session::TlsEvent closed = event(session::TlsEvent::Kind::kClosed, tls::Failure::kNone);
  closed.decrypted = true;
  closed.tls_bytes = {100, 50};
  sink.tls(closed);
  closed.decrypted = false;
  closed.tls_bytes = {30, 0};
  sink.tls(closed);
  fmt::memory_buffer out;
  sink.write(out, {}, 0);
  const std::string text = text_of(out);
  CHECK(text.find("zkdump_tls_connections_total{result=\"decrypted\"} 1\n") != std::string::npos);
  CHECK(text.find("zkdump_tls_connections_total{result=\"no_key\"} 2\n") != std::string::npos);
  CHECK(text.find("zkdump_tls_bytes_total{decrypted=\"true\"} 150\n") != std::string::npos);
  CHECK(text.find("zkdump_tls_bytes_total{decrypted=\"false\"} 30\n") != std::string::npos);
  CHECK(text.find("zkdump_tls_decryption_stops_total{reason=\"gap\"} 1\n") != std::string::npos);
  CHECK(text.find("zkdump_undecodable_bytes_total{proto=\"tls\"}") == std::string::npos);
}

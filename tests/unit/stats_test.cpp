#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/histogram.hpp"

using namespace zkdump;

TEST_CASE("histogram percentiles are within 1% of the exact nearest-rank values") {
  std::mt19937 random(7);
  std::lognormal_distribution<double> latency(7.0, 1.5);  // a long tail, like real latencies
  stats::LatencyHistogram histogram;
  std::vector<std::int64_t> values;
  for (int i = 0; i < 50000; ++i) {
    const auto micros = static_cast<std::int64_t>(latency(random));
    values.push_back(micros);
    histogram.add(micros);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    CAPTURE(q);
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[std::max<std::size_t>(rank, 1) - 1]);
    CHECK(std::abs(histogram.percentile(q) - exact) <= exact * 0.01);
  }
  CHECK(histogram.min() == values.front());
  CHECK(histogram.max() == values.back());
  CHECK(histogram.count() == values.size());
}

TEST_CASE("histogram buckets found without a logarithm are the buckets the logarithm defines") {
  using stats::LatencyHistogram;
  for (std::int64_t micros = -3; micros < (1 << 21); ++micros) {
    REQUIRE(LatencyHistogram::bucket_of(micros) == LatencyHistogram::bucket_by_log(micros));
  }
  for (int bucket = 1; bucket < LatencyHistogram::kBuckets; ++bucket) {  // around every edge
    const auto edge = static_cast<std::int64_t>(std::pow(1.02, bucket - 1));
    for (std::int64_t micros = edge - 2; micros <= edge + 2; ++micros) {
      REQUIRE(LatencyHistogram::bucket_of(micros) == LatencyHistogram::bucket_by_log(micros));
    }
  }
  std::mt19937_64 random(11);
  for (int width = 22; width <= 63; ++width) {  // every power of two, its edges and inside
    const std::int64_t low = std::int64_t{1} << (width - 1);
    const std::int64_t high = width == 63 ? INT64_MAX : (low << 1) - 1;
    for (std::int64_t micros : {low, low + 1, high - 1, high}) {
      REQUIRE(LatencyHistogram::bucket_of(micros) == LatencyHistogram::bucket_by_log(micros));
    }
    std::uniform_int_distribution<std::int64_t> inside(low, high);
    for (int i = 0; i < 20000; ++i) {
      const std::int64_t micros = inside(random);
      REQUIRE(LatencyHistogram::bucket_of(micros) == LatencyHistogram::bucket_by_log(micros));
    }
  }
}

TEST_CASE("statistics fold paths, cap distinct keys and count by op") {
  stats::StatsOptions options;
  options.aggregation_depth = 2;
  options.max_keys = 3;
  stats::Collector collector(options);
  session::Sinks sinks;
  sinks.add(collector);
  framing::Budget budget;
  session::ClientSessions sessions({}, sinks, budget);
  net::Endpoint client, server;
  client.port = 5000;
  server.port = 2181;
  auto connection = sessions.open(client, server, false, 0);
  std::int32_t xid = 1;
  for (std::string_view path : {"/a/b/c", "/a/b/d", "/a/x", "/b", "/c", "/d", "/e"}) {
    const test::Bytes request = test::Bytes().i32(xid).i32(4).str(path).boolean(false).framed();
    connection->on_data(Direction::kToServer, request.data, 1);
    test::Bytes reply = test::Bytes().i32(xid).i64(5).i32(path == "/e" ? -101 : 0);
    if (path != "/e")
      reply.i32(-1).append(
          test::Bytes().i64(0).i64(0).i64(0).i64(0).i32(0).i32(0).i32(0).i64(0).i32(0).i32(0).i64(
              0));
    connection->on_data(Direction::kToClient, reply.framed().data, 101);
    ++xid;
  }
  connection->on_close(tcp::CloseReason::kFin, 200);
  const std::vector<const stats::Collector::OpStats*> ops = collector.ops();
  REQUIRE(ops.size() == 1);
  CHECK(ops[0]->name == "getData");
  CHECK(ops[0]->requests == 7);
  CHECK(ops[0]->errors.at(-101) == 1);
  CHECK(ops[0]->latency.count() == 7);
  fmt::memory_buffer json;
  collector.write_json(json, {}, {});
  const std::string text = fmt::to_string(json);
  CHECK(text.find("\"path\":\"/a/b\",\"requests\":2") != std::string::npos);
  CHECK(text.find("(other)") != std::string::npos);  // /c, /d and /e came after the cap of 3
  CHECK(text.find("\"/d\"") == std::string::npos);
  CHECK(text.find("{\"kind\":\"stats\",") == 0);
}

TEST_CASE("text table keeps values in place as it grows and folds keys past its cap") {
  stats::TextTable<int> table;
  int& first = table.at_or_add("/a", 1000, "(other)");
  first = 7;
  for (int i = 0; i < 999; ++i) table.at_or_add("/n" + std::to_string(i), 1000, "(other)") = i;
  CHECK(&table.at_or_add("/a", 1000, "(other)") == &first);  // growth moved no value
  CHECK(first == 7);
  CHECK(table.at_or_add("/n998", 1000, "(other)") == 998);
  table.at_or_add("/new1", 1000, "(other)") += 1;
  table.at_or_add("/new2", 1000, "(other)") += 1;
  CHECK(table.size() == 1001);  // the cap, plus the one overflow key
  CHECK(table.at_or_add("(other)", 1000, "(other)") == 2);
}

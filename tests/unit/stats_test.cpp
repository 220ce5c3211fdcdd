#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "zkdump/base/heavy_hitters.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/text_table.hpp"

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

TEST_CASE("statistics fold paths, keep the busiest in bounded rows and count by op") {
  stats::StatsOptions options;
  options.aggregation_depth = 2;
  options.key_rows = 3;
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
  CHECK(text.find("{\"kind\":\"stats\",") == 0);
  // 7 requests on 6 folded paths in 3 rows: every row's count is an upper bound within its
  // error, and a path without a row had at most the smallest count.
  const std::map<std::string, std::uint64_t> truth = {{"/a/b", 2}, {"/a/x", 1}, {"/b", 1},
                                                      {"/c", 1},   {"/d", 1},   {"/e", 1}};
  const auto rows = collector.paths().top(stats::KeyRanking::Measure::kRequests, 10);
  REQUIRE(rows.size() == 3);
  for (const auto& row : rows) {
    const std::uint64_t exact = truth.at(std::string(row.key));
    CHECK(row.requests <= exact);  // what the key had at least
    CHECK(row.requests + row.uncertain >= exact);
  }
  CHECK(collector.paths().unlisted_bound(stats::KeyRanking::Measure::kRequests) >= 1);
  CHECK(text.find("\"rows_kept\":3,\"unlisted_max_requests\":") != std::string::npos);
}

TEST_CASE("heavy hitters: counts are upper bounds within their error, whatever the stream") {
  std::mt19937_64 random(7);
  for (const std::size_t capacity : {1, 2, 16, 200}) {
    HeavyHitters<int> table(capacity);
    std::map<std::string, std::uint64_t> truth;
    std::uint64_t total = 0;
    // Zipf-like: key k with weight ~ 1/k, and random weights.
    for (int i = 0; i < 20000; ++i) {
      const auto key = "/k" + std::to_string(random() % (1 + random() % 1000));
      const std::uint64_t weight = 1 + random() % 5;
      table.add(key, weight);
      truth[key] += weight;
      total += weight;
    }
    std::uint64_t sum = 0;
    for (const auto& row : table.rows()) {
      REQUIRE(row.count >= truth.at(std::string(row.key)));
      REQUIRE(row.count - row.error <= truth.at(std::string(row.key)));
      sum += row.count;
    }
    CHECK(sum == total);
    CHECK(table.size() <= capacity);
    for (const auto& [key, count] : truth) {
      // A key with more than total / capacity has a row.
      if (count * capacity > total) {
        bool listed = false;
        for (const auto& row : table.rows()) listed = listed || row.key == key;
        CHECK(listed);
      }
    }
    for (const auto& [key, count] : truth) {
      bool listed = false;
      for (const auto& row : table.rows()) listed = listed || row.key == key;
      if (!listed) CHECK(count <= table.unlisted_bound());
    }
  }
}

TEST_CASE("heavy hitters: handles go stale when another key takes the row") {
  HeavyHitters<int> table(2);
  const auto a = table.add("/a", 5);
  *table.value(a) = 42;
  const auto b = table.add("/b", 1);
  REQUIRE(table.value(b) != nullptr);
  const auto c = table.add("/c", 1);  // takes /b's row: count 2, error 1
  CHECK(table.value(b) == nullptr);
  CHECK(*table.value(c) == 0);  // figures start again
  CHECK(*table.value(a) == 42);
  table.add(a, 10);
  const auto rows = table.rows();
  REQUIRE(rows.size() == 2);
  CHECK(table.unlisted_bound() == 2);
  table.reset_counts();
  CHECK(table.rows().empty());
  CHECK(table.value(a) != nullptr);  // keys keep their rows across an interval
}

TEST_CASE("heavy hitters: raise keeps exactly the largest values") {
  HeavyHitters<int> table(10);
  std::mt19937_64 random(3);
  std::map<std::string, std::uint64_t> largest;
  for (int i = 0; i < 50000; ++i) {
    const auto key = "/z" + std::to_string(random() % 3000);
    const std::uint64_t size = random() % 1000000;
    table.raise(key, size);
    largest[key] = std::max(largest[key], size);
  }
  std::vector<std::uint64_t> expected;
  for (const auto& [key, size] : largest) expected.push_back(size);
  std::sort(expected.rbegin(), expected.rend());
  expected.resize(10);
  std::vector<std::uint64_t> kept;
  for (const auto& row : table.rows()) {
    CHECK(row.count == largest.at(std::string(row.key)));
    CHECK(row.error == 0);
    kept.push_back(row.count);
  }
  std::sort(kept.rbegin(), kept.rend());
  CHECK(kept == expected);
}

TEST_CASE("heavy hitters: the index finds every kept key after many evictions") {
  HeavyHitters<int> table(64);
  for (int i = 0; i < 100000; ++i) table.add("/p" + std::to_string(i * 7919 % 5003));
  std::set<std::string> before;
  for (const auto& row : table.rows()) before.emplace(row.key);
  // Each found: adding 0 to a key without a row would push another key out.
  for (const std::string& key : before) table.add(key, 0);
  std::set<std::string> after;
  for (const auto& row : table.rows()) after.emplace(row.key);
  CHECK(before.size() == 64);
  CHECK(after == before);
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

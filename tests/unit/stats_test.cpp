#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

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

TEST_CASE("statistics fold paths, cap distinct keys and count by op") {
  stats::StatsOptions options;
  options.aggregation_depth = 2;
  options.max_keys = 3;
  stats::Collector collector(options);
  const auto facts = [](std::string_view path) {
    return session::MessageFacts{"10.0.0.1:5000", "GetDataRequest", path, 1, 30};
  };
  for (std::string_view path : {"/a/b/c", "/a/b/d", "/a/x", "/b", "/c", "/d", "/e"}) {
    void* handle = collector.on_request("getData", facts(path));
    collector.on_reply("getData", path == "/e" ? -101 : 0, 100, facts(path), handle);
  }
  REQUIRE(collector.ops().count("getData") == 1);
  const auto& get_data = collector.ops().at("getData");
  CHECK(get_data.requests == 7);
  CHECK(get_data.errors.at(-101) == 1);
  fmt::memory_buffer json;
  collector.write_json(json, {});
  const std::string text = fmt::to_string(json);
  CHECK(text.find("\"path\":\"/a/b\",\"requests\":2") != std::string::npos);
  CHECK(text.find("(other)") != std::string::npos);  // /c, /d and /e came after the cap of 3
  CHECK(text.find("\"/d\"") == std::string::npos);
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

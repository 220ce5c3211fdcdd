// zktraffic's two summary modes, by its flag names: --count-requests N counts the first N
// requests and events by group; --measure-latency N times the first N replies by group.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "zkdump/session/sink.hpp"
#include "zkdump/stats/text_table.hpp"

namespace zkdump::stats {

enum class GroupBy : std::uint8_t { kPath, kType, kClient };
enum class SortBy : std::uint8_t { kAvg, kP95, kP99 };

struct GroupedOptions {
  bool measure_latency = false;  // false: count requests
  std::uint64_t limit = 0;       // N
  GroupBy group_by = GroupBy::kPath;
  SortBy sort_by = SortBy::kAvg;
  int aggregation_depth = 0;
  std::size_t max_groups = 100000;  // beyond it, new groups count as (other)
  bool include_pings = false;       // -p: as zktraffic, pings are left out unless asked for
};

class GroupedReport final : public session::Sink {
 public:
  explicit GroupedReport(const GroupedOptions& options) : options_(options) {}

  void zk(const session::ZkMessage& message) override;

  bool done() const { return seen_ >= options_.limit; }
  void write(fmt::memory_buffer& out) const;

 private:
  struct Group {
    std::uint64_t count = 0;
    std::vector<std::int64_t> latencies_us;  // at most N in all: exact percentiles, as zktraffic
  };
  // `type` names the message as lines do: GetDataRequest, CreateEphemeralRequest, NodeCreated.
  Group& group_of(const session::ZkMessage& message, std::string_view type, std::string_view path);
  void count(const session::ZkMessage& message, std::string_view type, std::string_view path);
  void measure(const session::ZkMessage& message, std::string_view type);

  GroupedOptions options_;
  TextTable<Group> groups_;
  std::uint64_t seen_ = 0;
};

}  // namespace zkdump::stats

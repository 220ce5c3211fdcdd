#include "zkdump/stats/distinct_proposals.hpp"

namespace zkdump::stats {
namespace {

constexpr std::size_t kMaxLeaders = 1024;  // beyond, new leaders' proposals go uncounted

}  // namespace

bool DistinctProposals::add(std::string_view leader, std::int64_t zxid) {
  const auto newest = newest_zxid_by_leader_.find(leader);
  if (newest == newest_zxid_by_leader_.end()) {
    if (newest_zxid_by_leader_.size() >= kMaxLeaders) return false;
    newest_zxid_by_leader_.emplace(std::string(leader), zxid);
    return true;
  }
  if (zxid <= newest->second) return false;  // the same proposal, sent to another learner
  newest->second = zxid;
  return true;
}

}  // namespace zkdump::stats

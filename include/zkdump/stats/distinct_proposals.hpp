// Proposals counted once each, for the ZAB statistics and the quorum summary alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace zkdump::stats {

// The proposals a leader sends, each counted once however many learners receive it: a leader's
// zxids only grow, so a zxid not above the newest it sent is the same proposal again.
class DistinctProposals {
 public:
  // True for a proposal not counted yet.
  bool add(std::string_view leader, std::int64_t zxid);
  void clear() { newest_zxid_by_leader_.clear(); }

 private:
  std::map<std::string, std::int64_t, std::less<>> newest_zxid_by_leader_;
};

}  // namespace zkdump::stats

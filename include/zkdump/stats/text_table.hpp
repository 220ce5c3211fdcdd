// What the statistics tables share: tables keyed by text and looked up by view (a lookup copies
// nothing, only a new key does), and the folding of paths to a depth.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zkdump::stats {

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

template <typename Value>
using TextTable = std::unordered_map<std::string, Value, TextHash, std::equal_to<>>;

// "/a/b/c" folded to depth 2 is "/a/b"; depth 0 keeps the path.
std::string_view fold_path(std::string_view path, int depth);

}  // namespace zkdump::stats

// Folding a znode path to its first components, as statistics and metrics group paths.
#pragma once

#include <string_view>

namespace zkdump {

std::string_view fold_path_to(std::string_view path, int depth);

// "/a/b/c" folded to depth 2 is "/a/b"; depth 0 keeps the path.
inline std::string_view fold_path(std::string_view path, int depth) {
  return depth <= 0 || path.empty() ? path : fold_path_to(path, depth);
}

}  // namespace zkdump

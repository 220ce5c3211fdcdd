#include "zkdump/stats/text_table.hpp"

namespace zkdump::stats {

std::string_view fold_path(std::string_view path, int depth) {
  if (depth <= 0 || path.empty()) return path;
  std::size_t end = 0;
  for (int components = 0; components < depth; ++components) {
    end = path.find('/', end + 1);
    if (end == std::string_view::npos) return path;
  }
  return path.substr(0, end);
}

}  // namespace zkdump::stats

#include "zkdump/base/paths.hpp"

namespace zkdump {

std::string_view fold_path_to(std::string_view path, int depth) {
  std::size_t end = 0;
  for (int components = 0; components < depth; ++components) {
    end = path.find('/', end + 1);
    if (end == std::string_view::npos) return path;
  }
  return path.substr(0, end);
}

}  // namespace zkdump

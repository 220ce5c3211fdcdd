#include "records.hpp"

namespace zkdump::zk::records {

std::string_view create_mode_name(std::int32_t flags) {
  switch (flags) {
    case 0:
      return "PERSISTENT";
    case 1:
      return "EPHEMERAL";
    case 2:
      return "PERSISTENT_SEQUENTIAL";
    case 3:
      return "EPHEMERAL_SEQUENTIAL";
    case 4:
      return "CONTAINER";
    case 5:
      return "PERSISTENT_WITH_TTL";
    case 6:
      return "PERSISTENT_SEQUENTIAL_WITH_TTL";
    default:
      return "";
  }
}

std::string_view watcher_type_name(std::int32_t type) {
  switch (type) {
    case 1:
      return "Children";
    case 2:
      return "Data";
    case 3:
      return "Any";
    case 4:
      return "Persistent";
    case 5:
      return "PersistentRecursive";
    default:
      return "";
  }
}

}  // namespace zkdump::zk::records

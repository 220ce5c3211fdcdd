// -Z: what zkdump gives up once its capture and metrics port are open.
#pragma once

#include <string>

namespace zkdump::app {

// Runs as USER from now on, as tcpdump -Z does; already USER (a service's dynamic user with
// CAP_NET_RAW), it keeps its ids and drops every capability. Throws std::runtime_error saying
// what failed.
void drop_privileges(const std::string& user);

}  // namespace zkdump::app

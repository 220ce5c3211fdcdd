#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace zkdump::app {
namespace {

// Capabilities a process holds (CAP_NET_RAW from a service's ambient set, or a file's) are
// dropped: the capture is open and needs them no more.
void drop_capabilities() {
  (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> none{};
  if (syscall(SYS_capset, &header, none.data()) != 0) {
    throw std::runtime_error(std::string("-Z: cannot drop capabilities: ") + std::strerror(errno));
  }
}

}  // namespace

void drop_privileges(const std::string& user) {
  const passwd* account = getpwnam(user.c_str());
  if (account == nullptr) throw std::runtime_error("-Z: no such user: " + user);
  if (getuid() == account->pw_uid && geteuid() == account->pw_uid) return drop_capabilities();
  if (initgroups(account->pw_name, account->pw_gid) != 0 || setgid(account->pw_gid) != 0 ||
      setuid(account->pw_uid) != 0) {
    throw std::runtime_error("-Z: cannot switch to user " + user + ": " + std::strerror(errno));
  }
}

}  // namespace zkdump::app

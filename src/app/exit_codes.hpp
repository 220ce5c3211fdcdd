// zkdump's exit statuses. The man page's EXIT STATUS section lists exactly these (the docs test
// reads this file).
#pragma once

namespace zkdump::app {

// The capture was read to its end, or zkdump was stopped (SIGINT, SIGTERM, -c, a closed output).
inline constexpr int kExitOk = 0;
// Bad or conflicting options, an unreadable capture, a bad filter, no permission to capture.
inline constexpr int kExitUsage = 1;
// The capture file ended in the middle of a record (everything before the cut was decoded).
inline constexpr int kExitReadError = 2;

}  // namespace zkdump::app

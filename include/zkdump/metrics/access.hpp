// Who may reach the metrics endpoint: basic authentication against bcrypt hashes, request rate
// limits, and a log of refusals that a flood cannot turn into a flood of lines.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/metrics/web_config.hpp"

struct crypt_data;

namespace zkdump::metrics {

// One token every `interval`, at most `burst` saved up; thread-safe.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(std::chrono::microseconds interval, unsigned burst);
  bool take(Clock::time_point now);

 private:
  std::mutex mutex_;
  std::chrono::microseconds interval_;
  double burst_;
  double tokens_;
  Clock::time_point last_{};
};

enum class AuthOutcome : std::uint8_t {
  kAllowed,
  kNoCredentials,
  kUnknownUser,
  kWrongPassword,
  kThrottled,  // too many passwords to check: answered 429, the hash left alone
};

class BasicAuth {
 public:
  // bcrypt costs 50 to 150 ms a check at cost 10: one check at a time, and after each an idle
  // time of this many times its own, so that wrong passwords take at most a tenth of one core
  // from the capture whatever the cost. A password that passed is remembered, not re-checked.
  static constexpr int kIdleTimesCheck = 9;

  explicit BasicAuth(std::vector<BasicAuthUser> users);
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  bool required() const { return !users_.empty(); }
  AuthOutcome check(std::string_view user, std::string_view password);
  // A reload's new users keep what the old ones knew: the passwords that passed (each
  // remembered with its user's hash, so a changed or removed user's never matches) and when
  // the next check may run.
  void inherit(BasicAuth& previous);

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest_of(const BasicAuthUser& account, std::string_view password);
  bool remembered(const Digest& digest);
  // Nothing when the check is refused: one runs, or the last one ended too recently.
  std::optional<bool> bcrypt_matches(const std::string& hash, std::string_view password);

  std::vector<BasicAuthUser> users_;
  std::mutex cache_mutex_;
  std::array<Digest, 16> cache_{};
  std::size_t cache_used_ = 0;
  std::size_t cache_next_ = 0;
  std::mutex bcrypt_mutex_;
  TokenBucket::Clock::time_point next_check_{};  // under bcrypt_mutex_
  std::unique_ptr<crypt_data> scratch_;          // libxcrypt's state, under bcrypt_mutex_
};

// The metrics server's complaints on standard error (refusals, libmicrohttpd's own errors), one
// line a second at most: a flood of bad clients cannot flood the log. The lines held back are
// counted in the next one.
class LimitedLog {
 public:
  void refused(std::string_view client, std::string_view why);
  void say(std::string_view message);

 private:
  std::mutex mutex_;
  TokenBucket::Clock::time_point last_{};
  std::uint64_t held_back_ = 0;
};

// Byte-for-byte equality in a time that depends on the lengths alone.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace zkdump::metrics

#include "zkdump/metrics/access.hpp"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "zkdump/base/escape.hpp"

namespace zkdump::metrics {

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const std::size_t length = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < length; ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

TokenBucket::TokenBucket(std::chrono::microseconds interval, unsigned burst)
    : interval_(interval), burst_(burst), tokens_(burst) {}

bool TokenBucket::take(Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (interval_.count() <= 0) return true;
  if (last_ != Clock::time_point{}) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - last_);
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(elapsed.count()) /
                                             static_cast<double>(interval_.count()));
  }
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

BasicAuth::BasicAuth(std::vector<BasicAuthUser> users)
    : users_(std::move(users)), scratch_(std::make_unique<crypt_data>()) {}

BasicAuth::~BasicAuth() = default;

BasicAuth::Digest BasicAuth::digest_of(const BasicAuthUser& account, std::string_view password) {
  std::string text = account.name;
  text.push_back('\0');
  text.append(password);
  text.push_back('\0');
  text.append(account.bcrypt_hash);
  Digest digest{};
  (void)gnutls_hash_fast(GNUTLS_DIG_SHA256, text.data(), text.size(), digest.data());
  return digest;
}

bool BasicAuth::remembered(const Digest& digest) {
  const std::lock_guard lock(cache_mutex_);
  bool found = false;
  const std::string_view wanted(reinterpret_cast<const char*>(digest.data()), digest.size());
  for (std::size_t i = 0; i < cache_used_; ++i) {
    const std::string_view entry(reinterpret_cast<const char*>(cache_[i].data()), digest.size());
    found = equal_in_constant_time(entry, wanted) || found;
  }
  return found;
}

std::optional<bool> BasicAuth::bcrypt_matches(const std::string& hash, std::string_view password) {
  // A check already running, or one too recent: answered at once, no thread left waiting.
  const std::unique_lock lock(bcrypt_mutex_, std::try_to_lock);
  const auto start = TokenBucket::Clock::now();
  if (!lock.owns_lock() || start < next_check_) return std::nullopt;
  const std::string phrase(password);
  const char* computed =
      crypt_rn(phrase.c_str(), hash.c_str(), scratch_.get(), static_cast<int>(sizeof(crypt_data)));
  const auto end = TokenBucket::Clock::now();
  next_check_ = end + (end - start) * kIdleTimesCheck;
  return computed != nullptr && equal_in_constant_time(computed, hash);
}

AuthOutcome BasicAuth::check(std::string_view user, std::string_view password) {
  const auto account = std::find_if(users_.begin(), users_.end(),
                                    [&](const BasicAuthUser& known) { return known.name == user; });
  if (account != users_.end() && remembered(digest_of(*account, password))) {
    return AuthOutcome::kAllowed;
  }
  // An unknown user costs the same bcrypt as a known one: the time tells nobody who exists.
  const BasicAuthUser& hashed = account != users_.end() ? *account : users_.front();
  const std::optional<bool> matches = bcrypt_matches(hashed.bcrypt_hash, password);
  if (!matches) return AuthOutcome::kThrottled;
  if (account == users_.end()) return AuthOutcome::kUnknownUser;
  if (!*matches) return AuthOutcome::kWrongPassword;
  const std::lock_guard lock(cache_mutex_);
  cache_[cache_next_] = digest_of(*account, password);
  cache_next_ = (cache_next_ + 1) % cache_.size();
  cache_used_ = std::max(cache_used_, cache_next_ == 0 ? cache_.size() : cache_next_);
  return AuthOutcome::kAllowed;
}

void BasicAuth::inherit(BasicAuth& previous) {
  {
    const std::scoped_lock lock(cache_mutex_, previous.cache_mutex_);
    cache_ = previous.cache_;
    cache_used_ = previous.cache_used_;
    cache_next_ = previous.cache_next_;
  }
  const std::scoped_lock lock(bcrypt_mutex_, previous.bcrypt_mutex_);
  next_check_ = previous.next_check_;
}

void LimitedLog::refused(std::string_view client, std::string_view why) {
  say(std::string("refused ").append(client).append(": ").append(why));
}

void LimitedLog::say(std::string_view message) {
  const auto now = TokenBucket::Clock::now();
  const std::lock_guard lock(mutex_);
  if (last_ != TokenBucket::Clock::time_point{} && now - last_ < std::chrono::seconds(1)) {
    ++held_back_;
    return;
  }
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  fmt::memory_buffer line;
  append_bytes(line, "zkdump: metrics server: ");
  append_escaped_text(line, message);
  if (held_back_ > 0) {
    fmt::format_to(std::back_inserter(line), " ({} more refused since the last line)", held_back_);
  }
  line.push_back('\n');
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
  last_ = now;
  held_back_ = 0;
}

}  // namespace zkdump::metrics

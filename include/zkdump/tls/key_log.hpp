// The endpoints' TLS secrets, as the NSS key log format has them (SSLKEYLOGFILE: OpenSSL,
// BoringSSL, NSS, curl, Python's keylog_filename, Go's KeyLogWriter): one line per secret,
// `LABEL <client random, hex> <secret, hex>`. Secrets are kept by client random; they are never
// printed. Live, the files are re-read as they grow: an endpoint writes a connection's keys
// around its handshake, often after the capture saw its first records.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zkdump/base/bytes.hpp"
#include "zkdump/base/seeded_hash.hpp"

namespace zkdump::tls {

inline constexpr std::size_t kRandomSize = 32;
inline constexpr std::size_t kMaxSecretSize = 48;
using ClientRandom = std::array<std::uint8_t, kRandomSize>;

enum class SecretKind : std::uint8_t {
  kMaster,           // CLIENT_RANDOM: TLS 1.2's master secret
  kClientHandshake,  // TLS 1.3's traffic secrets
  kServerHandshake,
  kClientTraffic,  // the first application traffic secrets (_0)
  kServerTraffic,
};
inline constexpr std::size_t kSecretKinds = 5;

struct Secret {
  std::array<std::uint8_t, kMaxSecretSize> bytes{};
  std::uint8_t size = 0;  // 0: not logged
  ByteSpan view() const { return {bytes.data(), size}; }
};

struct SessionSecrets {
  std::array<Secret, kSecretKinds> secrets;
  const Secret& operator[](SecretKind kind) const {
    return secrets[static_cast<std::size_t>(kind)];
  }
};

struct KeyLogCounters {
  std::uint64_t lines = 0;
  std::uint64_t secrets = 0;       // kept
  std::uint64_t malformed = 0;     // lines that are not `LABEL HEX HEX`, or too long
  std::uint64_t other_labels = 0;  // exporter and early-data secrets: not needed
  std::uint64_t over_limit = 0;    // sessions past max_sessions, not kept
};

class KeyLog {
 public:
  explicit KeyLog(std::size_t max_sessions = 1u << 20) : max_sessions_(max_sessions) {}
  ~KeyLog();
  KeyLog(const KeyLog&) = delete;
  KeyLog& operator=(const KeyLog&) = delete;

  // Reads the file (the whole of it) and keeps it open to follow it. False with `error` set
  // when it cannot be opened; `warning` is set when others may read it.
  bool add_file(const std::string& path, std::string& error, std::string& warning);
  // Reads what the files gained since the last read (a file rewritten shorter from its start).
  // True when new secrets came.
  bool refresh();
  // Key log text, whole lines; a last line without its newline is kept for the next call.
  void parse(std::string_view text);

  const SessionSecrets* find(const ClientRandom& random) const;
  bool empty() const { return sessions_.empty(); }
  std::size_t sessions() const { return sessions_.size(); }
  const KeyLogCounters& counters() const { return counters_; }

 private:
  struct File {
    std::string path;
    int fd = -1;
    std::uint64_t offset = 0;
    std::string partial;  // a line not yet ended
  };
  struct RandomHash {
    SeededHash hash;
    std::size_t operator()(const ClientRandom& random) const {
      return static_cast<std::size_t>(
          hash({reinterpret_cast<const char*>(random.data()), random.size()}));
    }
  };

  void read_new(File& file);
  void parse_into(std::string& partial, std::string_view text);
  void parse_line(std::string_view line);

  std::size_t max_sessions_;
  std::vector<File> files_;
  std::unordered_map<ClientRandom, SessionSecrets, RandomHash> sessions_;
  std::string partial_;  // parse()'s own unfinished line
  KeyLogCounters counters_;
};

}  // namespace zkdump::tls

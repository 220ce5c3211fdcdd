// --web-config FILE: who may reach the metrics endpoint, in the format every Prometheus exporter
// built on prometheus/exporter-toolkit reads (tls_server_config, http_server_config,
// basic_auth_users, rate_limit). A file is taken whole or refused whole, naming the line.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace zkdump::metrics {

// Go's crypto/tls ClientAuthType, by the names the format uses.
enum class ClientAuth : std::uint8_t {
  kNone,              // NoClientCert
  kRequest,           // RequestClientCert: asked for, not checked
  kRequireAny,        // RequireAnyClientCert: required, not checked
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

struct TlsServerConfig {
  std::string cert_pem;  // the chain, leaf first
  std::string key_pem;   // a secret: never printed
  std::string client_ca_pem;
  ClientAuth client_auth = ClientAuth::kNone;
  std::vector<std::string> client_allowed_sans;
  // GnuTLS's priority string for the versions, cipher suites and curves the file allows.
  std::string priorities;
};

struct BasicAuthUser {
  std::string name;
  std::string bcrypt_hash;
};

// Go's golang.org/x/time/rate limiter as exporter-toolkit configures it: one request per
// interval, bursts of `burst`.
struct RateLimit {
  std::chrono::microseconds interval{0};  // 0: no limit
  unsigned burst = 0;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::vector<BasicAuthUser> users;                          // empty: no authentication
  RateLimit rate_limit;
  bool wants_http2 = false;  // http2: true, said explicitly; HTTP/1.1 is served all the same
};

class WebConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads FILE and the certificate and key files it names (relative to FILE's folder); throws
// WebConfigError saying what is wrong and where.
WebConfig load_web_config(const std::string& path);

// A Prometheus duration: 1h30m, 500ms, 0.
std::optional<std::chrono::microseconds> parse_prometheus_duration(std::string_view text);

}  // namespace zkdump::metrics

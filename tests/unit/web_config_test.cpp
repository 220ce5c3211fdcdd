#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "zkdump/metrics/access.hpp"
#include "zkdump/metrics/http_server.hpp"
#include "zkdump/metrics/tls_policy.hpp"
#include "zkdump/metrics/web_config.hpp"

using namespace zkdump;
using std::chrono::microseconds;

namespace {

// htpasswd -nbBC 4 "" secret: the lowest cost, so that the tests stay quick.
constexpr const char* kSecretHash = "$2y$04$9AxvT0iinrqthdtPBPS0eebYCKQ07brAxNyvgtMCk/KJsCnp3cDj2";

// A web config file of `text` in a temporary folder, removed with it.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    std::string folder = "/tmp/zkdump-web-config-XXXXXX";
    folder_ = mkdtemp(folder.data());
    std::ofstream(path()) << text;
  }
  ~ConfigFile() {
    (void)std::remove(path().c_str());
    (void)std::remove(folder_.c_str());
  }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  std::string path() const { return folder_ + "/web.yml"; }

 private:
  std::string folder_;
};

std::string error_of(const std::string& text) {
  const ConfigFile file(text);
  try {
    (void)metrics::load_web_config(file.path());
  } catch (const metrics::WebConfigError& error) {
    const std::string what = error.what();
    return what.substr(what.find("web.yml") + 7);  // ":LINE: what"
  }
  return "accepted";
}

}  // namespace

TEST_CASE("web config: Prometheus durations") {
  CHECK(metrics::parse_prometheus_duration("1s") == microseconds(1'000'000));
  CHECK(metrics::parse_prometheus_duration("100ms") == microseconds(100'000));
  CHECK(metrics::parse_prometheus_duration("1m30s") == microseconds(90'000'000));
  CHECK(metrics::parse_prometheus_duration("1h5ms") == microseconds(3'600'005'000));
  CHECK(metrics::parse_prometheus_duration("0") == microseconds(0));
  CHECK_FALSE(metrics::parse_prometheus_duration(""));
  CHECK_FALSE(metrics::parse_prometheus_duration("5"));
  CHECK_FALSE(metrics::parse_prometheus_duration("5x"));
  CHECK_FALSE(metrics::parse_prometheus_duration("1s1m"));  // units in Prometheus's order only
  CHECK_FALSE(metrics::parse_prometheus_duration("-1s"));
}

TEST_CASE("web config: what a file without TLS sets") {
  const ConfigFile file(std::string("basic_auth_users:\n  prometheus: '") + kSecretHash +
                        "'\nrate_limit:\n  interval: 250ms\n  burst: 4\nhttp_server_config:\n"
                        "  http2: true\n  headers:\n    X-Frame-Options: deny\n");
  const metrics::WebConfig config = metrics::load_web_config(file.path());
  CHECK_FALSE(config.tls);
  REQUIRE(config.users.size() == 1);
  CHECK(config.users[0].name == "prometheus");
  CHECK(config.rate_limit.interval == microseconds(250'000));
  CHECK(config.rate_limit.burst == 4);
  CHECK(config.wants_http2);
  REQUIRE(config.headers.size() == 1);
  CHECK(config.headers[0] == std::pair<std::string, std::string>{"X-Frame-Options", "deny"});
  CHECK(error_of("") == "accepted");  // plain HTTP, no authentication
}

TEST_CASE("web config: refused files say where and why") {
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  keyfile: b\n") ==
        ":3: unknown key keyfile in tls_server_config");
  CHECK(error_of("basic_auth_users:\n  bob: plain\n") == ":2: user bob: not a bcrypt hash");
  const std::string hash = kSecretHash;
  for (const std::string& bad :
       {hash.substr(0, 59), "$2x" + hash.substr(3), "$2y$03" + hash.substr(6),
        hash.substr(0, 59) + "!", "$1y" + hash.substr(3)}) {
    CHECK(error_of("basic_auth_users:\n  bob: '" + bad + "'\n") ==
          ":2: user bob: not a bcrypt hash");
  }
  CHECK(error_of(std::string("basic_auth_users:\n  'a:b': '") + kSecretHash + "'\n") ==
        ":2: a user name must be non-empty and hold no ':'");
  CHECK(error_of("http_server_config:\n  headers:\n    X-Evil: 1\n") ==
        ":3: unknown key X-Evil in headers");
  CHECK(error_of("rate_limit:\n  interval: 1s\n") ==
        ":2: rate_limit with an interval needs a burst of at least 1");
  const std::string unreadable =
      error_of("tls_server_config:\n  cert_file: missing.crt\n  key_file: k\n");
  CHECK(unreadable.starts_with(":2: cert_file: cannot read /tmp/zkdump-web-config-"));
  CHECK(unreadable.ends_with("/missing.crt"));  // relative to the file's folder
  CHECK(error_of("tls_server_config:\n  cert: x\n  key: y\n")
            .starts_with(":2: the certificate and key: "));
  CHECK(error_of("tls_server_config:\n  client_auth_type: RequireAnyClientCert\n") ==
        ":2: tls_server_config needs cert_file (or cert) and key_file (or key)");
  CHECK(error_of("tls_server_config: [\n").starts_with(":2: "));
  CHECK(error_of("top: 1\n") == ":1: unknown key top in the file");
  CHECK(error_of("rate_limit:\n  burst: 1\n  burst: 2\n").find("given twice") != std::string::npos);
}

TEST_CASE("web config: TLS choices as a GnuTLS priority string") {
  metrics::TlsChoices choices;
  CHECK(metrics::tls_priorities(choices) ==
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:%SERVER_PRECEDENCE");
  choices.min_version = "TLS13";
  choices.prefer_server = false;
  choices.curves = {"X25519", "CurveP384"};
  CHECK(metrics::tls_priorities(choices) ==
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP384R1");
  choices = {};
  choices.max_version = "TLS12";
  choices.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                           "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"};  // Go's older name
  CHECK(metrics::tls_priorities(choices) ==
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+ECDHE-RSA:+AES-128-GCM:"
        "+CHACHA20-POLY1305:+AEAD:%SERVER_PRECEDENCE");
  // GCM with ECDHE and CBC with RSA would also allow ECDHE with CBC: refused, not widened.
  choices.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA"};
  CHECK_THROWS_AS(metrics::tls_priorities(choices), metrics::WebConfigError);
  choices.cipher_suites = {"TLS_RSA_WITH_RC4_128_SHA"};
  CHECK_THROWS_WITH(metrics::tls_priorities(choices),
                    "cipher_suites: unknown or insecure suite TLS_RSA_WITH_RC4_128_SHA");
  choices = {};
  choices.min_version = "TLS13";
  choices.max_version = "TLS12";
  CHECK_THROWS_WITH(metrics::tls_priorities(choices), "min_version is above max_version");
  choices = {};
  choices.curves = {"P256"};
  CHECK_THROWS_AS(metrics::tls_priorities(choices), metrics::WebConfigError);
}

TEST_CASE("web config: a token bucket refills at its interval") {
  metrics::TokenBucket bucket(microseconds(100'000), 2);
  const auto start = metrics::TokenBucket::Clock::now();
  CHECK(bucket.take(start));
  CHECK(bucket.take(start));
  CHECK_FALSE(bucket.take(start));
  CHECK_FALSE(bucket.take(start + std::chrono::milliseconds(50)));
  CHECK(bucket.take(start + std::chrono::milliseconds(160)));
  CHECK_FALSE(bucket.take(start + std::chrono::milliseconds(170)));
  CHECK(bucket.take(start + std::chrono::seconds(10)));  // at most the burst saved up
  CHECK(bucket.take(start + std::chrono::seconds(10)));
  CHECK_FALSE(bucket.take(start + std::chrono::seconds(10)));
  metrics::TokenBucket unlimited(microseconds(0), 0);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.take(start));
}

TEST_CASE("web config: basic auth checks bcrypt, remembers what passed, throttles the rest") {
  metrics::BasicAuth auth(std::vector<metrics::BasicAuthUser>{{"prometheus", kSecretHash}});
  CHECK(auth.required());
  // Each check is followed by nine times its own time (some ms at cost 4) without one.
  const auto checked = [&](std::string_view user, std::string_view password) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return auth.check(user, password);
  };
  CHECK(checked("prometheus", "secret") == metrics::AuthOutcome::kAllowed);
  CHECK(checked("prometheus", "Secret") == metrics::AuthOutcome::kWrongPassword);
  CHECK(checked("nobody", "secret") == metrics::AuthOutcome::kUnknownUser);
  CHECK(checked("prometheus", "") == metrics::AuthOutcome::kWrongPassword);
  // A guess right after a check is not checked; the password that passed still passes.
  CHECK(auth.check("prometheus", "guess") == metrics::AuthOutcome::kThrottled);
  CHECK(auth.check("prometheus", "secret") == metrics::AuthOutcome::kAllowed);
  CHECK_FALSE(metrics::BasicAuth(std::vector<metrics::BasicAuthUser>{}).required());
  // A reload keeps the passwords that passed, for the users whose hash is unchanged.
  metrics::BasicAuth reloaded(std::vector<metrics::BasicAuthUser>{{"prometheus", kSecretHash}});
  reloaded.inherit(auth);
  CHECK(reloaded.check("prometheus", "secret") == metrics::AuthOutcome::kAllowed);
}

TEST_CASE("web config: constant-time equality") {
  CHECK(metrics::equal_in_constant_time("abc", "abc"));
  CHECK_FALSE(metrics::equal_in_constant_time("abc", "abd"));
  CHECK_FALSE(metrics::equal_in_constant_time("abc", "ab"));
  CHECK(metrics::equal_in_constant_time("", ""));
}

TEST_CASE("--metrics-listen: a port alone binds loopback") {
  metrics::ListenAddress address;
  CHECK(metrics::parse_listen_address("9141", address));
  CHECK(address.host.empty());
  CHECK(address.port == 9141);
  CHECK(metrics::parse_listen_address("[::]:9141", address));
  CHECK(address.host == "::");
  CHECK_FALSE(metrics::parse_listen_address("x", address));
}

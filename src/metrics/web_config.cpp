#include "zkdump/metrics/web_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "zkdump/metrics/tls_policy.hpp"

namespace zkdump::metrics {
namespace {

// exporter-toolkit reads the file strictly (yaml.UnmarshalStrict): an unknown key is an error,
// never a setting silently not applied.
constexpr std::array kTopKeys = {"tls_server_config", "http_server_config", "basic_auth_users",
                                 "rate_limit"};
constexpr std::array kTlsKeys = {"cert",
                                 "key",
                                 "client_ca",
                                 "cert_file",
                                 "key_file",
                                 "client_auth_type",
                                 "client_ca_file",
                                 "client_allowed_sans",
                                 "min_version",
                                 "max_version",
                                 "cipher_suites",
                                 "prefer_server_cipher_suites",
                                 "curve_preferences"};
constexpr std::array kHttpKeys = {"http2", "headers"};
constexpr std::array kRateKeys = {"interval", "burst"};
// The response headers exporter-toolkit lets a file set; it refuses any other.
constexpr std::array kHeaderNames = {"Content-Security-Policy", "X-Frame-Options",
                                     "X-Content-Type-Options", "X-XSS-Protection",
                                     "Strict-Transport-Security"};

struct ClientAuthName {
  const char* name;
  ClientAuth value;
};
constexpr std::array kClientAuthNames = {
    ClientAuthName{"NoClientCert", ClientAuth::kNone},
    ClientAuthName{"RequestClientCert", ClientAuth::kRequest},
    ClientAuthName{"RequireAnyClientCert", ClientAuth::kRequireAny},
    ClientAuthName{"VerifyClientCertIfGiven", ClientAuth::kVerifyIfGiven},
    ClientAuthName{"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerify},
};

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    const std::size_t slash = path_.rfind('/');
    folder_ = slash == std::string::npos ? std::string() : path_.substr(0, slash + 1);
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) throw WebConfigError(path_ + ": " + what);
    throw WebConfigError(path_ + ":" + std::to_string(mark.line + 1) + ": " + what);
  }

  template <std::size_t N>
  void only_keys(const YAML::Node& map, const char* section,
                 const std::array<const char*, N>& known) const {
    if (!map.IsMap()) fail(map, std::string(section) + " must be a mapping");
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const auto key = entry.first.as<std::string>();
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return key == k; }) ==
          known.end()) {
        fail(entry.first, "unknown key " + key + " in " + section);
      }
      if (!seen.insert(key).second) fail(entry.first, "key " + key + " given twice");
    }
  }

  std::string scalar(const YAML::Node& node, const char* key) const {
    if (!node.IsScalar()) fail(node, std::string(key) + " must be a string");
    return node.Scalar();
  }

  bool boolean(const YAML::Node& node, const char* key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      fail(node, std::string(key) + " must be true or false");
    }
    return value;
  }

  std::vector<std::string> strings(const YAML::Node& node, const char* key) const {
    if (node.IsNull()) return {};
    if (!node.IsSequence()) fail(node, std::string(key) + " must be a list of strings");
    std::vector<std::string> values;
    for (const auto& item : node) values.push_back(scalar(item, key));
    return values;
  }

  std::string file(const YAML::Node& node, const char* key) const {
    std::string name = scalar(node, key);
    if (name.empty()) return name;
    if (name.front() != '/') name = folder_ + name;
    std::ifstream in(name, std::ios::binary);
    if (!in) fail(node, std::string(key) + ": cannot read " + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string path_;
  std::string folder_;
};

// Inline PEM (cert:) or a file (cert_file:), never both.
std::string pem(const Reader& reader, const YAML::Node& tls, const char* inline_key,
                const char* file_key) {
  const YAML::Node given = tls[inline_key];
  const YAML::Node named = tls[file_key];
  if (given && named) {
    reader.fail(named, std::string("give ") + inline_key + " or " + file_key + ", not both");
  }
  if (given) return reader.scalar(given, inline_key);
  if (named) return reader.file(named, file_key);
  return {};
}

ClientAuth client_auth(const Reader& reader, const YAML::Node& node) {
  const std::string name = reader.scalar(node, "client_auth_type");
  for (const ClientAuthName& known : kClientAuthNames) {
    if (name == known.name) return known.value;
  }
  reader.fail(node, "client_auth_type " + name +
                        " is none of NoClientCert, RequestClientCert, RequireAnyClientCert, "
                        "VerifyClientCertIfGiven, RequireAndVerifyClientCert");
}

TlsServerConfig read_tls(const Reader& reader, const YAML::Node& tls) {
  reader.only_keys(tls, "tls_server_config", kTlsKeys);
  TlsServerConfig config;
  config.cert_pem = pem(reader, tls, "cert", "cert_file");
  config.key_pem = pem(reader, tls, "key", "key_file");
  config.client_ca_pem = pem(reader, tls, "client_ca", "client_ca_file");
  if (config.cert_pem.empty() || config.key_pem.empty()) {
    reader.fail(tls, "tls_server_config needs cert_file (or cert) and key_file (or key)");
  }
  if (const YAML::Node node = tls["client_auth_type"])
    config.client_auth = client_auth(reader, node);
  const bool verifies = config.client_auth == ClientAuth::kVerifyIfGiven ||
                        config.client_auth == ClientAuth::kRequireAndVerify;
  if (verifies && config.client_ca_pem.empty()) {
    reader.fail(tls, "client_auth_type verifies client certificates: it needs client_ca_file");
  }
  if (!verifies && !config.client_ca_pem.empty()) {
    reader.fail(tls, "client_ca_file is given but client_auth_type does not verify certificates");
  }
  if (const YAML::Node node = tls["client_allowed_sans"]) {
    config.client_allowed_sans = reader.strings(node, "client_allowed_sans");
    if (config.client_auth != ClientAuth::kRequireAny &&
        config.client_auth != ClientAuth::kRequireAndVerify &&
        !config.client_allowed_sans.empty()) {
      reader.fail(node,
                  "client_allowed_sans needs client_auth_type RequireAnyClientCert or "
                  "RequireAndVerifyClientCert");
    }
  }
  TlsChoices choices;
  if (const YAML::Node node = tls["min_version"])
    choices.min_version = reader.scalar(node, "min_version");
  if (const YAML::Node node = tls["max_version"])
    choices.max_version = reader.scalar(node, "max_version");
  if (const YAML::Node node = tls["cipher_suites"])
    choices.cipher_suites = reader.strings(node, "cipher_suites");
  if (const YAML::Node node = tls["curve_preferences"]) {
    choices.curves = reader.strings(node, "curve_preferences");
  }
  if (const YAML::Node node = tls["prefer_server_cipher_suites"]) {
    choices.prefer_server = reader.boolean(node, "prefer_server_cipher_suites");
  }
  try {
    config.priorities = tls_priorities(choices);
    check_credentials(config);
  } catch (const WebConfigError& error) {
    reader.fail(tls, error.what());
  }
  return config;
}

void read_http(const Reader& reader, const YAML::Node& http, WebConfig& config) {
  reader.only_keys(http, "http_server_config", kHttpKeys);
  if (const YAML::Node node = http["http2"]) config.wants_http2 = reader.boolean(node, "http2");
  const YAML::Node headers = http["headers"];
  if (!headers || headers.IsNull()) return;
  reader.only_keys(headers, "headers", kHeaderNames);
  for (const auto& entry : headers) {
    const std::string value = reader.scalar(entry.second, "a header");
    if (value.find_first_of("\r\n") != std::string::npos) {
      reader.fail(entry.second, "a header value must be one line");
    }
    if (!value.empty()) config.headers.emplace_back(entry.first.as<std::string>(), value);
  }
}

// bcrypt as htpasswd -B and Go's x/crypto/bcrypt write it: $2a$, $2b$ or $2y$, a cost from 04
// to 31, 53 characters of salt and hash.
bool is_bcrypt(std::string_view hash) {
  constexpr std::size_t kLength = 60;
  if (hash.size() != kLength || !hash.starts_with("$2") || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  int cost = 0;
  const auto [end, error] = std::from_chars(hash.data() + 4, hash.data() + 6, cost);
  if (error != std::errc() || end != hash.data() + 6 || cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '/';
  });
}

void read_users(const Reader& reader, const YAML::Node& users, WebConfig& config) {
  if (users.IsNull()) return;
  if (!users.IsMap()) reader.fail(users, "basic_auth_users must map user names to bcrypt hashes");
  std::set<std::string> seen;
  for (const auto& entry : users) {
    const std::string name = reader.scalar(entry.first, "a user name");
    const std::string hash = reader.scalar(entry.second, "a password hash");
    if (name.empty() || name.find(':') != std::string::npos) {
      reader.fail(entry.first, "a user name must be non-empty and hold no ':'");
    }
    if (!seen.insert(name).second) reader.fail(entry.first, "user " + name + " given twice");
    // The hash itself is not shown: it is a secret too.
    if (!is_bcrypt(hash)) reader.fail(entry.second, "user " + name + ": not a bcrypt hash");
    config.users.push_back({name, hash});
  }
}

void read_rate_limit(const Reader& reader, const YAML::Node& rate, WebConfig& config) {
  reader.only_keys(rate, "rate_limit", kRateKeys);
  if (const YAML::Node node = rate["interval"]) {
    const auto interval = parse_prometheus_duration(reader.scalar(node, "interval"));
    if (!interval) reader.fail(node, "interval is not a duration such as 100ms, 1s or 1m");
    config.rate_limit.interval = *interval;
  }
  if (const YAML::Node node = rate["burst"]) {
    const std::string text = reader.scalar(node, "burst");
    unsigned burst = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), burst);
    if (error != std::errc() || end != text.data() + text.size() || burst > 1'000'000) {
      reader.fail(node, "burst must be a whole number up to 1000000");
    }
    config.rate_limit.burst = burst;
  }
  if (config.rate_limit.interval.count() > 0 && config.rate_limit.burst == 0) {
    reader.fail(rate, "rate_limit with an interval needs a burst of at least 1");
  }
}

}  // namespace

std::optional<std::chrono::microseconds> parse_prometheus_duration(std::string_view text) {
  if (text == "0") return std::chrono::microseconds(0);
  struct Unit {
    std::string_view name;
    std::int64_t us;
  };
  // In the order Prometheus requires them.
  constexpr std::array kUnits = {Unit{"y", 365LL * 86'400'000'000},
                                 Unit{"w", 7LL * 86'400'000'000},
                                 Unit{"d", 86'400'000'000},
                                 Unit{"h", 3'600'000'000},
                                 Unit{"m", 60'000'000},
                                 Unit{"s", 1'000'000},
                                 Unit{"ms", 1'000}};
  std::int64_t total = 0;
  std::size_t next_unit = 0;
  while (!text.empty()) {
    std::uint32_t count = 0;  // unsigned: no sign to read
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc() || end == text.data() || count > 1'000'000'000) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    std::size_t unit = next_unit;
    // "ms" before "m": the longest unit name that starts the rest.
    std::size_t matched = kUnits.size();
    for (; unit < kUnits.size(); ++unit) {
      if (text.substr(0, kUnits[unit].name.size()) == kUnits[unit].name &&
          (matched == kUnits.size() || kUnits[unit].name.size() > kUnits[matched].name.size())) {
        matched = unit;
      }
    }
    if (matched == kUnits.size()) return std::nullopt;
    total += static_cast<std::int64_t>(count) * kUnits[matched].us;
    text.remove_prefix(kUnits[matched].name.size());
    next_unit = matched + 1;
  }
  if (next_unit == 0) return std::nullopt;
  return std::chrono::microseconds(total);
}

WebConfig load_web_config(const std::string& path) {
  const Reader reader(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw WebConfigError(path + ": cannot read the file");
  } catch (const YAML::Exception& error) {
    throw WebConfigError(path + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
  WebConfig config;
  if (root.IsNull()) return config;  // an empty file: plain HTTP, no authentication
  try {
    reader.only_keys(root, "the file", kTopKeys);
    if (const YAML::Node tls = root["tls_server_config"]; tls && !tls.IsNull()) {
      config.tls = read_tls(reader, tls);
    }
    if (const YAML::Node http = root["http_server_config"]; http && !http.IsNull()) {
      read_http(reader, http, config);
    }
    if (const YAML::Node users = root["basic_auth_users"]) read_users(reader, users, config);
    if (const YAML::Node rate = root["rate_limit"]; rate && !rate.IsNull()) {
      read_rate_limit(reader, rate, config);
    }
  } catch (const YAML::Exception& error) {
    throw WebConfigError(path + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
  return config;
}

}  // namespace zkdump::metrics

#include "zkdump/metrics/tls_policy.hpp"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string_view>

namespace zkdump::metrics {
namespace {

struct Version {
  std::string_view go_name;
  std::string_view gnutls_name;
};
constexpr std::array kVersions = {Version{"TLS10", "VERS-TLS1.0"}, Version{"TLS11", "VERS-TLS1.1"},
                                  Version{"TLS12", "VERS-TLS1.2"}, Version{"TLS13", "VERS-TLS1.3"}};

// The suites Go's tls.CipherSuites() lists (the ones exporter-toolkit accepts), with their IANA
// numbers and the GnuTLS key exchange, cipher and MAC they are made of. TLS 1.3 suites have no
// key exchange of their own.
struct Suite {
  std::string_view name;
  std::uint16_t id;
  std::string_view kx;
  std::string_view cipher;
  std::string_view mac;
};
constexpr std::array kSuites = {
    Suite{"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f, "RSA", "AES-128-CBC", "SHA1"},
    Suite{"TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, "RSA", "AES-256-CBC", "SHA1"},
    Suite{"TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c, "RSA", "AES-128-GCM", "AEAD"},
    Suite{"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d, "RSA", "AES-256-GCM", "AEAD"},
    Suite{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009, "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
    Suite{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a, "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
    Suite{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013, "ECDHE-RSA", "AES-128-CBC", "SHA1"},
    Suite{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014, "ECDHE-RSA", "AES-256-CBC", "SHA1"},
    Suite{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b, "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
    Suite{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c, "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
    Suite{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, "ECDHE-RSA", "AES-128-GCM", "AEAD"},
    Suite{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030, "ECDHE-RSA", "AES-256-GCM", "AEAD"},
    Suite{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8, "ECDHE-RSA", "CHACHA20-POLY1305",
          "AEAD"},
    Suite{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9, "ECDHE-ECDSA",
          "CHACHA20-POLY1305", "AEAD"},
    Suite{"TLS_AES_128_GCM_SHA256", 0x1301, "", "AES-128-GCM", "AEAD"},
    Suite{"TLS_AES_256_GCM_SHA384", 0x1302, "", "AES-256-GCM", "AEAD"},
    Suite{"TLS_CHACHA20_POLY1305_SHA256", 0x1303, "", "CHACHA20-POLY1305", "AEAD"},
};

struct Curve {
  std::string_view go_name;
  std::string_view group;
};
constexpr std::array kCurves = {
    Curve{"CurveP256", "GROUP-SECP256R1"}, Curve{"CurveP384", "GROUP-SECP384R1"},
    Curve{"CurveP521", "GROUP-SECP521R1"}, Curve{"X25519", "GROUP-X25519"}};

const Suite* find_suite(std::string_view name) {
  // Go's older names for the ChaCha20 suites, which it still accepts.
  std::string full(name);
  if (full.size() > 17 && full.ends_with("_CHACHA20_POLY1305") && full.starts_with("TLS_ECDHE")) {
    full += "_SHA256";
  }
  const auto* found = std::find_if(kSuites.begin(), kSuites.end(),
                                   [&](const Suite& suite) { return suite.name == full; });
  return found == kSuites.end() ? nullptr : found;
}

std::size_t version_index(std::string_view name, const char* key) {
  for (std::size_t i = 0; i < kVersions.size(); ++i) {
    if (kVersions[i].go_name == name) return i;
  }
  throw WebConfigError(std::string(key) + " " + std::string(name) +
                       " is none of TLS10, TLS11, TLS12, TLS13");
}

void add_once(std::vector<std::string_view>& list, std::string_view item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end()) {
    list.push_back(item);
  }
}

std::string suites_part(const std::vector<std::string>& names) {
  std::vector<std::string_view> kx;
  std::vector<std::string_view> ciphers;
  std::vector<std::string_view> macs;
  for (const std::string& name : names) {
    const Suite* suite = find_suite(name);
    if (suite == nullptr) throw WebConfigError("cipher_suites: unknown or insecure suite " + name);
    add_once(kx, suite->kx);
    add_once(ciphers, suite->cipher);
    add_once(macs, suite->mac);
  }
  std::string part = ":-KX-ALL:-CIPHER-ALL:-MAC-ALL";
  for (const auto* list : {&kx, &ciphers, &macs}) {
    for (std::string_view item : *list) part.append(":+").append(item);
  }
  return part;
}

// GnuTLS combines key exchanges, ciphers and MACs freely: refuse a list whose parts would
// enable a TLS 1.2 suite that was not asked for.
void check_exact(const std::string& priorities, const std::vector<std::string>& names) {
  gnutls_priority_t cache = nullptr;
  const char* error_at = nullptr;
  if (gnutls_priority_init(&cache, priorities.c_str(), &error_at) != GNUTLS_E_SUCCESS) {
    throw WebConfigError("GnuTLS refuses the priority string " + priorities + " at " +
                         (error_at != nullptr ? error_at : "?"));
  }
  const std::unique_ptr<gnutls_priority_st, decltype(&gnutls_priority_deinit)> owned(
      cache, gnutls_priority_deinit);
  std::set<std::uint16_t> wanted;
  for (const std::string& name : names) wanted.insert(find_suite(name)->id);
  for (unsigned i = 0;; ++i) {
    unsigned index = 0;
    const int status = gnutls_priority_get_cipher_suite_index(cache, i, &index);
    if (status == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (status != GNUTLS_E_SUCCESS) continue;
    std::array<unsigned char, 2> id{};
    const char* name =
        gnutls_cipher_suite_info(index, id.data(), nullptr, nullptr, nullptr, nullptr);
    const auto number = static_cast<std::uint16_t>(id[0] << 8 | id[1]);
    if (id[0] == 0x13 || wanted.contains(number)) continue;
    throw WebConfigError(
        std::string("cipher_suites: GnuTLS cannot allow these suites without also allowing ") +
        (name != nullptr ? name : "another") + "; list every suite of the same key exchange");
  }
}

void check(int status, const char* what) {
  if (status < 0) throw WebConfigError(std::string(what) + ": " + gnutls_strerror(status));
}

}  // namespace

std::string tls_priorities(const TlsChoices& choices) {
  const std::size_t low = version_index(choices.min_version, "min_version");
  const std::size_t high = version_index(choices.max_version, "max_version");
  if (low > high) throw WebConfigError("min_version is above max_version");
  std::string priorities = "NORMAL:-VERS-ALL";
  for (std::size_t i = low; i <= high; ++i)
    priorities.append(":+").append(kVersions[i].gnutls_name);
  if (!choices.cipher_suites.empty()) priorities += suites_part(choices.cipher_suites);
  if (!choices.curves.empty()) {
    priorities += ":-GROUP-ALL";
    for (const std::string& name : choices.curves) {
      const auto* curve = std::find_if(kCurves.begin(), kCurves.end(),
                                       [&](const Curve& known) { return known.go_name == name; });
      if (curve == kCurves.end()) {
        throw WebConfigError("curve_preferences: " + name +
                             " is none of CurveP256, CurveP384, CurveP521, X25519");
      }
      priorities.append(":+").append(curve->group);
    }
  }
  if (choices.prefer_server) priorities += ":%SERVER_PRECEDENCE";
  if (!choices.cipher_suites.empty()) check_exact(priorities, choices.cipher_suites);
  return priorities;
}

void check_credentials(const TlsServerConfig& config) {
  gnutls_certificate_credentials_t credentials = nullptr;
  check(gnutls_certificate_allocate_credentials(&credentials), "TLS credentials");
  const std::unique_ptr<gnutls_certificate_credentials_st,
                        decltype(&gnutls_certificate_free_credentials)>
      owned(credentials, gnutls_certificate_free_credentials);
  const auto datum = [](const std::string& pem) {
    return gnutls_datum_t{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                          static_cast<unsigned>(pem.size())};
  };
  const gnutls_datum_t cert = datum(config.cert_pem);
  const gnutls_datum_t key = datum(config.key_pem);
  check(gnutls_certificate_set_x509_key_mem2(credentials, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr,
                                             0),
        "the certificate and key");
  if (!config.client_ca_pem.empty()) {
    const gnutls_datum_t ca = datum(config.client_ca_pem);
    const int count = gnutls_certificate_set_x509_trust_mem(credentials, &ca, GNUTLS_X509_FMT_PEM);
    check(count, "client_ca_file");
    if (count == 0) throw WebConfigError("client_ca_file holds no certificate");
  }
}

void ask_for_client_certificate(void* session, ClientAuth mode) {
  auto* tls = static_cast<gnutls_session_t>(session);
  switch (mode) {
    case ClientAuth::kNone:
      gnutls_certificate_server_set_request(tls, GNUTLS_CERT_IGNORE);
      return;
    // VerifyClientCertIfGiven is checked after the handshake: GnuTLS's check in the handshake
    // would also refuse a client that sends no certificate.
    case ClientAuth::kRequest:
    case ClientAuth::kVerifyIfGiven:
      gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUEST);
      return;
    case ClientAuth::kRequireAny:
      gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUIRE);
      return;
    case ClientAuth::kRequireAndVerify:
      gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_cert(tls, nullptr, 0);
      return;
  }
}

namespace {

std::string san_text(gnutls_x509_subject_alt_name_t type, const std::string& raw) {
  if (type != GNUTLS_SAN_IPADDRESS) return raw;
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int family = raw.size() == 4 ? AF_INET : AF_INET6;
  if (raw.size() != 4 && raw.size() != 16) return {};
  return inet_ntop(family, raw.data(), text.data(), text.size()) != nullptr ? text.data() : "";
}

// Whether the leaf certificate names one of `allowed` as a DNS name, IP address, e-mail or URI.
bool has_allowed_san(const gnutls_datum_t& leaf, const std::vector<std::string>& allowed) {
  gnutls_x509_crt_t certificate = nullptr;
  if (gnutls_x509_crt_init(&certificate) != GNUTLS_E_SUCCESS) return false;
  const std::unique_ptr<gnutls_x509_crt_int, decltype(&gnutls_x509_crt_deinit)> owned(
      certificate, gnutls_x509_crt_deinit);
  if (gnutls_x509_crt_import(certificate, &leaf, GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS) {
    return false;
  }
  for (unsigned i = 0; i < 256; ++i) {
    std::array<char, 1024> buffer{};
    std::size_t size = buffer.size();
    const int type =
        gnutls_x509_crt_get_subject_alt_name(certificate, i, buffer.data(), &size, nullptr);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type < 0) continue;
    const std::string name = san_text(static_cast<gnutls_x509_subject_alt_name_t>(type),
                                      std::string(buffer.data(), size));
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) return true;
  }
  return false;
}

}  // namespace

std::string_view client_certificate_refusal(void* session, const TlsServerConfig& config) {
  auto* tls = static_cast<gnutls_session_t>(session);
  unsigned count = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(tls, &count);
  const bool given = chain != nullptr && count > 0;
  const bool required = config.client_auth == ClientAuth::kRequireAny ||
                        config.client_auth == ClientAuth::kRequireAndVerify;
  if (!given) return required ? "no client certificate" : "";
  if (config.client_auth == ClientAuth::kVerifyIfGiven ||
      config.client_auth == ClientAuth::kRequireAndVerify) {
    unsigned status = 0;
    if (gnutls_certificate_verify_peers2(tls, &status) != GNUTLS_E_SUCCESS || status != 0) {
      return "client certificate not signed by client_ca_file, or not valid now";
    }
  }
  if (!config.client_allowed_sans.empty() &&
      !has_allowed_san(chain[0], config.client_allowed_sans)) {
    return "client certificate names none of client_allowed_sans";
  }
  return "";
}

}  // namespace zkdump::metrics

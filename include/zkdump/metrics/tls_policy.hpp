// What the web config's TLS settings mean to GnuTLS, which libmicrohttpd serves TLS through.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zkdump/metrics/web_config.hpp"

namespace zkdump::metrics {

// tls_server_config's choices, by the names Go's crypto/tls gives them.
struct TlsChoices {
  std::string min_version = "TLS12";
  std::string max_version = "TLS13";
  std::vector<std::string> cipher_suites;  // empty: GnuTLS's defaults
  std::vector<std::string> curves;         // empty: GnuTLS's defaults
  bool prefer_server = true;
};

// A GnuTLS priority string that allows exactly these choices; throws WebConfigError naming a
// choice GnuTLS does not know or cannot express.
std::string tls_priorities(const TlsChoices& choices);
// Throws WebConfigError unless the key matches the certificate and every PEM parses.
void check_credentials(const TlsServerConfig& config);

}  // namespace zkdump::metrics

namespace zkdump::metrics {

// `session` is libmicrohttpd's gnutls_session_t. Before the handshake: ask for a client
// certificate, require it and verify it against client_ca_file as `mode` says.
void ask_for_client_certificate(void* session, ClientAuth mode);
// After it: why the client's certificate does not let it in (empty when it does).
std::string_view client_certificate_refusal(void* session, const TlsServerConfig& config);

}  // namespace zkdump::metrics

// TLS connections: each one's records decrypted with the key log (tls/decryptor.hpp) and its
// plaintext handed to the family handler behind it, exactly as a cleartext connection's bytes
// are, so every family and every sink decodes it the same way. What the TLS layer itself knows
// (the hellos, whether and why not it decrypts, where decryption stopped) goes to the sinks as
// TlsEvents of a connection whose protocol is kTls.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>

#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/tls/decryptor.hpp"
#include "zkdump/tls/key_log.hpp"

namespace zkdump::session {

struct TlsCounters {
  std::uint64_t connections = 0;
  std::uint64_t decrypted = 0;  // connections whose secrets were found and took
  std::array<std::uint64_t, tls::kFailureKinds> undecryptable{};  // connections, by why
  std::array<std::uint64_t, tls::kFailureKinds> stopped{};        // directions cut short, by why
  std::uint64_t records = 0;
  std::uint64_t plaintext_bytes = 0;
  std::uint64_t undecrypted_bytes = 0;  // of connections that did not decrypt
  std::uint64_t early_data_records = 0;
};

class TlsConnection;

class TlsSessions {
 public:
  // `live`: a connection whose secrets are not logged yet waits for them (holding its records).
  TlsSessions(tls::KeyLog& keys, Sinks& sinks, bool live);
  ~TlsSessions();
  TlsSessions(const TlsSessions&) = delete;
  TlsSessions& operator=(const TlsSessions&) = delete;

  using InnerOpener = std::function<std::unique_ptr<tcp::StreamHandler>()>;
  // A TLS connection whose plaintext goes to the handler `open_inner` makes, at its first byte.
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           InnerOpener open_inner);
  // Whether the key log holds this client random's secrets (re-read first when live).
  bool has_keys(const tls::ClientRandom& random);
  // Live, now and then: the key log is re-read, and connections waiting for keys try again.
  void tick();
  const TlsCounters& counters() const { return counters_; }
  const tls::KeyLog& key_log() const { return keys_; }

 private:
  friend class TlsConnection;

  tls::KeyLog& keys_;
  Sinks& sinks_;
  tls::HoldBudget budget_;
  tls::DecryptorOptions options_;
  TlsCounters counters_;
  std::list<TlsConnection*> connections_;  // every open one, for tick()
};

}  // namespace zkdump::session

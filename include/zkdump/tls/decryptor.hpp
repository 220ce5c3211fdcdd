// One TLS connection followed through its handshake and decrypted with the key log's secrets:
// both directions' reassembled bytes in, records cut out (split and merged however TCP carried
// them), plaintext out in the order it came. TLS 1.3 (handshake and application secrets,
// KeyUpdate, HelloRetryRequest, PSK resumption) and TLS 1.2 (master secrets; AES-GCM and
// ChaCha20-Poly1305). Every failure says why, once. After a gap in application data, the first
// record that opens under one of the next sequence numbers puts decryption back in place.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/base/bytes.hpp"
#include "zkdump/base/direction.hpp"
#include "zkdump/tls/cipher_suites.hpp"
#include "zkdump/tls/client_hello.hpp"
#include "zkdump/tls/handshake.hpp"
#include "zkdump/tls/key_log.hpp"
#include "zkdump/tls/record_cipher.hpp"

namespace zkdump {
class FieldSink;
}

namespace zkdump::tls {

enum class Failure : std::uint8_t {
  kNone,
  kNoKey,                 // the key log has no secrets for this client random
  kUnsupportedSuite,      // a suite that is not AEAD (CBC, CCM), or one zkdump does not know
  kUnsupportedVersion,    // SSL 3.0 to TLS 1.1
  kHandshakeNotCaptured,  // the capture missed the hellos (joined late, or lost them)
  kNotTls,                // bytes that are not TLS records
  kBadRecord,             // a record that did not authenticate: wrong secrets, or damage
  kGap,                   // bytes lost in the capture: the record sequence is lost
  kHoldLimit,             // keys did not come before the held records reached their cap
  kKeySchedule,           // libcrypto refused to derive the keys
  kNoServerHello,         // the connection ended before the server answered its ClientHello
};
inline constexpr std::size_t kFailureKinds = static_cast<std::size_t>(Failure::kNoServerHello) + 1;
std::string_view failure_name(Failure failure);  // "no_key", "unsupported_suite", ...
// A connection's TLS session as a line says it: version, cipher, ALPN, resumption, and whether
// it decrypted (if not, why).
void describe_session(const ServerHello& hello, Failure failure, FieldSink& fields);

class DecryptorListener {
 public:
  virtual ~DecryptorListener() = default;
  virtual void on_client_hello(const ClientHello& hello, std::int64_t ts_us) = 0;
  // The server's choices once it is known whether the connection decrypts (failure kNone), and
  // if not, why. TLS 1.3's ALPN is read from EncryptedExtensions first. Once per connection.
  virtual void on_session(const ServerHello& hello, Failure failure, std::int64_t ts_us) = 0;
  virtual void on_plaintext(Direction direction, ByteSpan bytes, std::int64_t ts_us) = 0;
  // Records lost in a capture gap, after which decryption found its place again: about
  // `missing` bytes of plaintext are gone.
  virtual void on_plaintext_gap(Direction direction, std::uint64_t missing, std::int64_t ts_us) = 0;
  // Decryption of one direction ended here (`offset`: in its ciphertext stream).
  virtual void on_stopped(Direction direction, Failure failure, std::uint64_t offset,
                          std::int64_t ts_us) = 0;
};

// What all connections waiting for keys may hold together.
struct HoldBudget {
  std::size_t limit = 64u << 20;
  std::size_t used = 0;
};

struct DecryptorOptions {
  bool wait_for_keys = false;  // live: the key log may still gain this connection's secrets
  std::size_t max_held = 1u << 20;
};

struct DecryptorCounters {
  std::uint64_t records = 0;          // decrypted
  std::uint64_t plaintext_bytes = 0;  // application data
  std::uint64_t skipped_early_data = 0;
};

class Decryptor {
 public:
  Decryptor(const KeyLog& keys, DecryptorListener& listener, HoldBudget& budget,
            const DecryptorOptions& options);
  ~Decryptor();
  Decryptor(const Decryptor&) = delete;
  Decryptor& operator=(const Decryptor&) = delete;

  void data(Direction direction, ByteSpan bytes, std::int64_t ts_us);
  void gap(Direction direction, std::uint64_t missing, std::int64_t ts_us);
  // Looks for the secrets again (the key log grew): held records decrypt if they came.
  void retry_keys();
  // The connection ended: a connection still waiting for keys gets none.
  void finish(std::int64_t ts_us);

  bool waiting_for_keys() const { return waiting_; }
  bool decided() const { return reported_; }
  // True while some direction can still yield plaintext.
  bool alive() const { return !sides_[0].stopped || !sides_[1].stopped; }
  const DecryptorCounters& counters() const { return counters_; }
  std::uint64_t ciphertext_bytes(Direction direction) const;

 private:
  enum class Epoch : std::uint8_t { kClear, kHandshake, kApplication };
  struct Side {
    std::vector<std::uint8_t> partial;  // a record cut across segments
    std::uint64_t received = 0;         // ciphertext bytes seen, and bytes lost in gaps
    std::uint64_t framed = 0;           // where the next record starts
    std::uint64_t record_start = 0;     // where the record being read started
    RecordCipher cipher;
    HandshakeReader handshake;
    Epoch epoch = Epoch::kClear;
    Secret traffic;  // TLS 1.3: the application secret, once it is in use the current one
    TrafficKeys tls12_keys;
    bool stopped = false;
    bool key_change_after_record = false;
    std::uint64_t lost = 0;  // bytes lost in gaps since the last record that opened
    std::uint32_t resync_budget = 0;
  };
  struct Held {
    Direction direction;
    bool gap;
    std::size_t offset;  // in held_bytes_
    std::uint64_t size;  // bytes, or bytes missing
    std::int64_t ts_us;
  };

  Side& side(Direction direction) { return sides_[index_of(direction)]; }
  void consume(Direction direction, ByteSpan rest, std::int64_t ts_us);
  void record(Direction direction, ByteSpan record, std::int64_t ts_us);
  void clear_record(Direction direction, ByteSpan record, std::int64_t ts_us);
  void encrypted_record(Direction direction, ByteSpan record, std::int64_t ts_us);
  void opened_record(Direction direction, std::uint8_t type, std::int64_t ts_us);
  bool resync(Direction direction, std::int64_t ts_us, std::vector<std::uint8_t>& after);
  void resynced(Direction direction, std::size_t at, std::size_t size, std::int64_t ts_us,
                std::vector<std::uint8_t>& after);
  void inner_content(Direction direction, std::uint8_t type, ByteSpan content, std::int64_t ts_us);
  void handshake_message(Direction direction, const HandshakeReader::Message& message,
                         std::int64_t ts_us);
  void server_hello(const ServerHello& hello, std::int64_t ts_us);
  bool complete(const SessionSecrets& secrets) const;
  bool take_keys();
  bool install_keys(const SessionSecrets& secrets);
  void change_keys(Direction direction);
  void hold(Direction direction, bool gap, ByteSpan bytes, std::uint64_t missing,
            std::int64_t ts_us);
  void release_held();
  void report_session(Failure failure, std::int64_t ts_us);
  void fail_session(Failure failure, std::int64_t ts_us);
  void stop(Direction direction, Failure failure, std::int64_t ts_us);
  bool tls13() const { return suite_ != nullptr && suite_->tls13; }

  const KeyLog& keys_;
  DecryptorListener& listener_;
  HoldBudget& budget_;
  DecryptorOptions options_;
  DecryptorCounters counters_;
  std::array<Side, 2> sides_;
  ClientHello client_hello_;
  ServerHello server_hello_;
  const CipherSuite* suite_ = nullptr;
  bool saw_client_hello_ = false;
  bool saw_server_hello_ = false;
  bool keys_installed_ = false;
  bool reported_ = false;
  bool waiting_ = false;
  std::uint32_t early_records_ = 0;  // 0-RTT records the client sent: skipped, not decrypted
  std::int64_t hello_ts_us_ = 0;
  std::vector<Held> held_;
  std::vector<std::uint8_t> held_bytes_;
  Plaintext plain_;
};

}  // namespace zkdump::tls

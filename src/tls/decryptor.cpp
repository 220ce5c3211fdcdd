#include "zkdump/tls/decryptor.hpp"

#include <algorithm>
#include <array>

#include "zkdump/base/fields.hpp"

namespace zkdump::tls {
namespace {

constexpr std::uint16_t kTls12 = 0x0303;
constexpr std::uint16_t kTls13 = 0x0304;
// 0-RTT records are skipped; past this many the client's records are taken as undecryptable.
constexpr std::uint32_t kMaxEarlyRecords = 64;
// After a gap: a record is at least a header, a content type and a tag; a gap moves the
// sequence on by at most this many records; at most this many decryptions are tried, and this
// much is held, before the direction is given up.
constexpr std::size_t kMinRecord = kRecordHeader + 1 + kAeadTagSize;
constexpr std::uint64_t kMaxSkippedRecords = 64;
constexpr std::uint32_t kMaxResyncTries = 1024;
constexpr std::size_t kMaxResyncBuffer = 2 * (kRecordHeader + kMaxRecordBody);

constexpr std::array<std::string_view, kFailureKinds> kFailureNames = {"none",
                                                                       "no_key",
                                                                       "unsupported_suite",
                                                                       "unsupported_version",
                                                                       "handshake_not_captured",
                                                                       "not_tls",
                                                                       "bad_record",
                                                                       "gap",
                                                                       "hold_limit",
                                                                       "key_schedule",
                                                                       "no_server_hello"};

std::size_t record_size(ByteSpan header) {
  return kRecordHeader + (std::size_t{header[3]} << 8 | header[4]);
}

}  // namespace

std::string_view failure_name(Failure failure) {
  return kFailureNames[static_cast<std::size_t>(failure)];
}

void describe_session(const ServerHello& hello, Failure failure, FieldSink& fields) {
  if (hello.version != 0) {
    const std::string_view version = version_name(hello.version);
    if (version.empty()) {
      fields.number({"version_code", "tls_version_code"}, hello.version);
    } else {
      fields.name({"version", "tls_version"}, version);
    }
    const CipherSuite* suite = find_cipher_suite(hello.cipher_suite);
    if (suite != nullptr) {
      fields.name({"cipher", "tls_cipher"}, suite->name);
    } else {
      fields.number({"cipher_code", "tls_cipher_code"}, hello.cipher_suite);
    }
    if (hello.alpn_size > 0) {
      fields.bytes({"alpn", "alpn_selected"}, WireBytes::of(hello.alpn_name()));
    }
    fields.boolean("resumed", hello.resumed());
  }
  fields.boolean("decrypted", failure == Failure::kNone);
  if (failure != Failure::kNone) fields.name("reason", failure_name(failure));
}

Decryptor::Decryptor(const KeyLog& keys, DecryptorListener& listener, HoldBudget& budget,
                     const DecryptorOptions& options)
    : keys_(keys), listener_(listener), budget_(budget), options_(options) {}

Decryptor::~Decryptor() {
  budget_.used -= held_bytes_.size();
}

std::uint64_t Decryptor::ciphertext_bytes(Direction direction) const {
  return sides_[index_of(direction)].received;
}

void Decryptor::data(Direction direction, ByteSpan bytes, std::int64_t ts_us) {
  if (waiting_) return hold(direction, false, bytes, 0, ts_us);
  side(direction).received += bytes.size();
  consume(direction, bytes, ts_us);
}

// Cuts records out of the bytes, completing one a previous segment began.
void Decryptor::consume(Direction direction, ByteSpan rest, std::int64_t ts_us) {
  Side& s = side(direction);
  if (s.stopped) {
    s.partial = {};
    return;
  }
  std::vector<std::uint8_t> after_resync;
  if (s.lost > 0) {
    s.partial.insert(s.partial.end(), rest.begin(), rest.end());
    if (!resync(direction, ts_us, after_resync)) return;
    rest = after_resync;
  }
  if (!s.partial.empty()) {
    const auto append = [&](std::size_t up_to) {
      const ByteSpan taken =
          rest.first(std::min(up_to - std::min(up_to, s.partial.size()), rest.size()));
      s.partial.insert(s.partial.end(), taken.begin(), taken.end());
      rest = rest.subspan(taken.size());
      return s.partial.size() >= up_to;
    };
    if (!append(kRecordHeader)) return;
    const std::size_t size = record_size(s.partial);
    if (size - kRecordHeader > kMaxRecordBody) return stop(direction, Failure::kNotTls, ts_us);
    if (!append(size)) return;
    s.record_start = s.framed;
    s.framed += size;
    record(direction, s.partial, ts_us);
    s.partial.clear();
  }
  while (!rest.empty() && !s.stopped && !waiting_) {
    if (rest.size() < kRecordHeader) break;
    const std::size_t size = record_size(rest);
    if (size - kRecordHeader > kMaxRecordBody) return stop(direction, Failure::kNotTls, ts_us);
    if (rest.size() < size) break;
    s.record_start = s.framed;
    s.framed += size;
    const ByteSpan whole = rest.first(size);
    rest = rest.subspan(size);
    record(direction, whole, ts_us);
  }
  if (waiting_ && !rest.empty()) {
    side(direction).received -= rest.size();  // counted again when the held bytes replay
    return hold(direction, false, rest, 0, ts_us);
  }
  if (s.stopped) {
    s.partial = {};
  } else {
    s.partial.assign(rest.begin(), rest.end());
  }
}

void Decryptor::record(Direction direction, ByteSpan record, std::int64_t ts_us) {
  const std::uint8_t type = record[0];
  if (type < kChangeCipherSpec || type > kApplicationData || record[1] != 3) {
    return stop(direction, Failure::kNotTls, ts_us);
  }
  // TLS 1.3 keeps sending ChangeCipherSpec in the clear for middleboxes.
  if (side(direction).cipher.ready() && type != kChangeCipherSpec) {
    return encrypted_record(direction, record, ts_us);
  }
  clear_record(direction, record, ts_us);
}

void Decryptor::clear_record(Direction direction, ByteSpan record, std::int64_t ts_us) {
  Side& s = side(direction);
  const ByteSpan body = record.subspan(kRecordHeader);
  switch (record[0]) {
    case kHandshakeRecord:
      return s.handshake.feed(body, [&](const HandshakeReader::Message& message) {
        handshake_message(direction, message, ts_us);
      });
    case kChangeCipherSpec:
      // TLS 1.2: the sender's next record is protected.
      if (keys_installed_ && !tls13()) change_keys(direction);
      return;
    case kAlert:
      return;
    default:
      break;
  }
  if (!saw_server_hello_ && direction == Direction::kToServer && saw_client_hello_ &&
      ++early_records_ <= kMaxEarlyRecords) {
    ++counters_.skipped_early_data;  // 0-RTT, before the server answered
    return;
  }
  fail_session(saw_server_hello_ ? Failure::kBadRecord : Failure::kHandshakeNotCaptured, ts_us);
}

void Decryptor::encrypted_record(Direction direction, ByteSpan record, std::int64_t ts_us) {
  Side& s = side(direction);
  if (!s.cipher.open(record, plain_)) {
    // A client's 0-RTT records can follow the ServerHello; they do not open with its keys.
    const bool early = tls13() && direction == Direction::kToServer && s.epoch == Epoch::kHandshake;
    if (early && ++early_records_ <= kMaxEarlyRecords) {
      ++counters_.skipped_early_data;
      return;
    }
    return stop(direction, Failure::kBadRecord, ts_us);
  }
  opened_record(direction, record[0], ts_us);
}

// A record that authenticated: its content, now in plain_, goes where its type says.
void Decryptor::opened_record(Direction direction, std::uint8_t type, std::int64_t ts_us) {
  Side& s = side(direction);
  ++counters_.records;
  ByteSpan content = plain_.view();
  if (tls13()) {  // TLSInnerPlaintext: content, its real type, then zero padding
    const auto type_at =
        std::find_if(content.rbegin(), content.rend(), [](std::uint8_t byte) { return byte != 0; });
    if (type_at == content.rend()) return stop(direction, Failure::kBadRecord, ts_us);
    type = *type_at;
    content = content.first(static_cast<std::size_t>(content.rend() - type_at) - 1);
  }
  inner_content(direction, type, content, ts_us);
  if (s.key_change_after_record && !s.stopped) {
    s.key_change_after_record = false;
    change_keys(direction);
  }
}

void Decryptor::inner_content(Direction direction, std::uint8_t type, ByteSpan content,
                              std::int64_t ts_us) {
  if (type == kApplicationData) {
    counters_.plaintext_bytes += content.size();
    if (!content.empty()) listener_.on_plaintext(direction, content, ts_us);
  } else if (type == kHandshakeRecord && tls13()) {  // TLS 1.2's is its Finished only
    side(direction).handshake.feed(content, [&](const HandshakeReader::Message& message) {
      handshake_message(direction, message, ts_us);
    });
  }
}

void Decryptor::handshake_message(Direction direction, const HandshakeReader::Message& message,
                                  std::int64_t ts_us) {
  Side& s = side(direction);
  switch (message.type) {
    case kClientHelloMessage:
      if (direction != Direction::kToServer || message.bytes.empty()) return;
      client_hello_ = decode_client_hello_message(message.bytes);
      if (!saw_client_hello_) listener_.on_client_hello(client_hello_, ts_us);
      saw_client_hello_ = true;  // again after a HelloRetryRequest, with the same random
      return;
    case kServerHelloMessage:
      if (direction == Direction::kToClient && !message.bytes.empty()) {
        server_hello(decode_server_hello(message.bytes), ts_us);
      }
      return;
    case kEncryptedExtensions:
      if (direction == Direction::kToClient && tls13()) {
        read_encrypted_extensions(message.bytes, server_hello_);
        report_session(Failure::kNone, hello_ts_us_);
      }
      return;
    case kFinished:
      if (tls13() && s.epoch == Epoch::kHandshake) s.key_change_after_record = true;
      return;
    case kKeyUpdate:
      if (tls13() && s.epoch == Epoch::kApplication) s.key_change_after_record = true;
      return;
    default:
      return;
  }
}

void Decryptor::server_hello(const ServerHello& hello, std::int64_t ts_us) {
  if (hello.retry || saw_server_hello_) return;  // the real ServerHello follows a retry
  saw_server_hello_ = true;
  server_hello_ = hello;
  // TLS 1.3 echoes the session id for middleboxes: its resumption is the PSK extension.
  server_hello_.echoed_session_id =
      hello.version == kTls12 && hello.session_id_size > 0 &&
      hello.session_id_size == client_hello_.session_id_size &&
      std::equal(hello.session_id.begin(), hello.session_id.begin() + hello.session_id_size,
                 client_hello_.session_id.begin());
  hello_ts_us_ = ts_us;
  if (!saw_client_hello_ || !hello.complete)
    return fail_session(Failure::kHandshakeNotCaptured, ts_us);
  if (hello.version < kTls12) return fail_session(Failure::kUnsupportedVersion, ts_us);
  suite_ = find_cipher_suite(hello.cipher_suite);
  if (suite_ == nullptr || !suite_->decryptable() || suite_->tls13 != (hello.version == kTls13)) {
    suite_ = nullptr;
    return fail_session(Failure::kUnsupportedSuite, ts_us);
  }
  if (take_keys() || reported_) return;
  if (!options_.wait_for_keys) return fail_session(Failure::kNoKey, ts_us);
  waiting_ = true;  // what follows is held until the key log has the secrets
}

bool Decryptor::complete(const SessionSecrets& secrets) const {
  const std::size_t size = hash_size(suite_->hash);
  if (!tls13()) return secrets[SecretKind::kMaster].size == kMaxSecretSize;
  for (const SecretKind kind : {SecretKind::kClientHandshake, SecretKind::kServerHandshake,
                                SecretKind::kClientTraffic, SecretKind::kServerTraffic}) {
    if (secrets[kind].size != size) return false;
  }
  return true;
}

void Decryptor::retry_keys() {
  if (waiting_ && take_keys()) release_held();
}

// Looks the secrets up and installs them; true when they were there.
bool Decryptor::take_keys() {
  const SessionSecrets* secrets = keys_.find(client_hello_.random);
  if (secrets == nullptr || !complete(*secrets)) return false;
  if (!install_keys(*secrets)) {
    fail_session(Failure::kKeySchedule, hello_ts_us_);
    return false;
  }
  if (!tls13()) report_session(Failure::kNone, hello_ts_us_);
  return true;
}

bool Decryptor::install_keys(const SessionSecrets& secrets) {
  if (!tls13()) {
    return keys_installed_ = tls12_traffic_keys(*suite_, secrets[SecretKind::kMaster].view(),
                                                client_hello_.random, server_hello_.random,
                                                sides_[0].tls12_keys, sides_[1].tls12_keys);
  }
  const std::array<SecretKind, 2> handshake = {SecretKind::kClientHandshake,
                                               SecretKind::kServerHandshake};
  const std::array<SecretKind, 2> traffic = {SecretKind::kClientTraffic,
                                             SecretKind::kServerTraffic};
  for (std::size_t i = 0; i < sides_.size(); ++i) {
    TrafficKeys keys;
    if (!tls13_traffic_keys(*suite_, secrets[handshake[i]].view(), keys) ||
        !sides_[i].cipher.init(*suite_, keys)) {
      return false;
    }
    sides_[i].epoch = Epoch::kHandshake;
    sides_[i].traffic = secrets[traffic[i]];
  }
  return keys_installed_ = true;
}

void Decryptor::change_keys(Direction direction) {
  Side& s = side(direction);
  bool ok = true;
  if (!tls13()) {
    ok = s.cipher.init(*suite_, s.tls12_keys);
  } else {
    if (s.epoch == Epoch::kApplication) ok = tls13_next_secret(*suite_, s.traffic);
    TrafficKeys keys;
    ok = ok && tls13_traffic_keys(*suite_, s.traffic.view(), keys) && s.cipher.init(*suite_, keys);
  }
  s.epoch = Epoch::kApplication;
  s.handshake.reset();
  if (!ok) stop(direction, Failure::kKeySchedule, hello_ts_us_);
}

void Decryptor::gap(Direction direction, std::uint64_t missing, std::int64_t ts_us) {
  if (waiting_) return hold(direction, true, {}, missing, ts_us);
  Side& s = side(direction);
  s.received += missing;
  if (s.stopped) return;
  s.record_start = s.framed;
  if (!saw_server_hello_) return fail_session(Failure::kHandshakeNotCaptured, ts_us);
  // Application data: the records after the gap still open, under a later sequence number.
  if (s.epoch != Epoch::kApplication || !s.cipher.ready())
    return stop(direction, Failure::kGap, ts_us);
  if (s.lost == 0) s.resync_budget = kMaxResyncTries;
  s.lost += missing + s.partial.size();
  s.partial.clear();
}

// After a gap: looks for the first whole record that opens under one of the next sequence
// numbers, trying each place a record could start. A record lost whole moves the sequence on by
// one; so the gap's size bounds how far it may have moved.
// True when it found one: the bytes after it are in `after`, to be read as records.
bool Decryptor::resync(Direction direction, std::int64_t ts_us, std::vector<std::uint8_t>& after) {
  Side& s = side(direction);
  const std::uint64_t base = s.cipher.sequence();
  const std::uint64_t skipped =
      std::min<std::uint64_t>(kMaxSkippedRecords, s.lost / kMinRecord + 1);
  std::size_t at = 0;
  for (; at + kRecordHeader <= s.partial.size(); ++at) {
    const ByteSpan candidate = ByteSpan(s.partial).subspan(at);
    if (candidate[0] != kApplicationData || candidate[1] != 3 || candidate[2] != 3) continue;
    const std::size_t size = record_size(candidate);
    if (size - kRecordHeader > kMaxRecordBody || size < kMinRecord) continue;
    if (candidate.size() < size) break;  // its rest has not come yet
    for (std::uint64_t ahead = 0; ahead <= skipped && s.resync_budget > 0; ++ahead) {
      --s.resync_budget;
      s.cipher.set_sequence(base + ahead);
      if (s.cipher.open(candidate.first(size), plain_)) {
        resynced(direction, at, size, ts_us, after);
        return true;
      }
    }
    s.cipher.set_sequence(base);
    if (s.resync_budget == 0) {
      stop(direction, Failure::kGap, ts_us);
      return false;
    }
  }
  s.partial.erase(s.partial.begin(), s.partial.begin() + static_cast<std::ptrdiff_t>(at));
  if (s.partial.size() > kMaxResyncBuffer) stop(direction, Failure::kGap, ts_us);
  return false;
}

// The record at `at` of the held bytes opened: what was lost is a gap in the plaintext, the
// record is taken, and the bytes after it are records again.
void Decryptor::resynced(Direction direction, std::size_t at, std::size_t size, std::int64_t ts_us,
                         std::vector<std::uint8_t>& after) {
  Side& s = side(direction);
  listener_.on_plaintext_gap(direction, s.lost + at, ts_us);
  s.lost = 0;
  s.framed += at + size;
  after.assign(s.partial.begin() + static_cast<std::ptrdiff_t>(at + size), s.partial.end());
  const std::uint8_t type = s.partial[at];
  s.partial.clear();
  opened_record(direction, type, ts_us);
}

void Decryptor::finish(std::int64_t ts_us) {
  if (waiting_) return fail_session(Failure::kNoKey, ts_us);
  if (reported_) return;
  if (saw_server_hello_) return report_session(Failure::kNone, hello_ts_us_);
  fail_session(saw_client_hello_ ? Failure::kNoServerHello : Failure::kHandshakeNotCaptured, ts_us);
}

void Decryptor::hold(Direction direction, bool gap, ByteSpan bytes, std::uint64_t missing,
                     std::int64_t ts_us) {
  if (held_bytes_.size() + bytes.size() > options_.max_held ||
      budget_.used + bytes.size() > budget_.limit) {
    side(direction).received += gap ? missing : bytes.size();
    return fail_session(Failure::kHoldLimit, ts_us);
  }
  held_.push_back({direction, gap, held_bytes_.size(), gap ? missing : bytes.size(), ts_us});
  held_bytes_.insert(held_bytes_.end(), bytes.begin(), bytes.end());
  budget_.used += bytes.size();
}

void Decryptor::release_held() {
  waiting_ = false;
  std::vector<Held> held = std::move(held_);
  std::vector<std::uint8_t> bytes = std::move(held_bytes_);
  held_ = {};
  held_bytes_ = {};
  budget_.used -= bytes.size();
  for (const Held& chunk : held) {
    if (chunk.gap) {
      gap(chunk.direction, chunk.size, chunk.ts_us);
    } else {
      data(chunk.direction, ByteSpan(bytes).subspan(chunk.offset, chunk.size), chunk.ts_us);
    }
  }
}

void Decryptor::report_session(Failure failure, std::int64_t ts_us) {
  if (reported_) return;
  reported_ = true;
  listener_.on_session(server_hello_, failure, ts_us);
}

void Decryptor::fail_session(Failure failure, std::int64_t ts_us) {
  report_session(failure, ts_us);
  waiting_ = false;
  for (const Held& chunk : held_) {
    side(chunk.direction).received += chunk.size;
  }
  budget_.used -= held_bytes_.size();
  held_ = {};
  held_bytes_ = {};
  // A side's held record bytes may be what is being read right now: consume() lets them go.
  for (Side& s : sides_) s.stopped = true;
}

void Decryptor::stop(Direction direction, Failure failure, std::int64_t ts_us) {
  Side& s = side(direction);
  if (s.stopped) return;
  if (!reported_) return fail_session(failure, ts_us);  // the session line says why
  s.stopped = true;
  listener_.on_stopped(direction, failure, s.record_start, ts_us);
}

}  // namespace zkdump::tls

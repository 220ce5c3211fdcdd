#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "zkdump/tls/client_hello.hpp"
#include "zkdump/tls/decryptor.hpp"
#include "zkdump/tls/key_log.hpp"
#include "zkdump/tls/record_cipher.hpp"

namespace {

using zkdump::ByteSpan;
using zkdump::tls::ClientHello;
using zkdump::tls::decode_client_hello;

// Big-endian numbers and length-prefixed blocks, as TLS writes them.
struct Wire {
  std::vector<std::uint8_t> bytes;

  Wire& number(std::uint32_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      const auto byte = static_cast<std::uint8_t>(value >> shift);
      put(&byte, 1);
    }
    return *this;
  }
  Wire& text(std::string_view value) { return put(value.data(), value.size()); }
  Wire& block(const Wire& inner, int width) {
    number(static_cast<std::uint32_t>(inner.bytes.size()), width);
    return put(inner.bytes.data(), inner.bytes.size());
  }
  // One way in, out of line, as in bytes.hpp: g++ 12 at -O3 warns of overflows that cannot
  // happen when vector growth is inlined after small appends.
  [[gnu::noinline]] Wire& put(const void* data, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(data);
    bytes.insert(bytes.end(), first, first + size);
    return *this;
  }
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
};

Wire extension(std::uint16_t type, const Wire& data) {
  return Wire().number(type, 2).block(data, 2);
}

Wire server_name(std::string_view host) {
  return extension(0, Wire().block(Wire().number(0, 1).block(Wire().text(host), 2), 2));
}

Wire alpn(const std::vector<std::string>& protocols) {
  Wire list;
  for (const std::string& protocol : protocols) list.block(Wire().text(protocol), 1);
  return extension(16, Wire().block(list, 2));
}

Wire supported_versions(const std::vector<std::uint16_t>& versions) {
  Wire list;
  for (const std::uint16_t version : versions) list.number(version, 2);
  return extension(43, Wire().block(list, 1));
}

// A record holding one ClientHello with these extensions (none: a TLS 1.0 hello without any).
Wire record(const std::vector<Wire>& extensions, std::uint16_t legacy = 0x0303) {
  Wire hello;
  hello.number(legacy, 2).text(std::string(32, 'r'));
  hello.block(Wire().text("session-id"), 1);
  hello.block(Wire().number(0x1301, 2).number(0xc02f, 2), 2);
  hello.block(Wire().number(0, 1), 1);
  if (!extensions.empty()) {
    Wire all;
    for (const Wire& one : extensions)
      all.bytes.insert(all.bytes.end(), one.bytes.begin(), one.bytes.end());
    hello.block(all, 2);
  }
  const Wire handshake = Wire().number(1, 1).block(hello, 3);
  return Wire().number(22, 1).number(0x0301, 2).block(handshake, 2);
}

std::string_view text(const zkdump::WireBytes& bytes) {
  return bytes.view();
}

}  // namespace

TEST_CASE("a ClientHello gives its highest real version, server name and protocols") {
  const Wire hello =
      record({extension(0x0a0a, Wire()), server_name("zk1.example.test"), alpn({"h2", "http/1.1"}),
              supported_versions({0x1a1a, 0x0304, 0x0303})});
  CHECK(zkdump::tls::starts_handshake_record(hello.span()));
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.is_client_hello);
  CHECK(decoded.complete);
  CHECK(decoded.record_version == 0x0301);
  CHECK(decoded.version == 0x0304);  // not the GREASE 0x1a1a, not the legacy 0x0303
  CHECK(zkdump::tls::version_name(decoded.version) == "TLS1.3");
  CHECK(text(decoded.server_name) == "zk1.example.test");
  REQUIRE(decoded.protocol_count == 2);
  CHECK(text(decoded.protocols[0]) == "h2");
  CHECK(text(decoded.protocols[1]) == "http/1.1");
}

TEST_CASE("a ClientHello without extensions keeps its legacy version") {
  const Wire hello = record({}, 0x0301);
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.complete);
  CHECK(zkdump::tls::version_name(decoded.version) == "TLS1.0");
  CHECK(decoded.server_name.size == 0);
  CHECK(decoded.protocol_count == 0);
}

TEST_CASE("a ClientHello cut anywhere decodes what came before the cut and says it is cut") {
  const Wire hello = record({server_name("a.example"), alpn({"h2"}), supported_versions({0x0304})});
  for (std::size_t size = 0; size < hello.bytes.size(); ++size) {
    CAPTURE(size);
    const ClientHello decoded = decode_client_hello(ByteSpan(hello.bytes.data(), size));
    CHECK_FALSE(decoded.complete);
    // A server name is shown only whole.
    CHECK((decoded.server_name.size == 0 || text(decoded.server_name) == "a.example"));
  }
}

TEST_CASE("lengths that claim more than there is never read past the record") {
  Wire lying;
  lying.number(22, 1).number(0x0301, 2).number(0xffff, 2).number(1, 1).number(0xffffff, 3);
  lying.number(0x0303, 2);
  const ClientHello decoded = decode_client_hello(lying.span());
  CHECK(decoded.is_client_hello);
  CHECK_FALSE(decoded.complete);
  // A server name whose length runs past its list is not taken.
  const Wire bad_name =
      record({extension(0, Wire().block(Wire().number(0, 1).number(500, 2).text("x"), 2))});
  CHECK(decode_client_hello(bad_name.span()).server_name.size == 0);
}

TEST_CASE("more ALPN protocols than kept are counted, and other records are not hellos") {
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back(fmt::format("p{}", i));
  const Wire hello = record({alpn(many)});  // the decoded views point into it
  const ClientHello decoded = decode_client_hello(hello.span());
  CHECK(decoded.complete);
  CHECK(decoded.protocol_count == 20);
  CHECK(text(decoded.protocols[zkdump::tls::kMaxProtocols - 1]) == "p7");
  Wire server_hello;
  server_hello.number(22, 1).number(0x0303, 2).block(Wire().number(2, 1).number(0, 3), 2);
  CHECK_FALSE(decode_client_hello(server_hello.span()).is_client_hello);
  CHECK_FALSE(zkdump::tls::starts_handshake_record(Wire().number(0x17, 1).number(3, 1).span()));
}

// ---- Decryption ----

namespace {

using zkdump::Direction;
using zkdump::tls::Failure;

constexpr std::string_view kRandomHex =
    "7272727272727272727272727272727272727272727272727272727272727272";  // 32 x 'r'

std::string secret_hex(char fill) {
  return std::string(64, fill);  // 32 bytes: a SHA-256 suite's secret
}

// A TLS 1.3 key log for the record() ClientHello's random.
std::string tls13_key_log() {
  return fmt::format(
      "# comment\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {0} {1}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {0} "
      "{2}\r\nCLIENT_TRAFFIC_SECRET_0 {0} {3}\nSERVER_TRAFFIC_SECRET_0 {0} {4}\nEXPORTER_SECRET "
      "{0} {4}\n",
      kRandomHex, secret_hex('1'), secret_hex('2'), secret_hex('3'), secret_hex('4'));
}

zkdump::tls::Secret secret_of(char fill) {
  zkdump::tls::Secret secret;
  secret.size = 32;
  for (std::size_t i = 0; i < 32; ++i)
    secret.bytes[i] = static_cast<std::uint8_t>(fill - '0') * 0x11;
  return secret;
}

// Seals records as a TLS 1.3 peer does (AES-128-GCM), with OpenSSL's encrypting side.
class Sealer {
 public:
  explicit Sealer(zkdump::tls::Secret secret) : secret_(secret) { rekey(); }
  ~Sealer() { EVP_CIPHER_CTX_free(context_); }
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  Wire seal(std::uint8_t type, std::string_view content) {
    std::vector<std::uint8_t> plain(content.begin(), content.end());
    plain.push_back(type);
    plain.push_back(0);  // padding
    Wire out;
    out.number(23, 1).number(0x0303, 2).number(static_cast<std::uint32_t>(plain.size() + 16), 2);
    std::array<std::uint8_t, 12> nonce = keys_.iv;
    for (int i = 0; i < 8; ++i)
      nonce[4 + i] ^= static_cast<std::uint8_t>(sequence_ >> (56 - 8 * i));
    ++sequence_;
    std::vector<std::uint8_t> sealed(plain.size() + 16);
    int written = 0;
    EVP_EncryptInit_ex(context_, EVP_aes_128_gcm(), nullptr, keys_.key.data(), nonce.data());
    EVP_EncryptUpdate(context_, nullptr, &written, out.bytes.data(), 5);
    EVP_EncryptUpdate(context_, sealed.data(), &written, plain.data(),
                      static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(context_, sealed.data() + written, &written);
    EVP_CIPHER_CTX_ctrl(context_, EVP_CTRL_AEAD_GET_TAG, 16, sealed.data() + plain.size());
    return out.put(sealed.data(), sealed.size());
  }
  // After a Finished or a KeyUpdate: the next secret (handshake to application, or updated).
  void next(zkdump::tls::Secret secret) {
    secret_ = secret;
    rekey();
  }
  void update() {
    REQUIRE(zkdump::tls::tls13_next_secret(suite(), secret_));
    rekey();
  }

 private:
  static const zkdump::tls::CipherSuite& suite() { return *zkdump::tls::find_cipher_suite(0x1301); }
  void rekey() {
    REQUIRE(zkdump::tls::tls13_traffic_keys(suite(), secret_.view(), keys_));
    sequence_ = 0;
  }
  zkdump::tls::Secret secret_;
  zkdump::tls::TrafficKeys keys_;
  std::uint64_t sequence_ = 0;
  EVP_CIPHER_CTX* context_ = EVP_CIPHER_CTX_new();
};

// SHA-256("HelloRetryRequest"), RFC 8446 4.1.3.
constexpr std::array<std::uint8_t, 32> kRetryRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

Wire server_hello_record(std::uint16_t suite = 0x1301, bool retry = false) {
  Wire hello;
  hello.number(0x0303, 2);
  if (retry) {
    hello.put(kRetryRandom.data(), kRetryRandom.size());
  } else {
    hello.text(std::string(32, 's'));
  }
  hello.block(Wire().text("session-id"), 1).number(suite, 2).number(0, 1);
  hello.block(extension(43, Wire().number(0x0304, 2)), 2);
  const Wire handshake = Wire().number(2, 1).block(hello, 3);
  return Wire().number(22, 1).number(0x0303, 2).block(handshake, 2);
}

std::string handshake_message(std::uint8_t type, std::string_view body) {
  std::string message{static_cast<char>(type), 0, 0, static_cast<char>(body.size())};
  return message.append(body);
}

struct Recorded : zkdump::tls::DecryptorListener {
  std::vector<std::string> events;
  std::string plain[2];
  void on_client_hello(const ClientHello&, std::int64_t) override { events.emplace_back("hello"); }
  void on_session(const zkdump::tls::ServerHello& hello, Failure failure, std::int64_t) override {
    events.push_back(
        fmt::format("session {} {}", zkdump::tls::failure_name(failure), hello.alpn_name()));
  }
  void on_plaintext(Direction direction, ByteSpan bytes, std::int64_t) override {
    plain[zkdump::index_of(direction)].append(bytes.begin(), bytes.end());
  }
  void on_plaintext_gap(Direction direction, std::uint64_t, std::int64_t) override {
    events.push_back(fmt::format("gap {}", zkdump::index_of(direction)));
  }
  void on_stopped(Direction direction, Failure failure, std::uint64_t, std::int64_t) override {
    events.push_back(fmt::format("stopped {} {}", zkdump::index_of(direction),
                                 zkdump::tls::failure_name(failure)));
  }
};

// A whole TLS 1.3 connection, each direction's bytes in the order a client and server send them.
struct Conversation {
  std::vector<std::pair<Direction, Wire>> records;
  Conversation() {
    Sealer client(secret_of('1'));
    Sealer server(secret_of('2'));
    const Wire alpn_extension = alpn({"h2"});
    const std::string extensions(alpn_extension.bytes.begin(), alpn_extension.bytes.end());
    std::string encrypted_extensions{0, static_cast<char>(extensions.size())};
    encrypted_extensions += extensions;
    records.emplace_back(Direction::kToServer, record({supported_versions({0x0304})}));
    records.emplace_back(Direction::kToClient, server_hello_record());
    records.emplace_back(Direction::kToClient, Wire().number(20, 1).number(0x0303, 2).block(
                                                   Wire().number(1, 1), 2));  // middlebox CCS
    records.emplace_back(Direction::kToClient,
                         server.seal(22, handshake_message(8, encrypted_extensions) +
                                             handshake_message(20, "finished")));
    server.next(secret_of('4'));
    records.emplace_back(Direction::kToServer, client.seal(22, handshake_message(20, "done")));
    client.next(secret_of('3'));
    records.emplace_back(Direction::kToServer, client.seal(23, "request one"));
    records.emplace_back(Direction::kToClient, server.seal(23, "reply one"));
    records.emplace_back(Direction::kToServer, client.seal(22, handshake_message(24, "\1")));
    client.update();
    records.emplace_back(Direction::kToServer, client.seal(23, "request two"));
    records.emplace_back(Direction::kToClient, server.seal(4, "ticket"));  // ignored content type
    records.emplace_back(Direction::kToClient, server.seal(23, "reply two"));
  }
};

struct Decrypting {
  zkdump::tls::KeyLog keys;
  zkdump::tls::HoldBudget budget;
  Recorded recorded;
  zkdump::tls::Decryptor decryptor;
  explicit Decrypting(bool live = false, std::string_view key_log = tls13_key_log())
      : decryptor(keys, recorded, budget, {live, 1u << 20}) {
    keys.parse(key_log);
  }
};

}  // namespace

TEST_CASE("a key log keeps the secrets it knows by client random, and skips what it cannot read") {
  zkdump::tls::KeyLog keys;
  keys.parse(tls13_key_log());
  keys.parse("CLIENT_RANDOM 00 11\nCLIENT_RANDOM ");  // short hex; a line cut in two calls
  keys.parse(std::string(kRandomHex) + " " + std::string(96, 'a') + "\nnot a line at all\n" +
             std::string(600, 'x') + "\n");
  zkdump::tls::ClientRandom random;
  random.fill('r');
  const zkdump::tls::SessionSecrets* secrets = keys.find(random);
  REQUIRE(secrets != nullptr);
  CHECK((*secrets)[zkdump::tls::SecretKind::kClientHandshake].size == 32);
  CHECK((*secrets)[zkdump::tls::SecretKind::kServerTraffic].bytes[0] == 0x44);
  CHECK((*secrets)[zkdump::tls::SecretKind::kMaster].size == 48);
  CHECK(keys.counters().secrets == 5);
  CHECK(keys.counters().other_labels == 1);
  CHECK(keys.counters().malformed == 3);
  random.fill('x');
  CHECK(keys.find(random) == nullptr);
}

TEST_CASE("TLS 1.3 decrypts through its handshake, key change and KeyUpdate, however cut") {
  const Conversation conversation;
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{1000}}) {
    CAPTURE(piece);
    Decrypting run;
    for (const auto& [direction, bytes] : conversation.records) {
      for (std::size_t at = 0; at < bytes.bytes.size(); at += piece) {
        const std::size_t size = std::min(piece, bytes.bytes.size() - at);
        run.decryptor.data(direction, ByteSpan(bytes.bytes).subspan(at, size), 0);
      }
    }
    run.decryptor.finish(1);
    CHECK(run.recorded.events == std::vector<std::string>{"hello", "session none h2"});
    CHECK(run.recorded.plain[0] == "request onerequest two");
    CHECK(run.recorded.plain[1] == "reply onereply two");
    CHECK(run.decryptor.counters().records == 8);
  }
}

TEST_CASE(
    "a HelloRetryRequest is passed over: the ServerHello after the second ClientHello counts") {
  const Conversation conversation;
  Decrypting run;
  run.decryptor.data(Direction::kToServer, conversation.records[0].second.span(), 0);
  run.decryptor.data(Direction::kToClient, server_hello_record(0x1301, true).span(), 0);
  run.decryptor.data(Direction::kToServer, conversation.records[0].second.span(), 0);  // again
  for (std::size_t i = 1; i < conversation.records.size(); ++i) {
    run.decryptor.data(conversation.records[i].first, conversation.records[i].second.span(), 0);
  }
  CHECK(run.recorded.events == std::vector<std::string>{"hello", "session none h2"});
  CHECK(run.recorded.plain[0] == "request onerequest two");
  CHECK(run.recorded.plain[1] == "reply onereply two");
}

TEST_CASE("TLS without its secrets says why once, and a live one waits for them") {
  const Conversation conversation;
  const auto play = [&](Decrypting& run, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      run.decryptor.data(conversation.records[i].first, conversation.records[i].second.span(), 0);
    }
  };
  Decrypting offline(false, "");
  play(offline, 0, conversation.records.size());
  offline.decryptor.finish(1);
  CHECK(offline.recorded.events == std::vector<std::string>{"hello", "session no_key "});
  CHECK(offline.recorded.plain[0].empty());

  // The ServerHello completed from held bytes: failing inside it lets them go only afterwards.
  Decrypting cut(false, "");
  for (const auto& [direction, bytes] : conversation.records) {
    for (std::size_t at = 0; at < bytes.bytes.size(); at += 3) {
      cut.decryptor.data(
          direction,
          ByteSpan(bytes.bytes).subspan(at, std::min<std::size_t>(3, bytes.bytes.size() - at)), 0);
    }
  }
  CHECK(cut.recorded.events == std::vector<std::string>{"hello", "session no_key "});

  Decrypting live(true, "");
  play(live, 0, 6);
  CHECK(live.decryptor.waiting_for_keys());
  CHECK(live.budget.used > 0);
  live.keys.parse(tls13_key_log());
  live.decryptor.retry_keys();
  play(live, 6, conversation.records.size());
  CHECK(live.recorded.events == std::vector<std::string>{"hello", "session none h2"});
  CHECK(live.recorded.plain[0] == "request onerequest two");
  CHECK(live.budget.used == 0);

  Decrypting wrong(false, fmt::format("CLIENT_HANDSHAKE_TRAFFIC_SECRET {0} {1}\n"
                                      "SERVER_HANDSHAKE_TRAFFIC_SECRET {0} {1}\n"
                                      "CLIENT_TRAFFIC_SECRET_0 {0} {1}\n"
                                      "SERVER_TRAFFIC_SECRET_0 {0} {1}\n",
                                      kRandomHex, secret_hex('9')));
  play(wrong, 0, conversation.records.size());
  CHECK(wrong.recorded.events == std::vector<std::string>{"hello", "session bad_record "});
}

TEST_CASE("after a gap in application data the next record opens; in the handshake it stops") {
  const Conversation conversation;
  // Plays every record but `lost`, of which only a gap comes, and the first `cut` bytes of the
  // next record its direction sends, which then comes in two pieces.
  const auto play_losing = [&](Decrypting& run, std::size_t lost, std::size_t cut) {
    const Direction cut_side = conversation.records[lost].first;
    bool cutting = false;
    for (std::size_t i = 0; i < conversation.records.size(); ++i) {
      const auto& [direction, bytes] = conversation.records[i];
      if (i == lost) {
        run.decryptor.gap(direction, bytes.bytes.size() + cut, 0);
        cutting = true;
      } else if (cutting && direction == cut_side) {
        run.decryptor.data(direction, ByteSpan(bytes.bytes).subspan(cut, 3), 0);
        run.decryptor.data(direction, ByteSpan(bytes.bytes).subspan(cut + 3), 0);
        cutting = false;
      } else {
        run.decryptor.data(direction, bytes.span(), 0);
      }
    }
  };
  Decrypting whole_record;  // the server's first reply lost: the ticket after it opens
  play_losing(whole_record, 6, 0);
  CHECK(whole_record.recorded.events ==
        std::vector<std::string>{"hello", "session none h2", "gap 1"});
  CHECK(whole_record.recorded.plain[0] == "request onerequest two");
  CHECK(whole_record.recorded.plain[1] == "reply two");

  Decrypting cut_record;  // and the ticket's first bytes: "reply two" is found after them
  play_losing(cut_record, 6, 7);
  CHECK(cut_record.recorded.events ==
        std::vector<std::string>{"hello", "session none h2", "gap 1"});
  CHECK(cut_record.recorded.plain[1] == "reply two");

  Decrypting handshake;  // the server's encrypted handshake lost: no key change can be followed
  for (std::size_t i = 0; i < conversation.records.size(); ++i) {
    const auto& [direction, bytes] = conversation.records[i];
    if (i == 3) {
      handshake.decryptor.gap(direction, bytes.bytes.size(), 0);
    } else {
      handshake.decryptor.data(direction, bytes.span(), 0);
    }
  }
  handshake.decryptor.finish(1);
  CHECK(handshake.recorded.events == std::vector<std::string>{"hello", "session gap "});
  CHECK(handshake.recorded.plain[1].empty());
}

TEST_CASE("an unsupported suite, bytes that are not TLS, and a server that never answers") {
  Decrypting cbc;
  cbc.decryptor.data(Direction::kToServer, record({supported_versions({0x0303})}).span(), 0);
  cbc.decryptor.data(Direction::kToClient, server_hello_record(0xc013).span(), 0);
  CHECK(cbc.recorded.events == std::vector<std::string>{"hello", "session unsupported_suite "});

  Decrypting junk;
  junk.decryptor.data(Direction::kToServer, record({}).span(), 0);
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  junk.decryptor.data(Direction::kToClient,
                      ByteSpan(reinterpret_cast<const std::uint8_t*>(http.data()), http.size()), 0);
  CHECK(junk.recorded.events == std::vector<std::string>{"hello", "session not_tls "});

  Decrypting silent;
  silent.decryptor.data(Direction::kToServer, record({}).span(), 0);
  silent.decryptor.finish(1);
  CHECK(silent.recorded.events == std::vector<std::string>{"hello", "session no_server_hello "});
}

// ---- Record protection ----

namespace {

using zkdump::tls::Aead;

// What a peer sends: `plain` sealed by OpenSSL's EVP, then the 16-byte tag.
std::vector<std::uint8_t> seal(Aead aead, ByteSpan key, ByteSpan nonce, ByteSpan aad,
                               std::string_view plain) {
  const EVP_CIPHER* cipher = aead == Aead::kAes128Gcm   ? EVP_aes_128_gcm()
                             : aead == Aead::kAes256Gcm ? EVP_aes_256_gcm()
                                                        : EVP_chacha20_poly1305();
  std::vector<std::uint8_t> sealed(plain.size() + 16);
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  int written = 0;
  REQUIRE(EVP_EncryptInit_ex(context, cipher, nullptr, key.data(), nonce.data()) == 1);
  REQUIRE(EVP_EncryptUpdate(context, nullptr, &written, aad.data(), static_cast<int>(aad.size())) ==
          1);
  REQUIRE(EVP_EncryptUpdate(context, sealed.data(), &written,
                            reinterpret_cast<const std::uint8_t*>(plain.data()),
                            static_cast<int>(plain.size())) == 1);
  REQUIRE(EVP_EncryptFinal_ex(context, sealed.data() + written, &written) == 1);
  REQUIRE(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, sealed.data() + plain.size()) ==
          1);
  EVP_CIPHER_CTX_free(context);
  return sealed;
}

std::string as_text(ByteSpan bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("each AEAD opens what EVP sealed, and nothing that was altered") {
  const std::array<std::uint8_t, 32> key = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::array<std::uint8_t, 12> nonce = {0xa0, 0xa1, 0xa2};
  const std::array<std::uint8_t, 5> aad = {23, 3, 3, 0, 42};
  std::array<std::uint8_t, 64> out{};
  zkdump::tls::AeadContext context;  // one context through every cipher, as a connection rekeys
  for (const Aead aead : {Aead::kAes128Gcm, Aead::kAes256Gcm, Aead::kChaCha20Poly1305}) {
    CAPTURE(static_cast<int>(aead));
    const ByteSpan key_bytes = ByteSpan(key).first(zkdump::tls::key_size(aead));
    REQUIRE(context.set_key(aead, key_bytes));
    for (const std::string_view plain : {std::string_view("a ZooKeeper request"), {}}) {
      std::vector<std::uint8_t> sealed = seal(aead, key_bytes, nonce, aad, plain);
      const ByteSpan ciphertext = ByteSpan(sealed).first(plain.size());
      const ByteSpan tag = ByteSpan(sealed).last(16);
      REQUIRE(context.open(nonce, aad, ciphertext, tag, out));
      CHECK(as_text(ByteSpan(out).first(plain.size())) == plain);

      CHECK_FALSE(context.open(nonce, ByteSpan(aad).first(4), ciphertext, tag, out));
      sealed.back() ^= 1;
      CHECK_FALSE(context.open(nonce, aad, ciphertext, tag, out));
      sealed.back() ^= 1;
      ++nonce[11];
      CHECK_FALSE(context.open(nonce, aad, ciphertext, tag, out));
      --nonce[11];
      CHECK(context.open(nonce, aad, ciphertext, tag, out));  // a failure leaves nothing behind
      if (!plain.empty()) {                                   // no room for the plaintext
        CHECK_FALSE(context.open(nonce, aad, ciphertext, tag, std::span(out).first(0)));
      }
    }
  }
  CHECK_FALSE(context.set_key(Aead::kAes128Gcm, ByteSpan(key).first(15)));
  CHECK_FALSE(context.set_key(Aead::kNone, key));
  CHECK_FALSE(zkdump::tls::AeadContext().open(nonce, aad, {}, ByteSpan(key).first(16), out));
}

TEST_CASE("TLS 1.2 records open: GCM's explicit nonce, ChaCha20's sequence, and their AAD") {
  for (const std::uint16_t id : {std::uint16_t{0xc02f}, std::uint16_t{0xcca8}}) {
    CAPTURE(id);
    const zkdump::tls::CipherSuite& suite = *zkdump::tls::find_cipher_suite(id);
    zkdump::tls::TrafficKeys keys;
    keys.key = {9, 8, 7, 6, 5};
    keys.iv = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b};
    zkdump::tls::RecordCipher cipher;
    REQUIRE(cipher.init(suite, keys));
    const ByteSpan key = ByteSpan(keys.key).first(zkdump::tls::key_size(suite.aead));
    const bool gcm = suite.aead != Aead::kChaCha20Poly1305;
    zkdump::tls::Plaintext plain;
    for (std::uint64_t sequence = 0; sequence < 3; ++sequence) {
      const std::string content = fmt::format("record {}", sequence);
      std::array<std::uint8_t, 12> nonce = keys.iv;
      const std::array<std::uint8_t, 8> explicit_part = {
          0, 0, 0, 0, 0xee, 0, 0, static_cast<std::uint8_t>(sequence)};
      for (std::size_t i = 0; i < 8; ++i) {
        const auto sequence_byte = static_cast<std::uint8_t>(sequence >> (56 - 8 * i));
        nonce[4 + i] =
            gcm ? explicit_part[i] : static_cast<std::uint8_t>(nonce[4 + i] ^ sequence_byte);
      }
      const Wire aad = Wire()
                           .number(0, 4)
                           .number(static_cast<std::uint32_t>(sequence), 4)
                           .number(23, 1)
                           .number(0x0303, 2)
                           .number(static_cast<std::uint32_t>(content.size()), 2);
      const std::vector<std::uint8_t> sealed = seal(suite.aead, key, nonce, aad.span(), content);
      Wire record;
      record.number(23, 1).number(0x0303, 2);
      record.number(static_cast<std::uint32_t>(sealed.size() + (gcm ? 8 : 0)), 2);
      if (gcm) record.put(explicit_part.data(), explicit_part.size());
      record.put(sealed.data(), sealed.size());
      REQUIRE(cipher.open(record.span(), plain));
      CHECK(as_text(plain.view()) == content);
      CHECK(cipher.sequence() == sequence + 1);
    }
  }
}

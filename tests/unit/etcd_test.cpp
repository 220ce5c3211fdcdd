#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include "zkdump/etcd/messages.hpp"
#include "zkdump/etcd/protobuf.hpp"
#include "zkdump/http2/frames.hpp"
#include "zkdump/http2/grpc.hpp"
#include "zkdump/http2/hpack.hpp"
#include "zkdump/output/fields.hpp"

namespace {

using zkdump::ByteSpan;

// Protobuf as an encoder writes it.
struct Proto {
  std::vector<std::uint8_t> bytes;

  Proto& varint(std::uint64_t value) {
    do {
      const auto byte = static_cast<std::uint8_t>((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
      put(&byte, 1);
      value >>= 7;
    } while (value != 0);
    return *this;
  }
  // One way in, out of line, as in bytes.hpp (g++ 12 -O3 false overflow warnings).
  [[gnu::noinline]] Proto& put(const void* data, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(data);
    bytes.insert(bytes.end(), first, first + size);
    return *this;
  }
  Proto& number(std::uint32_t field, std::uint64_t value) {
    return varint(field << 3).varint(value);
  }
  Proto& text(std::uint32_t field, std::string_view value) {
    varint(field << 3 | 2).varint(value.size());
    return put(value.data(), value.size());
  }
  Proto& message(std::uint32_t field, const Proto& inner) {
    return text(field, std::string_view(reinterpret_cast<const char*>(inner.bytes.data()),
                                        inner.bytes.size()));
  }
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
};

std::string text_line(const zkdump::etcd::MessageSpec& spec, const Proto& message) {
  fmt::memory_buffer main, trailer;
  const zkdump::output::FieldOptions options;
  zkdump::output::TextFields fields(main, trailer, options);
  zkdump::etcd::describe(spec, message.span(), fields);
  return fmt::to_string(main);
}

const zkdump::etcd::MessageSpec& request_of(std::string_view path) {
  const zkdump::etcd::Method* method = zkdump::etcd::find_method(path);
  REQUIRE(method != nullptr);
  return *method->request;
}

}  // namespace

TEST_CASE("the protobuf reader reads every wire type and refuses what is not one") {
  Proto message;
  message.number(1, 300).text(2, "key");
  message.bytes.push_back(3 << 3 | 5);  // fixed32
  for (int i = 0; i < 4; ++i) message.bytes.push_back(static_cast<std::uint8_t>(i + 1));
  zkdump::etcd::pb::Reader reader(message.span());
  zkdump::etcd::pb::Field field;
  REQUIRE(reader.next(field));
  CHECK(field.value == 300);
  REQUIRE(reader.next(field));
  CHECK(field.bytes.size() == 3);
  REQUIRE(reader.next(field));
  CHECK(field.value == 0x04030201);
  CHECK_FALSE(reader.next(field));
  CHECK_FALSE(reader.malformed());

  const std::vector<std::vector<std::uint8_t>> bad = {
      {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},  // 11-byte varint
      {0x12, 0x05, 'a'},                                                         // length past end
      {0x00, 0x01},                                                              // field 0
      {0x0b},                                                                    // a group
      {0x0d, 0x01}};                                                             // cut fixed32
  for (const auto& bytes : bad) {
    zkdump::etcd::pb::Reader broken(ByteSpan(bytes.data(), bytes.size()));
    while (broken.next(field)) {
    }
    CHECK(broken.malformed());
  }
}

TEST_CASE("etcd messages decode by their tables, unknown fields by number") {
  Proto put;
  put.text(1, "/app/a").text(2, "alpha").number(3, 0x6a6c).number(4, 1).number(99, 7);
  CHECK(
      text_line(request_of("/etcdserverpb.KV/Put"), put) ==
      "key=/app/a, value_size=5, lease=0x6a6c, want_prev_kv=True, unknown_fields=['99:varint=7']");
}

TEST_CASE("a call whose :path was not seen is given the method its messages fit") {
  const auto guess = [](const Proto& message, bool request) {
    const zkdump::etcd::Method* method = zkdump::etcd::guess_method(message.span(), request);
    return method != nullptr ? method->name : std::string_view("none");
  };
  Proto header;
  header.number(1, 0x1c45).number(3, 42);
  CHECK(guess(Proto().text(1, "/app/a").text(2, "alpha"), true) == "Put");
  CHECK(guess(Proto().text(1, "/app/").text(2, "/app0"), true) == "Range");  // its prefix end
  CHECK(guess(Proto().text(1, "/app/").text(2, std::string_view("\0", 1)), true) == "Range");
  CHECK(guess(Proto().message(1, Proto().text(1, "/app/").number(3, 7)), true) == "Watch");
  CHECK(guess(Proto().number(1, 0x6a6c), true) == "LeaseKeepAlive");  // the stream, not a unary
  CHECK(guess(Proto().message(1, header).number(2, 0x6a6c).number(3, 60), false) ==
        "LeaseKeepAlive");
  Proto event;
  event.message(2, Proto().text(1, "/app/a").number(3, 42));
  CHECK(guess(Proto().message(1, header).message(11, event), false) == "Watch");
  CHECK(guess(Proto().message(1, header).number(2, 1).message(3, Proto().message(2, header)),
              false) == "Txn");
  CHECK(guess(Proto(), true) == "none");  // an empty message fits every method
  CHECK(guess(Proto().number(77, 1), true) == "none");
  const zkdump::etcd::Method* put = zkdump::etcd::find_method("/etcdserverpb.KV/Put");
  CHECK(zkdump::etcd::fits(put, Proto().text(1, "k").span(), true));
  CHECK_FALSE(zkdump::etcd::fits(put, Proto().number(9, 1).span(), true));
}

TEST_CASE("nesting deeper than the cap is named, not opened, and nothing recurses") {
  // A Txn whose success op holds a Txn whose success op holds a Txn... 40 deep.
  Proto txn;
  txn.message(1, Proto().number(1, 0).text(3, "k"));
  for (int depth = 0; depth < 40; ++depth) {
    Proto op;
    op.message(4, txn);
    Proto outer;
    outer.message(2, op);
    txn = outer;
  }
  const std::string line = text_line(request_of("/etcdserverpb.KV/Txn"), txn);
  CHECK(line.find("depth_limited=True") != std::string::npos);
  CHECK(line.find("key=k") == std::string::npos);
}

TEST_CASE("the HTTP/2 framer takes the preface, then frames, and finds frames mid-stream") {
  zkdump::http2::Opening opening = zkdump::http2::Opening::kUnknown;
  zkdump::http2::Frames client(zkdump::Direction::kToServer, true, opening);
  const std::string preface(zkdump::http2::kPreface);
  std::vector<std::uint8_t> bytes(preface.begin(), preface.end());
  auto verdict = client.judge(ByteSpan(bytes.data(), bytes.size()), false, false);
  CHECK(verdict.kind == zkdump::framing::Verdict::kMessage);
  CHECK(verdict.size == preface.size());
  // SETTINGS (stream 0, empty), then a PING: a frame is a frame only before the next.
  const std::vector<std::uint8_t> frames = {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 6,
                                            0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  zkdump::http2::Opening unknown = zkdump::http2::Opening::kUnknown;
  zkdump::http2::Frames joined(zkdump::Direction::kToServer, false, unknown);
  verdict = joined.judge(ByteSpan(frames.data(), frames.size()), true, false);
  CHECK(verdict.kind == zkdump::framing::Verdict::kMessage);
  CHECK(verdict.size == 9);
  const std::vector<std::uint8_t> junk = {0, 0, 0, 4, 0, 0, 0, 0, 7, 0xff, 0xff};  // SETTINGS on 7
  CHECK(joined.judge(ByteSpan(junk.data(), junk.size()), true, false).kind ==
        zkdump::framing::Verdict::kReject);
}

namespace {

struct Collected final : zkdump::http2::FieldVisitor {
  std::vector<std::string> fields;
  int unknown = 0;
  void unknown_field() override { ++unknown; }
  void field(std::string_view name, std::string_view value) override {
    fields.push_back(fmt::format("{}={}", name, value));
  }
};

std::vector<std::uint8_t> deflate(nghttp2_hd_deflater* deflater, std::vector<nghttp2_nv> fields) {
  std::vector<std::uint8_t> block(nghttp2_hd_deflate_bound(deflater, fields.data(), fields.size()));
  const auto size =
      nghttp2_hd_deflate_hd(deflater, block.data(), block.size(), fields.data(), fields.size());
  REQUIRE(size >= 0);
  block.resize(static_cast<std::size_t>(size));
  return block;
}

nghttp2_nv field(const char* name, const char* value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value)), std::strlen(name),
          std::strlen(value), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

TEST_CASE("HPACK keeps its table across blocks, and a lost table fails only what needs it") {
  nghttp2_hd_deflater* deflater = nullptr;
  REQUIRE(nghttp2_hd_deflate_new(&deflater, 4096) == 0);
  const auto first = deflate(deflater, {field(":path", "/etcdserverpb.KV/Put"), field("x-a", "1")});
  const auto second =
      deflate(deflater, {field(":path", "/etcdserverpb.KV/Put"), field("x-a", "1")});
  nghttp2_hd_deflate_del(deflater);
  CHECK(second.size() < first.size());  // indexed from the dynamic table

  zkdump::http2::HeaderDecoder decoder;
  Collected one, two;
  REQUIRE(decoder.decode(ByteSpan(first.data(), first.size()), one));
  REQUIRE(decoder.decode(ByteSpan(second.data(), second.size()), two));
  CHECK(two.fields == one.fields);
  CHECK(two.fields.front() == ":path=/etcdserverpb.KV/Put");

  zkdump::http2::HeaderDecoder joined_late(false);  // never saw the first block
  Collected lost;
  REQUIRE(joined_late.decode(ByteSpan(second.data(), second.size()), lost));
  // nghttp2 never indexes :path, so it decodes; x-a is the entry of the table it never saw.
  CHECK(lost.fields == std::vector<std::string>{":path=/etcdserverpb.KV/Put"});
  CHECK(lost.unknown == 1);
}

TEST_CASE("HPACK placeholders keep later indices aligned after a lost table") {
  nghttp2_hd_deflater* deflater = nullptr;
  REQUIRE(nghttp2_hd_deflate_new(&deflater, 4096) == 0);
  const auto before = deflate(deflater, {field("x-method", "Range"), field("x-old", "1")});
  const auto joined = deflate(deflater, {field("x-new", "a"), field("x-method", "Range")});
  const auto after = deflate(deflater, {field("x-new", "a"), field("x-method", "Range"),
                                        field("x-large", std::string(300, 'v').c_str())});
  nghttp2_hd_deflate_del(deflater);

  zkdump::http2::HeaderDecoder whole;
  zkdump::http2::HeaderDecoder late(false);
  Collected whole_before, whole_joined, whole_after, late_joined, late_after;
  REQUIRE(whole.decode(ByteSpan(before.data(), before.size()), whole_before));
  REQUIRE(whole.decode(ByteSpan(joined.data(), joined.size()), whole_joined));
  REQUIRE(whole.decode(ByteSpan(after.data(), after.size()), whole_after));
  REQUIRE(late.decode(ByteSpan(joined.data(), joined.size()), late_joined));
  REQUIRE(late.decode(ByteSpan(after.data(), after.size()), late_after));
  // x-new is a literal; x-method: Range was indexed before the join.
  CHECK(late_joined.fields == std::vector<std::string>{"x-new=a"});
  CHECK(late_joined.unknown == 1);
  // x-new, inserted since the join, is known at the index the encoder now uses.
  CHECK(late_after.fields ==
        std::vector<std::string>{whole_after.fields.front(), whole_after.fields.back()});
  CHECK(late_after.unknown == 1);
  CHECK(whole_after.fields.size() == 3);
}

TEST_CASE("HPACK placeholders reject malformed integers and strings, and cap the table") {
  zkdump::http2::HeaderDecoder late(false);
  Collected out;
  const std::uint8_t endless_integer[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(late.decode(ByteSpan(endless_integer, sizeof endless_integer), out));
  const std::uint8_t short_string[] = {0x40, 0x05, 'a', 'b'};
  CHECK_FALSE(late.decode(ByteSpan(short_string, sizeof short_string), out));
  const std::uint8_t index_zero[] = {0x80};
  CHECK_FALSE(late.decode(ByteSpan(index_zero, sizeof index_zero), out));
  late.change_table_size(std::size_t{1} << 31);  // a peer's 2 GiB table is followed up to the cap
  const std::uint8_t huge_update[] = {0x3f, 0xe1, 0xff, 0xff, 0x07};  // size update to ~2^24
  CHECK(late.decode(ByteSpan(huge_update, sizeof huge_update), out));
}

TEST_CASE("grpc-message is percent-decoded, status codes are named") {
  CHECK(zkdump::http2::percent_decode("lease%20not%20found%") == "lease not found%");
  CHECK(zkdump::http2::grpc_status_name(5) == "NOT_FOUND");
  CHECK(zkdump::http2::grpc_status_name(99).empty());
}

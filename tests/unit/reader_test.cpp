#include <doctest/doctest.h>

#include "bytes.hpp"
#include "zkdump/zk/field_writer.hpp"
#include "zkdump/zk/reader.hpp"

using namespace zkdump;

TEST_CASE("reader decodes big-endian jute primitives") {
  test::Bytes b;
  b.i32(-2).i64(34359738432).boolean(true).str("/ericksun").i32(-1);
  zk::Reader r(b.data);
  CHECK(r.int32() == -2);
  CHECK(r.int64() == 34359738432);
  CHECK(r.boolean());
  CHECK(r.bytes().view() == "/ericksun");
  const zk::WireBytes null_string = r.bytes();
  CHECK(null_string.is_null);
  CHECK(r.complete());
}

TEST_CASE("reader fails, and stays failed, on a read past the end") {
  test::Bytes b;
  b.i32(100).raw("abc");  // a string claiming 100 bytes with 3 present
  zk::Reader r(b.data);
  CHECK(r.bytes().size == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.failure_offset() == 4);
  CHECK(r.int32() == 0);
  CHECK_FALSE(r.complete());
}

TEST_CASE("negative lengths other than -1 are invalid") {
  test::Bytes b;
  b.i32(-5);
  zk::Reader r(b.data);
  r.bytes();
  CHECK_FALSE(r.ok());
}

TEST_CASE("a vector count that cannot fit in what is left fails at once") {
  test::Bytes b;
  b.i32(0x7fffffff).str("x");
  zk::Reader r(b.data);
  CHECK(r.vector_count(4) == 0);
  CHECK_FALSE(r.ok());
  test::Bytes null_vector;
  null_vector.i32(-1);
  zk::Reader n(null_vector.data);
  CHECK(n.vector_count(4) == 0);
  CHECK(n.complete());
}

namespace {
std::string escaped_text(std::string_view in, char quote = 0) {
  fmt::memory_buffer out;
  zk::append_escaped_text(out, in, quote);
  return fmt::to_string(out);
}
std::string escaped_json(std::string_view in) {
  fmt::memory_buffer out;
  zk::append_escaped_json(out, in);
  return fmt::to_string(out);
}
}  // namespace

TEST_CASE("escaping keeps wire bytes from faking lines or driving the terminal") {
  CHECK(escaped_text("/plain/path") == "/plain/path");
  CHECK(escaped_text("/a\nb") == "/a\\x0ab");
  CHECK(escaped_text("\x1b[31mred") == "\\x1b[31mred");
  CHECK(escaped_text("back\\slash") == "back\\\\slash");
  CHECK(escaped_text("it's", '\'') == "it\\'s");
  CHECK(escaped_text("/数据") == "/数据");                   // valid UTF-8 passes
  CHECK(escaped_text("\xc2\x9b") == "\\xc2\\x9b");           // C1 CSI is escaped
  CHECK(escaped_text("\xff\xfe") == "\\xff\\xfe");           // not UTF-8
  CHECK(escaped_text("\xe2\x80\xa8") == "\\xe2\\x80\\xa8");  // U+2028 line separator
  CHECK(escaped_json("q\"\n") == "q\\\"\\u000a");
  CHECK(escaped_json("\xff") == "\\\\xff");
}

TEST_CASE("field writer renders the same fields as text and as JSON") {
  fmt::memory_buffer text_main, text_extras, json_main;
  const std::string_view path = "/p";
  const zk::WireBytes wire{reinterpret_cast<const std::uint8_t*>(path.data()), path.size(), false};
  for (auto* target : {&text_main, &json_main}) {
    const bool json = target == &json_main;
    zk::FieldWriter w(json ? zk::FieldStyle::kJson : zk::FieldStyle::kText, target,
                      json ? target : &text_extras);
    w.number("xid", 7);
    w.bytes("path", wire);
    w.boolean("watch", true);
    w.begin_list("children");
    w.list_string(wire);
    w.list_string(wire);
    w.end_list();
    w.begin_extras();
    w.hex("session", 0x10);
    w.end_extras();
  }
  CHECK(fmt::to_string(text_main) == "xid=7, path=/p, watch=True, children=['/p', '/p']");
  CHECK(fmt::to_string(text_extras) == ", session=0x10");
  CHECK(
      fmt::to_string(json_main) ==
      "\"xid\":7,\"path\":\"/p\",\"watch\":true,\"children\":[\"/p\",\"/p\"],\"session\":\"0x10\"");
}

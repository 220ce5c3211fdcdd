#include <doctest/doctest.h>

#include "bytes.hpp"
#include "zkdump/base/escape.hpp"
#include "zkdump/output/fields.hpp"
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
  const WireBytes null_string = r.bytes();
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
  append_escaped_text(out, in, quote);
  return fmt::to_string(out);
}
std::string text_value(std::string_view in) {
  fmt::memory_buffer out;
  append_text_value(out, in);
  return fmt::to_string(out);
}
std::string escaped_json(std::string_view in) {
  fmt::memory_buffer out;
  append_escaped_json(out, in);
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
  CHECK(escaped_text("\xe2\x80\xae") == "\\xe2\\x80\\xae");  // U+202E right-to-left override
  CHECK(escaped_json("q\"\n") == "q\\\"\\u000a");
  CHECK(escaped_json("\xff") == "\\\\xff");
  CHECK(escaped_json("a\xe2\x80\xae"
                     "b\xe2\x81\xa6") == "a\\u202eb\\u2066");  // bidi controls
}

TEST_CASE("copy_bytes copies every length exactly, touching nothing beyond it") {
  const std::string source = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (std::size_t size = 0; size <= source.size(); ++size) {
    std::string target(source.size() + 2, '.');
    copy_bytes(target.data() + 1, std::string_view(source).substr(0, size));
    std::string expected(source.size() + 2, '.');
    source.copy(expected.data() + 1, size);
    CHECK(target == expected);
  }
}

TEST_CASE("a text value that could pass for another field is quoted, a plain one is not") {
  CHECK(text_value("/plain/path-1_2.x") == "/plain/path-1_2.x");
  CHECK(text_value("/数据") == "/数据");
  CHECK(text_value("/a, client=6.6.6.6:1") == "'/a, client=6.6.6.6:1'");
  for (const char* delimiter : {",", "=", "(", ")", " "}) {
    CHECK(text_value(std::string("/a") + delimiter + "b") == std::string("'/a") + delimiter + "b'");
  }
  CHECK(text_value("it's") == "'it\\'s'");
  CHECK(text_value("/a\tb") == "'/a\\x09b'");
  CHECK(text_value("/b\xe2\x80\xae") == "'/b\\xe2\\x80\\xae'");
  CHECK(text_value("\xff") == "'\\xff'");
  CHECK(text_value("back\\slash") == "back\\\\slash");
}

TEST_CASE("field writers render the same fields as text and as JSON") {
  fmt::memory_buffer text_main, text_trailer, json;
  const WireBytes wire = WireBytes::of("/p");
  const output::FieldOptions options{true, false, true};
  output::TextFields text(text_main, text_trailer, options);
  JsonWriter json_writer(json);
  output::JsonFields json_fields(json_writer, options);
  for (FieldSink* fields :
       {static_cast<FieldSink*>(&text), static_cast<FieldSink*>(&json_fields)}) {
    fields->number("xid", 7);
    fields->bytes("path", wire);
    fields->boolean("watch", true);
    fields->begin_list("children");
    fields->list_string(wire);
    fields->list_string(wire);
    fields->end_list();
    fields->hex_id("session", 0x10, FieldRole::kDetail);
    fields->hex_number("zxid", 0x10, FieldRole::kDetail);
    fields->number({"error", "err"}, -101);
    fields->flags("perms", 5, "rwcda");
    fields->name("event", "NodeCreated", FieldRole::kInName);
  }
  CHECK(fmt::to_string(text_main) ==
        "xid=7, path=/p, watch=True, children=['/p', '/p'], error=-101, perms=rc");
  CHECK(fmt::to_string(text_trailer) == ", session=0x10, zxid=0x10");
  CHECK(fmt::to_string(json) ==
        "\"xid\":7,\"path\":\"/p\",\"watch\":true,\"children\":[\"/p\",\"/p\"],"
        "\"session\":\"0x10\",\"zxid\":16,\"err\":-101,\"perms\":5,\"event\":\"NodeCreated\"");
}

TEST_CASE("detail fields and their nested records go to the trailer only with -v") {
  fmt::memory_buffer main, trailer;
  const output::FieldOptions quiet{false, false};
  output::TextFields text(main, trailer, quiet);
  FieldSink& fields = text;
  fields.number("count", 2);
  fields.begin_object("stat", "Stat", FieldRole::kDetail);
  fields.number("version", 1);
  fields.end_object();
  fields.secret("credential", WireBytes::of("alice:secret"));
  CHECK(fmt::to_string(main) == "count=2, credential=<redacted>");
  CHECK(fmt::to_string(trailer).empty());
}

TEST_CASE("data previews print only when asked, in text and JSON, apart from credentials") {
  const WireBytes data = WireBytes::of("private");
  for (const bool asked : {false, true}) {
    fmt::memory_buffer main, trailer, json;
    const output::FieldOptions options{false, true, asked};
    output::TextFields text(main, trailer, options);
    JsonWriter json_writer(json);
    output::JsonFields json_fields(json_writer, options);
    for (FieldSink* fields :
         {static_cast<FieldSink*>(&text), static_cast<FieldSink*>(&json_fields)}) {
      fields->number("data_size", 7);
      fields->preview("data", data);
      fields->secret("token", WireBytes::of("\x01tok"), FieldSink::Shown::kPreview);
    }
    CHECK(fmt::to_string(main) == (asked ? "data_size=7, data='private', token='\\x01tok'"
                                         : "data_size=7, token='\\x01tok'"));
    CHECK(fmt::to_string(json) ==
          (asked ? "\"data_size\":7,\"data\":\"private\",\"token\":\"\\u0001tok\""
                 : "\"data_size\":7,\"token\":\"\\u0001tok\""));
  }
}

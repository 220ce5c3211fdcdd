// The etcd decoder for one connection: HTTP/2 framing, HPACK, gRPC message cutting and protobuf
// decoding, printed as text or JSON. Both directions interleaved as the input says: after a
// control byte, each record is a byte holding the direction (high bit) and a length (low 7
// bits), then that many bytes.

#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/etcd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  static zkdump::fuzz::NullOutput text(false), json(true);
  zkdump::fuzz::NullOutput& output = (control & 1) != 0 ? json : text;
  zkdump::output::LineWriter writer(output.options(), output.out());
  zkdump::session::Sinks sinks;
  sinks.add(writer);
  zkdump::metrics::MetricsSink metrics({3, 0});
  sinks.add(metrics);
  zkdump::framing::Budget budget;
  budget.limit = 8u << 20;
  zkdump::session::EtcdOptions options;
  options.max_message = 64u << 10;  // small caps reach the skipping paths
  options.max_header_block = 4u << 10;
  options.max_calls_per_connection = 8;
  zkdump::session::EtcdSessions sessions(options, sinks, budget);
  zkdump::net::Endpoint client, server;
  client.port = 40000;
  server.port = 2379;
  auto connection = sessions.open(client, server, (control & 2) != 0, 0);
  zkdump::fuzz::play_records(*connection, data, size);
  connection.reset();
  zkdump::fuzz::check_metrics(metrics);
  return 0;
}

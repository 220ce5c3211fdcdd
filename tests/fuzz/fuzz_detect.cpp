// Protocol detection for one connection: every family's recognizer on the first bytes, the
// binding, the replay of what was held and the family's decoder after it, printed as text or
// JSON. Both directions interleaved as the input says: after a control byte, each record is a
// byte holding the direction (high bit) and a length (low 7 bits), then that many bytes. Bits 4
// and 5 of the control byte pick the server port: none of the hints, 2181, 2888 or 2379.

#include <array>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "zkdump/session/detection.hpp"
#include "zkdump/session/etcd.hpp"
#include "zkdump/session/quorum.hpp"

namespace {

constexpr std::array<std::uint16_t, 4> kServerPorts = {45000, 2181, 2888, 2379};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  static zkdump::fuzz::NullOutput text(false), json(true);
  zkdump::fuzz::NullOutput& output = (control & 1) != 0 ? json : text;
  zkdump::output::LineWriter writer(output.options(), output.out());
  zkdump::session::Sinks sinks;
  sinks.add(writer);
  zkdump::stats::Collector collector({2, 10, 64});
  sinks.add(collector);
  zkdump::framing::Budget budget;
  budget.limit = 8u << 20;
  zkdump::session::PortMap ports;
  ports.learn_from_config = true;
  zkdump::session::ClientSessions clients({}, sinks, budget);
  zkdump::session::QuorumSessions servers(sinks, budget, ports, 0);
  zkdump::session::EtcdSessions etcd({}, sinks, budget);
  zkdump::session::SessionFamilies families(clients, servers, etcd);
  // Bit 3: TLS waits for keys, as live. The bundled key logs let TLS seeds decrypt.
  zkdump::tls::KeyLog& keys = zkdump::fuzz::bundled_key_log();
  zkdump::session::TlsSessions tls(keys, sinks, (control & 8) != 0);
  zkdump::session::Detection detection(families, ports, sinks, tls, {});
  zkdump::net::Endpoint client, server;
  client.port = 40000;
  server.port = kServerPorts[(control >> 4) & 3];
  auto connection = detection.open(client, server, (control & 2) != 0, 0);
  zkdump::fuzz::play_records(*connection, data, size);
  sinks.finish(0);
  connection.reset();
  return 0;
}

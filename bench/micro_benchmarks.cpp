// Micro-benchmarks of the two inner loops, on the bytes of a real capture (pcaps/): the frame
// decoder over a reassembled client stream, and the reassembler over every TCP segment.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <vector>

#include "zkdump/capture/pcap_source.hpp"
#include "zkdump/framing/stream.hpp"
#include "zkdump/net/packet.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/zk/client_frames.hpp"

namespace {

using namespace zkdump;

struct Capture {
  int linktype = 0;
  std::vector<std::vector<std::uint8_t>> packets;
  std::vector<std::int64_t> times;
};

const Capture& capture() {
  static const Capture loaded = [] {
    Capture result;
    auto source = capture::PcapSource::open_file(ZKDUMP_BENCH_CAPTURE);
    result.linktype = source->linktype();
    capture::RawPacket raw;
    while (source->next(raw) == capture::NextStatus::kPacket) {
      result.packets.emplace_back(raw.bytes.begin(), raw.bytes.end());
      result.times.push_back(raw.ts_us);
    }
    return result;
  }();
  return loaded;
}

// Keeps what the reassembler hands over, or only counts it.
struct StreamKeeper : tcp::StreamHandler {
  std::vector<std::uint8_t>* keep = nullptr;
  std::uint64_t bytes = 0;
  void on_data(Direction side, tcp::ByteSpan data, std::int64_t) override {
    bytes += data.size();
    if (keep != nullptr && side == Direction::kToServer)
      keep->insert(keep->end(), data.begin(), data.end());
  }
  void on_gap(Direction, std::uint64_t, std::int64_t) override {}
  void on_close(tcp::CloseReason, std::int64_t) override {}
};

// Hands the `keep_index`-th connection's client bytes to `kept`; the others only count.
struct KeeperFactory : tcp::StreamHandlerFactory {
  int keep_index = -1;
  std::vector<std::uint8_t>* kept = nullptr;
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint&, const net::Endpoint&, bool,
                                           std::int64_t) override {
    auto keeper = std::make_unique<StreamKeeper>();
    if (keep_index-- == 0) keeper->keep = kept;
    return keeper;
  }
};

void feed_segments(tcp::ConnectionTable& table) {
  const Capture& data = capture();
  net::TcpSegment segment;
  for (std::size_t i = 0; i < data.packets.size(); ++i) {
    if (net::parse_packet(data.linktype, data.packets[i], data.times[i], segment) !=
        net::ParseOutcome::kTcp)
      continue;
    table.segment(segment, segment.destination.port == 2181 ? zkdump::Direction::kToServer
                                                            : zkdump::Direction::kToClient);
  }
  table.close_all(0);
}

// The busiest client stream of the capture (the load clients come after a short setup one).
const std::vector<std::uint8_t>& client_stream() {
  static const std::vector<std::uint8_t> stream = [] {
    std::vector<std::uint8_t> longest;
    for (int index = 0; index < 5; ++index) {
      std::vector<std::uint8_t> bytes;
      KeeperFactory factory;
      factory.keep_index = index;
      factory.kept = &bytes;
      tcp::ConnectionTable table(factory, {});
      feed_segments(table);
      if (bytes.size() > longest.size()) longest = std::move(bytes);
    }
    return longest;
  }();
  return stream;
}

struct CountingHandler : framing::Handler, zk::AwaitedRequests {
  std::uint64_t frames = 0;
  void on_message(ByteSpan, std::uint8_t, std::uint64_t, std::int64_t) override { ++frames; }
  void on_problem(framing::Problem, std::uint64_t, std::int64_t, std::int64_t) override {}
  const zk::OpInfo* awaited_op(std::int32_t) const override { return nullptr; }
};

// Frames per second through the framing engine with the client protocol, the stream cut into
// the capture's typical segment size.
void BM_FrameDecoder(benchmark::State& state) {
  const std::vector<std::uint8_t>& stream = client_stream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  std::uint64_t frames = 0;
  for (auto _ : state) {
    framing::Budget budget;
    framing::Stream framer(budget, true);
    CountingHandler handler;
    zk::Opening opening = zk::Opening::kUnknown;
    zk::ClientFrames protocol(Direction::kToServer, opening, handler, zk::kDefaultMaxFrame, true);
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      framer.consume(ByteSpan(stream.data() + at, std::min(piece, stream.size() - at)), 0, protocol,
                     handler);
    }
    frames += handler.frames;
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(stream.size() * state.iterations()));
}
BENCHMARK(BM_FrameDecoder)->Arg(1)->Arg(100)->Arg(1448)->Arg(65483);

// Segments per second through the reassembler (and link/IP/TCP parsing), handlers only counting.
void BM_Reassembler(benchmark::State& state) {
  const Capture& data = capture();
  for (auto _ : state) {
    KeeperFactory factory;
    tcp::ConnectionTable table(factory, {});
    feed_segments(table);
  }
  state.counters["packets/s"] = benchmark::Counter(
      static_cast<double>(data.packets.size() * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Reassembler);

}  // namespace

BENCHMARK_MAIN();

// The leader-election or ZAB decoder (FUZZ_ELECTION=1 or 0) for one server-to-server connection,
// both directions interleaved as the input says: after a control byte, each record is a byte
// holding the direction (high bit) and a length (low 7 bits), then that many bytes.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "zkdump/output/message_printer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/stats/zab_stats.hpp"

namespace {

constexpr std::uint16_t kServerPort = FUZZ_ELECTION ? 3888 : 2888;

// One tracker per output style for the whole run, printing into /dev/null, with statistics.
class QuorumPipeline {
 public:
  explicit QuorumPipeline(bool json)
      : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false) {
    zkdump::output::PrintOptions print;
    print.json = json;
    print.verbose = true;
    printer_ = std::make_unique<zkdump::output::MessagePrinter>(print);
    ports_.set(kServerPort, FUZZ_ELECTION ? zkdump::session::PortRole::kElection
                                          : zkdump::session::PortRole::kZab);
    tracker_ = std::make_unique<zkdump::session::QuorumTracker>(*printer_, out_, ports_);
    tracker_->set_observer(&stats_);
  }
  ~QuorumPipeline() {
    tracker_.reset();
    out_.flush();
    close(null_fd_);
  }
  QuorumPipeline(const QuorumPipeline&) = delete;
  QuorumPipeline& operator=(const QuorumPipeline&) = delete;
  zkdump::session::QuorumTracker& tracker() { return *tracker_; }
  zkdump::stats::ZabStats& stats() { return stats_; }

 private:
  int null_fd_;
  zkdump::output::OutputBuffer out_;
  std::unique_ptr<zkdump::output::MessagePrinter> printer_;
  zkdump::session::PortMap ports_;
  zkdump::stats::ZabStats stats_;
  std::unique_ptr<zkdump::session::QuorumTracker> tracker_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  static QuorumPipeline text(false), json(true);
  QuorumPipeline& pipeline = (control & 1) != 0 ? json : text;
  zkdump::net::Endpoint client, server;
  client.port = 40000;
  server.port = kServerPort;
  auto connection = pipeline.tracker().open(client, server, (control & 2) != 0, 0);
  std::size_t at = 1;
  std::int64_t ts = 0;
  while (at < size) {
    const std::uint8_t record = data[at++];
    const auto side = (record & 0x80) != 0 ? zkdump::tcp::Side::kServerToClient
                                           : zkdump::tcp::Side::kClientToServer;
    const std::size_t length = std::min<std::size_t>(record & 0x7f, size - at);
    ts += record & 0x0f;
    // Bit 2 of the control byte turns an empty record into a gap.
    if (length == 0 && (control & 4) != 0) {
      connection->on_gap(side, record, ts);
    } else {
      connection->on_data(side, zkdump::tcp::ByteSpan(data + at, length), ts);
    }
    at += length;
  }
  connection->on_close(zkdump::tcp::CloseReason::kFin, ts);
  // The summaries and statistics read what the input built.
  fmt::memory_buffer report;
  pipeline.tracker().write_summary(report, (control & 1) != 0);
  pipeline.stats().write_text(report);
  pipeline.stats().write_json(report);
  if ((control & 8) != 0) pipeline.stats().start_interval();
  return 0;
}

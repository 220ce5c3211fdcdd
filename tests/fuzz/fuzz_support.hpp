// Shared by the fuzz targets: the real stages, output thrown away.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "zkdump/output/message_printer.hpp"
#include "zkdump/output/output_buffer.hpp"
#include "zkdump/session/tracker.hpp"
#include "zkdump/stats/collector.hpp"

namespace zkdump::fuzz {

// A Tracker printing text or JSON lines into /dev/null.
class Pipeline {
 public:
  explicit Pipeline(bool json) : null_fd_(open("/dev/null", O_WRONLY)), out_(null_fd_, false) {
    output::PrintOptions print;
    print.json = json;
    print.verbose = true;
    printer_ = std::make_unique<output::MessagePrinter>(print);
    session::TrackerOptions options;
    options.paired = !json;
    options.include_pings = true;
    options.max_pending_per_connection = 64;  // small caps reach the eviction paths
    tracker_ = std::make_unique<session::Tracker>(options, *printer_, out_);
    // The JSON pipeline also feeds the statistics stage, so it is fuzzed as well.
    if (json) tracker_->set_observer(&collector_);
  }
  ~Pipeline() {
    tracker_.reset();
    out_.flush();
    close(null_fd_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  session::Tracker& tracker() { return *tracker_; }

 private:
  int null_fd_;
  output::OutputBuffer out_;
  std::unique_ptr<output::MessagePrinter> printer_;
  stats::Collector collector_{stats::StatsOptions{2, 10, 64}};
  std::unique_ptr<session::Tracker> tracker_;
};

}  // namespace zkdump::fuzz

// The whole pipeline from the raw bytes of a capture file, as zkdump -r reads it.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "../../src/app/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::FILE* stream = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (stream == nullptr) return 0;
  std::unique_ptr<zkdump::capture::PcapSource> source;
  try {
    source = zkdump::capture::PcapSource::open_stream(stream, "fuzz");
  } catch (const std::runtime_error&) {
    return 0;  // not a capture: zkdump reports it and exits
  }
  zkdump::app::Options options;
  options.quiet = true;
  options.json = (size & 1) != 0;
  options.stats = (size & 2) != 0;  // the statistics stage and its report, too
  options.verbose = true;
  const int null_fd = open("/dev/null", O_WRONLY);
  zkdump::app::decode(*source, options, null_fd);
  close(null_fd);
  return 0;
}

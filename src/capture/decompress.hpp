// Captures compressed with gzip or xz (capture.pcap.gz, capture.pcapng.xz), read through zlib and
// liblzma as tcpdump users expect; recognised by their magic bytes, whatever the file is called.
#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "zkdump/capture/embedded_secrets.hpp"

namespace zkdump::capture {

// The capture stream behind `raw` (which it takes over): `raw` itself for an uncompressed classic
// pcap file, otherwise a stream that decompresses it if need be. A decompression failure reads as
// an I/O error, and `error` says what went wrong. What the stream serves of a pcapng file passes by
// `secrets`.
std::FILE* open_capture_stream(std::FILE* raw, const std::shared_ptr<std::string>& error,
                               const std::shared_ptr<EmbeddedSecrets>& secrets);

}  // namespace zkdump::capture

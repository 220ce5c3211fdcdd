// Capture: packets from a pcap/pcapng file, standard input or a live interface, via libpcap.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zkdump/capture/embedded_secrets.hpp"

namespace zkdump::capture {

struct RawPacket {
  std::int64_t ts_us = 0;
  std::span<const std::uint8_t> bytes;  // what was captured
  std::uint32_t wire_length = 0;        // how long the packet was on the wire
};

enum class NextStatus { kPacket, kTimeout, kEnd, kError };

struct LiveOptions {
  std::string interface;  // empty: libpcap's default device
  int snaplen = 262144;
  int buffer_bytes = 32 << 20;
  // Hand over each packet at once (-l, --top). Otherwise the kernel fills blocks of packets at
  // their own size, and the same buffer holds far more of them: immediate mode gives every packet
  // a frame as large as the snapshot length, so a busy server overflows it within a burst.
  bool immediate = false;
};

struct CaptureStats {
  std::uint64_t received = 0;
  std::uint64_t dropped_by_kernel = 0;
  std::uint64_t dropped_by_interface = 0;
  bool available = false;
};

// The interfaces libpcap can capture on, one line each as tcpdump -D prints them:
// "1.eth0 [Up, Running, Connected]". Throws std::runtime_error when none can be listed.
std::vector<std::string> list_interfaces();

class PcapSource {
 public:
  // Both throw std::runtime_error with a message naming the file or interface. A file may be
  // compressed with gzip or xz.
  static std::unique_ptr<PcapSource> open_file(const std::string& path);
  // Reads a capture (compressed or not) from an open stream, which the source then owns and
  // closes.
  static std::unique_ptr<PcapSource> open_stream(std::FILE* raw, const std::string& name);
  static std::unique_ptr<PcapSource> open_live(const LiveOptions& options);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  void set_filter(const std::string& expression);  // throws on a bad expression
  // Copies every packet read from now on into a pcap file (-w).
  void write_to(const std::string& path);
  // The next packet. Live, waits at most `wait` for one (kTimeout when none came, or when a
  // signal arrived): the caller's clock, keys and timers run however quiet the link is.
  NextStatus next(RawPacket& packet,
                  std::chrono::milliseconds wait = std::chrono::milliseconds(100));
  void interrupt();  // safe from a signal handler
  // Live: ends the current wait for packets at once, from any thread (kTimeout), so that the
  // caller looks at its flags now (a scrape waiting for the metrics).
  void wake() const;
  int linktype() const;
  // "EN10MB (Ethernet)", as tcpdump names link types.
  std::string linktype_name() const;
  int snaplen() const;
  std::string last_error() const;
  std::string name() const { return name_; }
  bool live() const { return live_; }
  // A pcapng file's Decryption Secrets Blocks read so far; null live.
  EmbeddedSecrets* embedded_secrets() const { return embedded_secrets_.get(); }
  CaptureStats stats() const;

 private:
  PcapSource(void* handle, std::string name, bool live);
  NextStatus read_one(RawPacket& packet);
  void* handle_;            // pcap_t
  void* dumper_ = nullptr;  // pcap_dumper_t
  std::string name_;
  bool live_;
  int selectable_fd_ = -1;  // live: polled with our own timeout, the handle being non-blocking
  int wake_fd_ = -1;        // an eventfd polled beside the capture's
  std::shared_ptr<std::string> decompress_error_;      // what a gzip or xz capture's decoder said
  std::shared_ptr<EmbeddedSecrets> embedded_secrets_;  // a file's: what it carries
  std::unique_ptr<char[]> read_buffer_;                // a file's stdio buffer, freed after closing
};

}  // namespace zkdump::capture

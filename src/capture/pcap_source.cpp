#include "zkdump/capture/pcap_source.hpp"

#include <pcap/pcap.h>

#include <stdexcept>

namespace zkdump::capture {
namespace {

pcap_t* as_pcap(void* handle) {
  return static_cast<pcap_t*>(handle);
}

}  // namespace

PcapSource::PcapSource(void* handle, std::string name, bool live)
    : handle_(handle), name_(std::move(name)), live_(live) {}

PcapSource::~PcapSource() {
  if (dumper_ != nullptr) pcap_dump_close(static_cast<pcap_dumper_t*>(dumper_));
  pcap_close(as_pcap(handle_));
}

std::unique_ptr<PcapSource> PcapSource::open_file(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error);
  if (handle == nullptr) throw std::runtime_error(path + ": " + error);
  return std::unique_ptr<PcapSource>(
      new PcapSource(handle, path == "-" ? "standard input" : path, false));
}

std::unique_ptr<PcapSource> PcapSource::open_stream(std::FILE* stream, const std::string& name) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO, error);
  if (handle == nullptr) {
    (void)std::fclose(stream);  // the open's error is the one to report
    throw std::runtime_error(name + ": " + error);
  }
  return std::unique_ptr<PcapSource>(new PcapSource(handle, name, false));
}

std::unique_ptr<PcapSource> PcapSource::open_live(const LiveOptions& options) {
  char error[PCAP_ERRBUF_SIZE] = {};
  std::string interface = options.interface;
  if (interface.empty()) {
    pcap_if_t* devices = nullptr;
    if (pcap_findalldevs(&devices, error) != 0 || devices == nullptr) {
      throw std::runtime_error(std::string("no capture device found: ") + error);
    }
    interface = devices->name;
    pcap_freealldevs(devices);
  }
  pcap_t* handle = pcap_create(interface.c_str(), error);
  if (handle == nullptr) throw std::runtime_error(interface + ": " + error);
  pcap_set_snaplen(handle, options.snaplen);
  pcap_set_immediate_mode(handle, options.immediate ? 1 : 0);
  pcap_set_buffer_size(handle, options.buffer_bytes);
  pcap_set_timeout(handle, 100);
  const int status = pcap_activate(handle);
  if (status < 0) {
    std::string message = interface + ": " + pcap_geterr(handle);
    if (status == PCAP_ERROR_PERM_DENIED) {
      message += " (live capture needs root or the CAP_NET_RAW capability)";
    }
    pcap_close(handle);
    throw std::runtime_error(message);
  }
  return std::unique_ptr<PcapSource>(new PcapSource(handle, interface, true));
}

void PcapSource::set_filter(const std::string& expression) {
  bpf_program program{};
  if (pcap_compile(as_pcap(handle_), &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw std::runtime_error("bad filter expression '" + expression +
                             "': " + pcap_geterr(as_pcap(handle_)));
  }
  const int status = pcap_setfilter(as_pcap(handle_), &program);
  pcap_freecode(&program);
  if (status != 0)
    throw std::runtime_error(std::string("cannot set filter: ") + pcap_geterr(as_pcap(handle_)));
}

void PcapSource::write_to(const std::string& path) {
  pcap_dumper_t* dumper = pcap_dump_open(as_pcap(handle_), path.c_str());
  if (dumper == nullptr) throw std::runtime_error(path + ": " + pcap_geterr(as_pcap(handle_)));
  dumper_ = dumper;
}

NextStatus PcapSource::next(RawPacket& packet) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int status = pcap_next_ex(as_pcap(handle_), &header, &data);
  if (status == 1) {
    packet.ts_us = std::int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec;
    packet.bytes = {data, header->caplen};
    packet.wire_length = header->len;
    if (dumper_ != nullptr) pcap_dump(static_cast<u_char*>(dumper_), header, data);
    return NextStatus::kPacket;
  }
  if (status == 0) return NextStatus::kTimeout;
  if (status == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  if (status == PCAP_ERROR) return NextStatus::kError;
  return NextStatus::kEnd;
}

void PcapSource::interrupt() {
  pcap_breakloop(as_pcap(handle_));
}

int PcapSource::linktype() const {
  return pcap_datalink(as_pcap(handle_));
}

std::string PcapSource::last_error() const {
  return pcap_geterr(as_pcap(handle_));
}

CaptureStats PcapSource::stats() const {
  CaptureStats result;
  if (!live_) return result;
  pcap_stat counters{};
  if (pcap_stats(as_pcap(handle_), &counters) != 0) return result;
  result.received = counters.ps_recv;
  result.dropped_by_kernel = counters.ps_drop;
  result.dropped_by_interface = counters.ps_ifdrop;
  result.available = true;
  return result;
}

}  // namespace zkdump::capture

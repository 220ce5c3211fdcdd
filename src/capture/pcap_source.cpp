#include "zkdump/capture/pcap_source.hpp"

#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "decompress.hpp"

namespace zkdump::capture {
namespace {

constexpr std::int64_t kMaxSeconds = 100'000'000'000;             // the year 5138
constexpr std::size_t kReadBufferBytes = std::size_t{64} * 1024;  // below malloc's mmap threshold

pcap_t* as_pcap(void* handle) {
  return static_cast<pcap_t*>(handle);
}

std::string interface_flags(bpf_u_int32 flags) {
  std::string text;
  const auto add = [&text](const char* word) {
    text += text.empty() ? word : std::string(", ") + word;
  };
  if ((flags & PCAP_IF_UP) != 0) add("Up");
  if ((flags & PCAP_IF_RUNNING) != 0) add("Running");
  if ((flags & PCAP_IF_WIRELESS) != 0) add("Wireless");
  if ((flags & PCAP_IF_LOOPBACK) != 0) add("Loopback");
  switch (flags & PCAP_IF_CONNECTION_STATUS) {
    case PCAP_IF_CONNECTION_STATUS_CONNECTED:
      add("Connected");
      break;
    case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
      add("Disconnected");
      break;
    default:
      break;
  }
  return text.empty() ? "none" : text;
}

}  // namespace

std::vector<std::string> list_interfaces() {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_if_t* devices = nullptr;
  if (pcap_findalldevs(&devices, error) != 0) {
    throw std::runtime_error(std::string("cannot list interfaces: ") + error);
  }
  std::vector<std::string> lines;
  for (const pcap_if_t* device = devices; device != nullptr; device = device->next) {
    std::string line = std::to_string(lines.size() + 1) + "." + device->name;
    if (device->description != nullptr) line += std::string(" (") + device->description + ")";
    line += " [" + interface_flags(device->flags) + "]";
    lines.push_back(std::move(line));
  }
  pcap_freealldevs(devices);
  if (lines.empty())
    throw std::runtime_error("no interface to capture on (capture needs root or CAP_NET_RAW)");
  return lines;
}

PcapSource::PcapSource(void* handle, std::string name, bool live)
    : handle_(handle), name_(std::move(name)), live_(live) {}

PcapSource::~PcapSource() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (dumper_ != nullptr) pcap_dump_close(static_cast<pcap_dumper_t*>(dumper_));
  pcap_close(as_pcap(handle_));
}

std::unique_ptr<PcapSource> PcapSource::open_file(const std::string& path) {
  const std::string name = path == "-" ? "standard input" : path;
  std::FILE* raw = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (raw == nullptr) throw std::runtime_error(name + ": " + std::strerror(errno));
  return open_stream(raw, name);
}

std::unique_ptr<PcapSource> PcapSource::open_stream(std::FILE* raw, const std::string& name) {
  // libpcap reads a file record by record through stdio, whose default 4 KiB buffer made a
  // read(2) every few packets: a tenth of a --stats run went to those calls.
  auto read_buffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
  (void)std::setvbuf(raw, read_buffer.get(), _IOFBF, kReadBufferBytes);
  auto decompress_error = std::make_shared<std::string>();
  auto secrets = std::make_shared<EmbeddedSecrets>();
  std::FILE* stream = open_capture_stream(raw, decompress_error, secrets);
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO, error);
  if (handle == nullptr) {
    (void)std::fclose(stream);  // the open's error is the one to report
    throw std::runtime_error(name + ": " + (decompress_error->empty() ? error : *decompress_error));
  }
  auto source = std::unique_ptr<PcapSource>(new PcapSource(handle, name, false));
  source->decompress_error_ = std::move(decompress_error);
  source->embedded_secrets_ = std::move(secrets);
  source->read_buffer_ = std::move(read_buffer);
  return source;
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
  // libpcap's own timeout cannot be relied on to return without packets (TPACKET_V3 retires a
  // block on its timer only once it holds one): zkdump polls the descriptor itself.
  const int fd = pcap_get_selectable_fd(handle);
  if (fd < 0 || pcap_setnonblock(handle, 1, error) != 0) {
    pcap_close(handle);
    throw std::runtime_error(interface + ": cannot wait for packets with a timeout: " + error);
  }
  auto source = std::unique_ptr<PcapSource>(new PcapSource(handle, interface, true));
  source->selectable_fd_ = fd;
  source->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return source;
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

NextStatus PcapSource::next(RawPacket& packet, std::chrono::milliseconds wait) {
  const NextStatus status = read_one(packet);
  if (!live_ || status != NextStatus::kTimeout) return status;
  std::array<pollfd, 2> ready{{{selectable_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}}};
  // A timeout, EINTR from a signal, or a wake: either way the caller looks at its clock and flags.
  if (poll(ready.data(), wake_fd_ >= 0 ? 2 : 1, static_cast<int>(wait.count())) <= 0) {
    return NextStatus::kTimeout;
  }
  if ((ready[1].revents & POLLIN) != 0) {
    eventfd_t woken = 0;
    (void)eventfd_read(wake_fd_, &woken);
    return NextStatus::kTimeout;
  }
  return read_one(packet);
}

NextStatus PcapSource::read_one(RawPacket& packet) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int status = pcap_next_ex(as_pcap(handle_), &header, &data);
  if (status == 1) {
    // pcapng times are 64-bit: a hostile one must not overflow what is computed from it.
    const std::int64_t seconds = std::clamp<std::int64_t>(header->ts.tv_sec, 0, kMaxSeconds);
    packet.ts_us = seconds * 1'000'000 + header->ts.tv_usec;
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

void PcapSource::wake() const {
  if (wake_fd_ >= 0) (void)eventfd_write(wake_fd_, 1);
}

int PcapSource::linktype() const {
  return pcap_datalink(as_pcap(handle_));
}

std::string PcapSource::linktype_name() const {
  const int type = linktype();
  const char* name = pcap_datalink_val_to_name(type);
  const char* description = pcap_datalink_val_to_description(type);
  std::string text = name != nullptr ? name : std::to_string(type);
  if (description != nullptr) text += std::string(" (") + description + ")";
  return text;
}

int PcapSource::snaplen() const {
  return pcap_snapshot(as_pcap(handle_));
}

std::string PcapSource::last_error() const {
  if (decompress_error_ != nullptr && !decompress_error_->empty()) return *decompress_error_;
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

#include "decompress.hpp"

#include <lzma.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace zkdump::capture {
namespace {

// xz -9 needs 64 MiB; a file asking for far more is refused rather than obeyed.
constexpr std::uint64_t kXzMemoryLimit = 256u << 20;
constexpr std::array<unsigned char, 2> kGzipMagic = {0x1f, 0x8b};
constexpr std::array<unsigned char, 6> kXzMagic = {0xfd, '7', 'z', 'X', 'Z', 0x00};

enum class Format { kPlain, kGzip, kXz };

constexpr std::array<unsigned char, 4> kPcapngMagic = {0x0a, 0x0d, 0x0d, 0x0a};

// A capture served to libpcap as a FILE where stdio alone will not do: compressed (read through
// zlib or liblzma), not seekable, or pcapng. What it serves passes by `secrets`.
class Decompressor {
 public:
  Decompressor(std::FILE* raw, Format format, std::span<const unsigned char> peeked,
               std::shared_ptr<std::string> error, std::shared_ptr<EmbeddedSecrets> secrets)
      : raw_(raw), format_(format), error_(std::move(error)), secrets_(std::move(secrets)) {
    std::memcpy(input_.data(), peeked.data(), peeked.size());
    available_ = peeked.size();
    if (format_ == Format::kGzip) {
      inflate_ready_ = inflateInit2(&inflater_, 15 + 32) == Z_OK;  // a gzip header, any window
    } else if (format_ == Format::kXz) {
      xz_ready_ = lzma_stream_decoder(&xz_, kXzMemoryLimit, LZMA_CONCATENATED) == LZMA_OK;
    }
  }
  ~Decompressor() {
    if (inflate_ready_) inflateEnd(&inflater_);
    if (xz_ready_) lzma_end(&xz_);
    (void)std::fclose(raw_);
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  ssize_t read(char* out, std::size_t size) {
    const ssize_t count = decompress(out, size);
    if (count > 0) {
      secrets_->feed({reinterpret_cast<const std::uint8_t*>(out), static_cast<std::size_t>(count)});
    }
    return count;
  }

 private:
  ssize_t decompress(char* out, std::size_t size) {
    if (failed_) return fail(nullptr);
    switch (format_) {
      case Format::kPlain:
        return read_plain(out, size);
      case Format::kGzip:
        return read_gzip(reinterpret_cast<unsigned char*>(out), size);
      case Format::kXz:
        return read_xz(reinterpret_cast<unsigned char*>(out), size);
    }
    return 0;
  }

  // More compressed bytes, once what was read is used up; false at the end of the file.
  bool refill() {
    if (offset_ < available_) return true;
    offset_ = 0;
    available_ = std::fread(input_.data(), 1, input_.size(), raw_);
    return available_ > 0;
  }

  ssize_t read_plain(char* out, std::size_t size) {
    if (offset_ < available_) {
      const std::size_t count = std::min(size, available_ - offset_);
      std::memcpy(out, input_.data() + offset_, count);
      offset_ += count;
      return static_cast<ssize_t>(count);
    }
    return static_cast<ssize_t>(std::fread(out, 1, size, raw_));
  }

  ssize_t read_gzip(unsigned char* out, std::size_t size) {
    if (!inflate_ready_) return fail("cannot start the gzip decoder");
    inflater_.next_out = out;
    inflater_.avail_out = static_cast<uInt>(std::min<std::size_t>(size, UINT32_MAX));
    while (inflater_.avail_out > 0 && !ended_) {
      if (!refill()) break;  // the file ended: what came out so far is all there is
      inflater_.next_in = input_.data() + offset_;
      inflater_.avail_in = static_cast<uInt>(available_ - offset_);
      const int status = inflate(&inflater_, Z_NO_FLUSH);
      offset_ = available_ - inflater_.avail_in;
      if (status == Z_STREAM_END) {  // a member ends; gzip files may hold several
        if (!refill()) ended_ = true;
        if (!ended_ && inflateReset(&inflater_) != Z_OK) return fail("bad gzip member");
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        return fail(inflater_.msg != nullptr ? inflater_.msg : "corrupt gzip data");
      }
    }
    return static_cast<ssize_t>(size - inflater_.avail_out);
  }

  ssize_t read_xz(unsigned char* out, std::size_t size) {
    if (!xz_ready_) return fail("cannot start the xz decoder");
    xz_.next_out = out;
    xz_.avail_out = size;
    while (xz_.avail_out > 0 && !ended_) {
      const bool more = refill();
      xz_.next_in = input_.data() + offset_;
      xz_.avail_in = available_ - offset_;
      const lzma_ret status = lzma_code(&xz_, more ? LZMA_RUN : LZMA_FINISH);
      offset_ = available_ - xz_.avail_in;
      if (status == LZMA_STREAM_END) {
        ended_ = true;
      } else if (status == LZMA_MEMLIMIT_ERROR) {
        return fail("the xz file needs more than 256 MiB to decompress");
      } else if (status != LZMA_OK) {
        return fail(more ? "corrupt xz data" : "the xz file ends early");
      }
    }
    return static_cast<ssize_t>(size - xz_.avail_out);
  }

  ssize_t fail(const char* why) {
    if (why != nullptr && error_->empty()) *error_ = why;
    failed_ = true;
    errno = EIO;
    return -1;
  }

  std::FILE* raw_;
  Format format_;
  std::shared_ptr<std::string> error_;
  std::shared_ptr<EmbeddedSecrets> secrets_;
  std::array<unsigned char, 1 << 16> input_{};
  std::size_t offset_ = 0;
  std::size_t available_ = 0;
  z_stream inflater_{};
  lzma_stream xz_ = LZMA_STREAM_INIT;
  bool inflate_ready_ = false;
  bool xz_ready_ = false;
  bool ended_ = false;
  bool failed_ = false;
};

Format format_of(std::span<const unsigned char> head) {
  if (head.size() >= kXzMagic.size() &&
      std::equal(kXzMagic.begin(), kXzMagic.end(), head.begin())) {
    return Format::kXz;
  }
  if (head.size() >= kGzipMagic.size() &&
      std::equal(kGzipMagic.begin(), kGzipMagic.end(), head.begin())) {
    return Format::kGzip;
  }
  return Format::kPlain;
}

}  // namespace

std::FILE* open_capture_stream(std::FILE* raw, const std::shared_ptr<std::string>& error,
                               const std::shared_ptr<EmbeddedSecrets>& secrets) {
  std::array<unsigned char, kXzMagic.size()> head{};
  const std::size_t got = std::fread(head.data(), 1, head.size(), raw);
  const std::span<const unsigned char> peeked(head.data(), got);
  const Format format = format_of(peeked);
  const bool pcapng = got >= kPcapngMagic.size() &&
                      std::equal(kPcapngMagic.begin(), kPcapngMagic.end(), peeked.begin());
  // A classic pcap file is read as it is; a pcapng one is looked through for secrets.
  if (format == Format::kPlain && !pcapng && std::fseek(raw, 0, SEEK_SET) == 0) return raw;
  auto decompressor = std::make_unique<Decompressor>(raw, format, peeked, error, secrets);
  const cookie_io_functions_t functions = {[](void* self, char* out, std::size_t size) {
                                             return static_cast<Decompressor*>(self)->read(out,
                                                                                           size);
                                           },
                                           nullptr, nullptr,
                                           [](void* self) {
                                             delete static_cast<Decompressor*>(self);
                                             return 0;
                                           }};
  std::FILE* stream = fopencookie(decompressor.get(), "rb", functions);
  if (stream == nullptr)
    throw std::runtime_error(std::string("cannot read: ") + std::strerror(errno));
  (void)decompressor.release();  // the stream owns it now, and closes the file with it
  return stream;
}

}  // namespace zkdump::capture

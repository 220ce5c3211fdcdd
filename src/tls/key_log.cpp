#include "zkdump/tls/key_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

namespace zkdump::tls {
namespace {

// A key log line is a label, 64 hex digits and at most 96: far below this.
constexpr std::size_t kMaxLine = 512;

struct Label {
  std::string_view name;
  SecretKind kind;
};
constexpr std::array<Label, kSecretKinds> kLabels = {{
    {"CLIENT_RANDOM", SecretKind::kMaster},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", SecretKind::kClientHandshake},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", SecretKind::kServerHandshake},
    {"CLIENT_TRAFFIC_SECRET_0", SecretKind::kClientTraffic},
    {"SERVER_TRAFFIC_SECRET_0", SecretKind::kServerTraffic},
}};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly out.size() bytes of hex; false on anything else.
bool unhex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_digit(text[2 * i]);
    const int low = hex_digit(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

std::string_view next_word(std::string_view& line) {
  const std::size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const std::size_t end = std::min(line.find(' '), line.size());
  const std::string_view word = line.substr(0, end);
  line.remove_prefix(end);
  return word;
}

}  // namespace

KeyLog::~KeyLog() {
  for (const File& file : files_) ::close(file.fd);
}

// The file stays open: live, it is re-read after -Z took away the right to open it.
bool KeyLog::add_file(const std::string& path, std::string& error, std::string& warning) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    if (fd >= 0) ::close(fd);
    error = "cannot read TLS key log " + path + ": not a readable file";
    return false;
  }
  if ((info.st_mode & S_IROTH) != 0) {
    warning = "TLS key log " + path + " is readable by every user: it holds session secrets";
  }
  files_.push_back({path, fd, 0, {}});
  read_new(files_.back());
  return true;
}

bool KeyLog::refresh() {
  const std::uint64_t before = counters_.secrets;
  for (File& file : files_) read_new(file);
  return counters_.secrets != before;
}

void KeyLog::read_new(File& file) {
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size < file.offset) {  // rewritten: from its start
    file.offset = 0;
    file.partial.clear();
  }
  std::array<char, 64u << 10> chunk{};
  while (file.offset < size) {
    const ssize_t got =
        ::pread(file.fd, chunk.data(), chunk.size(), static_cast<off_t>(file.offset));
    if (got <= 0) return;
    file.offset += static_cast<std::uint64_t>(got);
    parse_into(file.partial, {chunk.data(), static_cast<std::size_t>(got)});
  }
}

void KeyLog::parse(std::string_view text) {
  parse_into(partial_, text);
}

void KeyLog::parse_into(std::string& partial, std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view piece = text.substr(0, end);
    if (partial.size() + piece.size() > kMaxLine) {
      ++counters_.malformed;
      partial.clear();
    } else {
      partial.append(piece);
    }
    if (end == std::string_view::npos) return;
    if (!partial.empty()) parse_line(partial);
    partial.clear();
    text.remove_prefix(end + 1);
  }
}

void KeyLog::parse_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return;
  ++counters_.lines;
  const std::string_view label = next_word(line);
  const std::string_view random_hex = next_word(line);
  const std::string_view secret_hex = next_word(line);
  if (secret_hex.empty() || !next_word(line).empty()) {
    ++counters_.malformed;
    return;
  }
  const Label* known = nullptr;
  for (const Label& candidate : kLabels) {
    if (candidate.name == label) known = &candidate;
  }
  if (known == nullptr) {
    ++counters_.other_labels;
    return;
  }
  ClientRandom random;
  Secret secret;
  const std::size_t secret_size = secret_hex.size() / 2;
  const bool sized = secret_size == 32 || secret_size == kMaxSecretSize;
  if (!unhex(random_hex, random) || !sized ||
      !unhex(secret_hex, std::span(secret.bytes).first(secret_size))) {
    ++counters_.malformed;
    return;
  }
  secret.size = static_cast<std::uint8_t>(secret_size);
  auto found = sessions_.find(random);
  if (found == sessions_.end()) {
    if (sessions_.size() >= max_sessions_) {
      ++counters_.over_limit;
      return;
    }
    found = sessions_.emplace(random, SessionSecrets{}).first;
  }
  found->second.secrets[static_cast<std::size_t>(known->kind)] = secret;
  ++counters_.secrets;
}

const SessionSecrets* KeyLog::find(const ClientRandom& random) const {
  const auto found = sessions_.find(random);
  return found == sessions_.end() ? nullptr : &found->second;
}

}  // namespace zkdump::tls

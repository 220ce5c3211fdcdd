// Replays fuzz inputs without libFuzzer: each file named, or under a folder named, goes through
// the target once, in name order. Built in every build (g++, and the sanitizer build), so that
// every crash or hang found before (tests/fuzz/regressions/) and the seeds cut from the bundled
// captures run in the normal ctest suites, not only in the clang fuzz build.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_under(const std::filesystem::path& name) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(name)) return {name};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(name)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& file : inputs_under(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
      // libFuzzer never passes a null pointer, not even for an empty input.
      static constexpr std::array<std::uint8_t, 1> kEmpty{};
      const auto* data =
          bytes.empty() ? kEmpty.data() : reinterpret_cast<const std::uint8_t*>(bytes.data());
      (void)LLVMFuzzerTestOneInput(data, bytes.size());
      ++replayed;
    }
  }
  std::printf("%zu fuzz inputs replayed\n", replayed);
  return replayed == 0 ? 1 : 0;
}

// A main() for fuzz targets built without libFuzzer: feeds every file of the
// directories (or the single files) named on the command line to
// LLVMFuzzerTestOneInput, in name order, so a seed corpus runs as an ordinary
// test under any compiler and sanitizer. Fails when a path is missing, when a
// directory holds no input, or when a file cannot be read; a bug in the
// target shows up as a crash or a sanitizer report naming the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional in a target, as with libFuzzer.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// The inputs below `path`: the file itself, or the regular files of the
// directory (not recursive; names starting with '.' are skipped).
bool collect(const fs::path& path, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
    return false;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().filename().string().front() != '.') {
      files.push_back(it->path());
    }
  }
  if (ec) {
    std::fprintf(stderr, "replay: %s: %s\n", path.c_str(), ec.message().c_str());
    return false;
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: %s: directory holds no input\n", path.c_str());
    return false;
  }
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
  return true;
}

bool read_file(const fs::path& path, std::vector<std::uint8_t>& data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

  std::vector<fs::path> inputs;
  bool ok = true;
  for (int i = 1; i < argc; ++i) ok = collect(argv[i], inputs) && ok;
  if (!ok) return 1;

  std::vector<std::uint8_t> data;
  for (const fs::path& input : inputs) {
    if (!read_file(input, data)) {
      std::fprintf(stderr, "replay: %s: cannot read\n", input.c_str());
      return 1;
    }
    // Print the name first, so a crash report is preceded by the input's name.
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", input.c_str(), data.size());
    // A copy in an allocation of exactly the input's size (never a null
    // pointer, even when empty), so ASan catches a read past the end.
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[data.size()]);
    std::copy(data.begin(), data.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), data.size());
  }
  std::printf("replay: ran %zu inputs\n", inputs.size());
  return 0;
}

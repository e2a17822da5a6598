// Fuzz target: one chunk of a sealed partition's packed index (`sidx`) as
// read back from disk: the LMDB key it is stored under and its value (CRC,
// entry count, prefix-compressed keys, delta-coded varint postings). Any
// input must give a clean corruption error or entries, never a crash, an
// unbounded allocation or a hang. Input layout: one byte n, then n bytes of
// LMDB key, then the value. A chunk that decodes is encoded again and must
// decode to the same entries. The seeds in corpus/tm_index_chunk are valid
// chunks (so the CRC is passed and the entries are reached) and damaged ones.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "index/chunk.h"

namespace {

using entries = std::vector<std::pair<std::string, std::vector<std::uint32_t>>>;

// Every entry of the chunk, or false at the first error.
bool decode(std::string_view key, std::string_view value, entries& out) {
  auto r = coop::tm::detail::chunk_reader::open(key, value);
  if (!r) return false;
  for (;;) {
    auto more = r->next();
    if (!more) return false;
    if (!*more) return true;
    std::vector<std::uint32_t> post;
    if (!r->postings(post)) return false;
    if (post.size() != r->count()) std::abort();
    out.emplace_back(std::string(r->key()), std::move(post));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t n = data[0];
  if (size - 1 < n) return 0;
  const std::string_view key(reinterpret_cast<const char*>(data) + 1, n);
  const std::string_view value(reinterpret_cast<const char*>(data) + 1 + n, size - 1 - n);
  entries got;
  if (!decode(key, value, got)) return 0;
  // A valid chunk: written again (in one chunk), it reads back the same.
  coop::tm::detail::chunk_writer w(value.size() + 64);
  for (const auto& [k, post] : got) w.add(k, post);
  w.finish();
  if (!w.ready()) std::abort();
  auto [first, again] = w.take();
  if (w.ready() || first != key) std::abort();
  entries back;
  if (!decode(first, again, back) || back != got) std::abort();
  return 0;
}

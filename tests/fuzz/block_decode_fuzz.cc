// Fuzz target: a stored time machine block as read back from disk (header
// with checksums, frame table, zstd frames, length-prefixed event records),
// decoded both ways a query does: whole (a scan) and one frame at a time
// (an index lookup naming records), without and with a dictionary. Any
// input must give a clean error or events, never a crash, an unbounded
// allocation or a hang. The seeds in corpus/block_decode are sealed with
// fuzz_dictionary() below, so the dictionary path is reached.
#include <cstddef>
#include <cstdint>
#include <string>

#include "block/block.h"
#include "block/record.h"
#include "coop/model/catalogue.h"
#include "coop/model/codec.h"

namespace {

const coop::model::registry& types() {
  static const coop::model::registry reg = [] {
    coop::model::registry r;
    (void)coop::model::add_catalogue(r);
    return r;
  }();
  return reg;
}

// A raw-content dictionary (zstd takes any bytes as one); the seeds were
// sealed with the same bytes.
const coop::tm::detail::block_dictionary* fuzz_dictionary() {
  static const auto dict = [] {
    std::string bytes;
    for (int i = 0; i < 64; ++i) {
      bytes += "connection_end dns_request dns_reply http_request SF S0 REJ site-a sensor-1 ";
    }
    return coop::tm::detail::block_dictionary::make(bytes, 1).value();
  }();
  return dict.get();
}

void decode_records(std::string_view raw) {
  coop::model::event e;
  static coop::tm::detail::record_reader reader;
  coop::tm::detail::stored_record r;
  std::size_t pos = 0;
  while (pos < raw.size() && coop::tm::detail::next_record(raw, pos, r) == nullptr) {
    (void)reader.decode(r, types(), e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace coop::tm::detail;
  std::string_view stored(reinterpret_cast<const char*>(data), size);
  static block_codec codec;
  std::string raw;
  for (const block_dictionary* dict : {static_cast<const block_dictionary*>(nullptr),
                                       fuzz_dictionary()}) {
    if (codec.open(stored, "fuzz", dict, raw)) decode_records(raw);
    block_frames frames;
    if (!block_codec::frames(stored, "fuzz", frames)) continue;
    for (std::size_t f = 0; f < frames.offset.size() + 1; ++f) {
      if (codec.frame(frames, f, "fuzz", dict, raw)) decode_records(raw);
    }
  }
  return 0;
}

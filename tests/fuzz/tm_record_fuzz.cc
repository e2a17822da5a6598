// Fuzz target: a block's decompressed payload, the stored records of format
// 6 (length word with flags, packed uid, event message; block/record.h),
// decoded against the standard catalogue as a query does. Any input must
// give a clean error or events, never a crash, an out-of-bounds read or a
// hang. A record that decodes is written again and must read back as the
// same event (what the writer leaves out, it gives back). The seeds in
// corpus/tm_record are payloads of the benchmark's campus traffic: packed
// uids, derived and stored Community IDs, and records without flags.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "block/record.h"
#include "coop/model/catalogue.h"

namespace {

const coop::model::registry& types() {
  static const coop::model::registry reg = [] {
    coop::model::registry r;
    if (!coop::model::add_catalogue(r)) std::abort();
    return r;
  }();
  return reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace coop::tm::detail;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  static record_reader reader;
  static record_writer writer;
  static coop::model::event e, again;
  stored_record r;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    const std::size_t at = pos;
    if (next_record(payload, pos, r) != nullptr) break;
    if (pos <= at || pos > payload.size()) std::abort();  // no progress, or past the end
    if (!reader.decode(r, types(), e)) continue;
    std::string rewritten;
    if (!writer.append(rewritten, e)) std::abort();  // a decoded event is valid
    std::size_t p = 0;
    stored_record back;
    if (next_record(rewritten, p, back) != nullptr || p != rewritten.size()) std::abort();
    if (!reader.decode(back, types(), again) || !(again == e)) std::abort();
  }
  return 0;
}

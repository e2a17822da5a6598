// Fuzz target for the hot-list parsers (sensors/import/src/hotlist/ and Zeek Intel files): the first byte picks Zeek Intel, plain IP list, STIX 2.1 or MISP (its value modulo 4), the rest is the input.
// The oracle and driver are shared: import_fuzz_driver.h.
#include "import_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  static constexpr coop::importer::format formats[] = {
      coop::importer::format::intel, coop::importer::format::iplist, coop::importer::format::stix,
      coop::importer::format::misp};
  const auto f = formats[static_cast<unsigned char>(input[0]) % 4];
  input.remove_prefix(1);
  return coop_fuzz::import_one("import_intel_fuzz", input, f);
}

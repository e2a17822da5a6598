// Fuzz target for Zeek logs (sensors/import/src/zeek/): TSV with any header, zeek-cut output and JSON lines, through coop::importer with format zeek.
// The oracle and driver are shared: import_fuzz_driver.h.
#include "import_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return coop_fuzz::import_one("import_zeek_fuzz",
                               std::string_view(reinterpret_cast<const char*>(data), size),
                               coop::importer::format::zeek);
}

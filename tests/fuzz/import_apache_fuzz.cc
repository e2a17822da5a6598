// Fuzz target for Apache access logs (sensors/import/src/apache/).
// The oracle and driver are shared: import_fuzz_driver.h.
#include "import_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return coop_fuzz::import_one("import_apache_fuzz",
                               std::string_view(reinterpret_cast<const char*>(data), size),
                               coop::importer::format::apache);
}

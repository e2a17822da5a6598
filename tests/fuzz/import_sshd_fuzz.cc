// Fuzz target for syslog and journal lines of sshd (sensors/import/src/sshd/), year-less timestamps included.
// The oracle and driver are shared: import_fuzz_driver.h.
#include "import_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return coop_fuzz::import_one("import_sshd_fuzz",
                               std::string_view(reinterpret_cast<const char*>(data), size),
                               coop::importer::format::sshd);
}

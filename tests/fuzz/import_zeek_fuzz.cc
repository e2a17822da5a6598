// Fuzz target for Zeek logs (sensors/import/src/zeek/): TSV with any header, zeek-cut output and JSON lines, through coop::importer with format zeek.
// Oracle: the importer never fails on bad input (malformed lines are
// problems, not errors), and every event it emits validates against its
// schema and encodes to JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/model/json.h"

namespace {

class checking_sink final : public coop::importer::sink {
 public:
  coop::model::result<void> on_event(const coop::model::event& e) override {
    if (auto v = e.validate(); !v) fail("invalid event", v.err().message);
    text_.clear();
    if (auto j = coop::model::to_json(e, text_); !j) fail("event does not encode", j.err().message);
    return {};
  }

 private:
  [[noreturn]] static void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "import_zeek_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
  }
  std::string text_;
};

class fixed_clock final : public coop::model::clock {
 public:
  [[nodiscard]] coop::model::timestamp now() const override { return {1'700'000'000'000'000'000}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto f = coop::importer::format::zeek;
  static const fixed_clock clock;
  coop::model::registry reg;
  checking_sink sink;
  coop::importer::options opt;
  opt.id_seed = 1;
  opt.clock = &clock;
  auto imp = coop::importer::importer::create(reg, sink, opt);
  if (!imp) std::abort();
  auto r = imp->import_buffer(input, "fuzz-input", f);
  if (!r) {
    std::fprintf(stderr, "import_zeek_fuzz: import failed: %s\n", r.err().message.c_str());
    std::abort();
  }
  (void)coop::importer::detect_format(input, "fuzz-input");
  return 0;
}

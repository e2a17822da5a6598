// The shared body of the importer fuzz targets (import_*_fuzz.cc): runs one
// input through coop::importer in a given format. Oracle: the importer
// never fails on bad input (malformed lines are reported problems, not
// errors), and every event it emits validates against its schema and
// encodes to JSON; format detection never crashes either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/model/json.h"

namespace coop_fuzz {

class checking_sink final : public coop::importer::sink {
 public:
  explicit checking_sink(const char* target) : target_(target) {}
  coop::model::result<void> on_event(const coop::model::event& e) override {
    if (auto v = e.validate(); !v) fail("invalid event", v.err().message);
    text_.clear();
    if (auto j = coop::model::to_json(e, text_); !j) fail("event does not encode", j.err().message);
    return {};
  }

 private:
  [[noreturn]] void fail(const char* what, const std::string& detail) const {
    std::fprintf(stderr, "%s: %s: %s\n", target_, what, detail.c_str());
    std::abort();
  }
  const char* target_;
  std::string text_;
};

class fixed_clock final : public coop::model::clock {
 public:
  [[nodiscard]] coop::model::timestamp now() const override { return {1'700'000'000'000'000'000}; }
};

/// Imports `input` as format `f`; aborts (naming `target`) when the oracle fails.
inline int import_one(const char* target, std::string_view input, coop::importer::format f) {
  static const fixed_clock clock;
  coop::model::registry reg;
  checking_sink sink(target);
  coop::importer::options opt;
  opt.id_seed = 1;
  opt.clock = &clock;
  auto imp = coop::importer::importer::create(reg, sink, opt);
  if (!imp) std::abort();
  auto r = imp->import_buffer(input, "fuzz-input", f);
  if (!r) {
    std::fprintf(stderr, "%s: import failed: %s\n", target, r.err().message.c_str());
    std::abort();
  }
  (void)coop::importer::detect_format(input, "fuzz-input");
  return 0;
}

}  // namespace coop_fuzz

// Shared helpers of the importer tests: where the shared data and the
// fixtures are, and one-call imports into a collecting sink.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/importer/sinks.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"

namespace coop::importer::test {

namespace fs = std::filesystem;

/// COOP_DATA, else <source>/../shared/data.
inline fs::path data_dir() {
  if (const char* env = std::getenv("COOP_DATA"); env != nullptr && *env != '\0') return env;
  return fs::path(COOP_SOURCE_DIR) / ".." / "shared" / "data";
}

/// The shared file `rel`, or an empty path after printing the skip marker.
inline fs::path shared(const std::string& rel) {
  const fs::path p = data_dir() / rel;
  if (!fs::exists(p)) {
    std::printf("COOP-SKIP: %s is absent (set COOP_DATA to the shared data directory)\n",
                p.string().c_str());
    return {};
  }
  return p;
}

/// A fixture under tests/import/fixtures.
inline fs::path fixture(const std::string& name) { return fs::path(COOP_IMPORT_FIXTURES) / name; }

/// A clock that always says `t`.
class fixed_clock final : public coop::model::clock {
 public:
  explicit fixed_clock(coop::model::timestamp t) : t_(t) {}
  [[nodiscard]] coop::model::timestamp now() const override { return t_; }

 private:
  coop::model::timestamp t_;
};

/// 2026-11-28T12:00:00Z, the tests' "now".
inline const fixed_clock& test_clock() {
  static const fixed_clock c(coop::model::timestamp{1'795'867'200'000'000'000});
  return c;
}

/// The outcome of one import.
struct outcome {
  collecting_sink sink;
  summary totals;
  coop::model::result<void> status;
  coop::model::registry reg;
};

/// Imports `file` (or the buffer `text` named `name`) with reproducible ids.
inline void run(outcome& o, const fs::path& file, format f = format::automatic,
                options opt = {}) {
  if (opt.id_seed == 0) opt.id_seed = 42;
  if (opt.clock == nullptr) opt.clock = &test_clock();
  auto imp = importer::create(o.reg, o.sink, opt);
  if (!imp) {
    o.status = imp.err();
    return;
  }
  o.status = imp->import_file(file, f);
  o.totals = imp->totals();
}

inline void run_text(outcome& o, std::string_view text, std::string_view name, format f,
                     options opt = {}) {
  if (opt.id_seed == 0) opt.id_seed = 42;
  if (opt.clock == nullptr) opt.clock = &test_clock();
  auto imp = importer::create(o.reg, o.sink, opt);
  if (!imp) {
    o.status = imp.err();
    return;
  }
  o.status = imp->import_buffer(text, name, f);
  o.totals = imp->totals();
}

/// Field `name` of `e` rendered in Zeek notation ("-" when unset or absent).
inline std::string field(const coop::model::event& e, std::string_view name) {
  const auto* v = e.get(name);
  return v == nullptr ? std::string("<no such field>") : v->to_string();
}

}  // namespace coop::importer::test

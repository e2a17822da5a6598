// docs/importers.md: its Zeek column tables are generated from
// coop::model::zeek_columns() and must not drift from it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "coop/model/catalogue.h"
#include "import_support.h"

namespace {

namespace model = coop::model;

// One table per log: a column and everything it becomes.
std::string mapping_markdown() {
  std::string out, log, column, to;
  auto flush = [&] {
    if (!column.empty()) out += "| `" + column + "` | " + to + " |\n";
    column.clear();
    to.clear();
  };
  for (const auto& c : model::zeek_columns()) {
    if (c.log != log) {
      flush();
      log = std::string(c.log);
      out += "\n#### `" + log + "`\n\n| Zeek column | becomes |\n| --- | --- |\n";
    }
    std::string t;
    switch (c.kind) {
      case model::zeek_column_kind::field:
        t = "`" + std::string(c.event) + "." + std::string(c.field) + "`";
        break;
      case model::zeek_column_kind::envelope:
        t = "envelope " + std::string(c.note);
        break;
      case model::zeek_column_kind::transport:
        t = "transport of every port field";
        break;
      case model::zeek_column_kind::dropped:
        t = "dropped (" + std::string(c.note) + ")";
        break;
    }
    if (c.column == column) {
      to += ", " + t;
      continue;
    }
    flush();
    column = std::string(c.column);
    to = t;
  }
  flush();
  return out + "\n";
}

TEST_CASE("docs: importers.md's Zeek column tables match zeek_columns()") {
  const std::string path = std::string(COOP_SOURCE_DIR) + "/docs/importers.md";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const std::string begin = "<!-- BEGIN GENERATED zeek mapping -->\n";
  const std::string end = "<!-- END GENERATED zeek mapping -->";
  const auto b = doc.find(begin);
  const auto e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string current = doc.substr(b + begin.size(), e - b - begin.size());
  const std::string wanted = mapping_markdown();
  if (current != wanted && std::getenv("COOP_UPDATE_DOCS") != nullptr) {
    doc.replace(b + begin.size(), e - b - begin.size(), wanted);
    std::ofstream(path, std::ios::trunc) << doc;
    MESSAGE("rewrote " << path);
    return;
  }
  CHECK_MESSAGE(current == wanted,
                path << " is out of date; regenerate: COOP_UPDATE_DOCS=1 coop-import-tests "
                        "-tc='*importers.md*'");
  CHECK(wanted.find("| `id.orig_h` | `dns_request.orig_h`, `dns_reply.orig_h` |") !=
        std::string::npos);
}

}  // namespace

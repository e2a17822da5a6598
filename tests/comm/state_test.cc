// The node's durable state: the answer log that de-duplicates requests
// across restarts, on real files.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "comm_support.h"
#include "state/answers.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

std::size_t lines_in(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

TEST_CASE("the answer log is compacted while the node runs, keeping every live answer") {
  scratch_dir dir;
  auto log = state::answer_log::open(dir.path(), 0);
  REQUIRE(log.ok());
  for (std::uint64_t id = 1; id <= 200; ++id)
    log->add("site-b", id, static_cast<std::int64_t>(id), "answer " + std::to_string(id));
  CHECK(lines_in(dir.path() / "answers") == 200);

  // Few forgotten: not worth a rewrite yet.
  REQUIRE(log->forget_before(21).ok());
  CHECK(log->size() == 180);
  CHECK(lines_in(dir.path() / "answers") == 200);

  // Most forgotten: the file is rewritten with the 51 answers left.
  REQUIRE(log->forget_before(150).ok());
  CHECK(log->size() == 51);
  CHECK(log->file_lines() == 51);
  CHECK(lines_in(dir.path() / "answers") == 51);
  REQUIRE(log->find("site-b", 150) != nullptr);
  CHECK(*log->find("site-b", 150) == "answer 150");
  CHECK(log->find("site-b", 149) == nullptr);

  // Appends after the rewrite go to the new file, and survive a reopen.
  log->add("site-c", 7, 300, std::string("\0binary\xff", 8));
  *log = state::answer_log{};  // closes the file
  auto again = state::answer_log::open(dir.path(), 0);
  REQUIRE(again.ok());
  CHECK(again->size() == 52);
  REQUIRE(again->find("site-c", 7) != nullptr);
  CHECK(*again->find("site-c", 7) == std::string("\0binary\xff", 8));
  CHECK(*again->find("site-b", 200) == "answer 200");
}

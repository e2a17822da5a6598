// The node's durable state: the answer log that de-duplicates requests
// across restarts, and the replay window, on real files.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "comm_support.h"
#include "state/answers.h"
#include "state/replay.h"

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

TEST_CASE("the replay window accepts each item once, however envelopes and origins interleave") {
  using state::replay_verdict;
  scratch_dir dir;
  const std::int64_t start = 1'000;
  auto w = state::replay_window::open(dir.path(), start, 4);
  REQUIRE(w.ok());
  // Items of one envelope in a row, then another origin's, then back.
  CHECK(w->check("a", 10, start + 1, 0, 3) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 1, 3) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 1, 3) == replay_verdict::duplicate);
  CHECK(w->check("b", 10, start + 1, 1, 3) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 1, 3) == replay_verdict::duplicate);
  CHECK(w->check("a", 10, start + 1, 2, 3) == replay_verdict::fresh);
  CHECK(w->check("a", 11, start + 1, 0, 1) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 0, 3) == replay_verdict::duplicate);
  CHECK(w->check("a", 10, start + 1, 2, 3) == replay_verdict::duplicate);
  // An index past the count the envelope was first seen with still counts once.
  CHECK(w->check("a", 11, start + 1, 5, 1) == replay_verdict::fresh);
  CHECK(w->check("a", 11, start + 1, 5, 1) == replay_verdict::duplicate);
  // Issued before this process started and never seen: refused.
  CHECK(w->check("a", 12, start - 1, 0, 1) == replay_verdict::too_old);
  // The window keeps 4 sequences per origin: 10 slides out when 14 comes,
  // from the middle of an envelope being checked.
  CHECK(w->check("a", 12, start + 1, 0, 2) == replay_verdict::fresh);
  CHECK(w->check("a", 13, start + 1, 0, 1) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 1, 3) == replay_verdict::duplicate);
  CHECK(w->check("a", 14, start + 1, 0, 1) == replay_verdict::fresh);
  CHECK(w->check("a", 10, start + 1, 1, 3) == replay_verdict::too_old);
  CHECK(w->check("a", 10, start + 1, 0, 3) == replay_verdict::too_old);
  CHECK(w->check("a", 12, start + 1, 1, 2) == replay_verdict::fresh);
  CHECK(w->check("a", 9, start + 1, 0, 1) == replay_verdict::too_old);
  CHECK(w->check("b", 10, start + 1, 1, 3) == replay_verdict::duplicate);
  CHECK(w->check("b", 10, start + 1, 0, 3) == replay_verdict::fresh);
  // A window moved elsewhere goes on where it was.
  state::replay_window moved = std::move(*w);
  CHECK(moved.check("a", 14, start + 1, 0, 1) == replay_verdict::duplicate);
  CHECK(moved.check("b", 10, start + 1, 0, 3) == replay_verdict::duplicate);
  CHECK(moved.check("a", 15, start + 1, 0, 1) == replay_verdict::fresh);
  // Saved and reopened: everything up to the highest sequence is refused.
  REQUIRE(moved.save().ok());
  auto again = state::replay_window::open(dir.path(), start + 100, 4);
  REQUIRE(again.ok());
  CHECK(again->check("a", 15, start + 200, 1, 2) == replay_verdict::too_old);
  CHECK(again->check("b", 10, start + 200, 2, 3) == replay_verdict::too_old);
  CHECK(again->check("a", 16, start + 200, 0, 1) == replay_verdict::fresh);
}

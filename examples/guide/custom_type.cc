// Guide, part 1: define a site-specific event type, evolve it, and let a
// receiver learn it. Referenced from docs/event-model.md; run by ctest.
#include <cstdio>

#include "coop/model/codec.h"
#include "coop/model/schema.h"

using namespace coop::model;

int main() {
  // A badge-reader event: two required fields and one optional.
  schema v1("badge_swipe", 1,
            {{"door", type(type_kind::string), false, {}, "Door identifier."},
             {"badge", type(type_kind::count), false, {}, "Badge number."},
             {"granted", type(type_kind::boolean), true, {}, "T if the door opened."}},
            "A badge was presented at a door.");
  registry reg;
  auto held = reg.add(v1);
  if (!held) {
    std::fprintf(stderr, "%s\n", held.err().to_string().c_str());
    return 1;
  }

  // Version 2 appends an optional field: compatible both ways.
  auto fields = v1.fields();
  fields.push_back({"building", type(type_kind::string), true, {}, "Building name."});
  if (auto v2 = reg.add(schema("badge_swipe", 2, fields)); !v2) return 1;

  // Changing a field's type is refused, naming the field.
  auto bad_fields = fields;
  bad_fields[1].ty = type(type_kind::string);
  auto refused = reg.add(schema("badge_swipe", 3, bad_fields));
  std::printf("refused: %s\n", refused.err().message.c_str());

  // Fill an event of the newest version and send it with its schema.
  event e(reg.find("badge_swipe"));
  e.ts = timestamp{1'700'000'000'000'000'000};
  if (!e.set("door", value{"lab-2"}) || !e.set("badge", value{4711u})) return 1;
  auto bytes = encode_batch(std::span<const event>(&e, 1), /*include_schemas=*/true);
  if (!bytes) return 1;

  // A receiver that has never heard of badge_swipe learns it from the batch.
  registry receiver;
  auto got = decode_batch_and_learn(byte_view(*bytes), receiver);
  if (!got) {
    std::fprintf(stderr, "%s\n", got.err().to_string().c_str());
    return 1;
  }
  std::printf("receiver learned %s v%u; door=%s\n", got->front().type().name().c_str(),
              got->front().type().version(), got->front().get("door")->to_string().c_str());
  return got->front() == e ? 0 : 1;
}

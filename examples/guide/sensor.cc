// Guide, part 2: a sensor fills a catalogue event, encodes it with a reused
// encoder, and a consumer reads it back both ways (zero-copy view, full
// decode) and as JSON. Referenced from docs/event-model.md; run by ctest.
#include <cstdio>

#include "coop/model/catalogue.h"
#include "coop/model/codec.h"
#include "coop/model/json.h"

using namespace coop::model;

int main() {
  registry reg;
  if (!add_catalogue(reg)) return 1;
  auto conn = reg.find(catalogue::connection_end);

  // Positions are resolved once; filling by position is the fast path.
  const std::size_t orig_h = *conn->index_of("orig_h"), orig_p = *conn->index_of("orig_p"),
                    resp_h = *conn->index_of("resp_h"), resp_p = *conn->index_of("resp_p"),
                    bytes_out = *conn->index_of("orig_bytes");

  id_generator ids;
  encoder enc;  // keeps its buffers: no allocation per event once warm
  event e(conn);
  e.from = {"site-a.example", "border-1"};
  for (std::uint32_t i = 0; i < 3; ++i) {
    e.id = ids.next();
    e.ts = timestamp{1'258'531'221'000'000'000 + i};
    e.uid = "C" + std::to_string(i);
    e.field(orig_h) = address::v4(0x0a000001u + i);
    e.field(orig_p) = port{static_cast<std::uint16_t>(40000 + i), transport::tcp};
    e.field(resp_h) = *address::parse("192.0.2.80");
    e.field(resp_p) = port{80, transport::tcp};
    e.field(bytes_out) = std::uint64_t{1000} * i;
    if (auto ok = e.validate(); !ok) {
      std::fprintf(stderr, "%s\n", ok.err().to_string().c_str());
      return 1;
    }
    auto wire = enc.encode(e);  // a view into enc, valid until the next encode
    if (!wire) return 1;

    // Zero-copy: read fields straight from the received bytes.
    auto view = event_view::open(*wire);
    if (!view) return 1;
    std::printf("%.*s from %s sent %llu bytes (%zu bytes on the wire)\n",
                static_cast<int>(view->type_name().size()), view->type_name().data(),
                view->address_at(orig_h)->to_string().c_str(),
                static_cast<unsigned long long>(*view->count_at(bytes_out)), wire->size());

    // Full decode validates against the registry and gives an event back.
    auto back = decode(*wire, reg);
    if (!back || !(*back == e)) return 1;
  }
  auto json = to_json(e);
  if (!json) return 1;
  std::printf("%s\n", json->c_str());
  auto from = from_json(*json, reg);
  return from && *from == e ? 0 : 1;
}

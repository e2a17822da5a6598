// Guide, part 3: select events with a filter and anonymise them before they
// leave the site. Referenced from docs/event-model.md; run by ctest.
#include <cstdio>

#include "coop/model/anonymize.h"
#include "coop/model/catalogue.h"
#include "coop/model/filter.h"
#include "coop/model/transform.h"

using namespace coop::model;

int main() {
  registry reg;
  if (!add_catalogue(reg)) return 1;
  event e(reg.find(catalogue::ssh_login));
  e.ts = timestamp{1'700'000'000'000'000'000};
  if (!e.set("orig_h", value{*address::parse("10.1.2.3")}) ||
      !e.set("orig_p", value{port{51000, transport::tcp}}) ||
      !e.set("resp_h", value{*address::parse("198.51.100.7")}) ||
      !e.set("resp_p", value{port{22, transport::tcp}}))
    return 1;

  // Compile once (type-checked against the registry), evaluate many times.
  auto f = filter::compile("type == ssh_login && orig_h in 10.0.0.0/8 && ts > now - 1h", reg);
  if (!f) {
    std::fprintf(stderr, "%s\n", f.err().to_string().c_str());
    return 1;
  }
  const timestamp now = e.ts + interval::seconds(60);
  std::printf("matches: %s\n", f->matches(e, now) ? "yes" : "no");

  // Errors point at the column.
  auto typo = filter::compile("orig_h in 10.0.0.0/8 && resp_port == 22/tcp", reg);
  std::printf("error: %s\n", typo.err().message.c_str());

  // Anonymise internal addresses with the site's key; external ones stay.
  std::array<std::uint8_t, anonymization_key_size> key{};  // a real site loads a secret key
  key.fill(0x42);
  anonymizer_options only_internal;
  only_internal.only = {*subnet::parse("10.0.0.0/8")};
  auto anon = anonymizer::make(key, only_internal);
  if (!anon) return 1;
  auto share = transform::compile(reg, transform_spec{}, std::move(*anon));
  if (!share) return 1;
  event out = e;
  if (!share->apply(out)) return 1;
  std::printf("orig_h %s -> %s, resp_h %s -> %s\n", e.get("orig_h")->to_string().c_str(),
              out.get("orig_h")->to_string().c_str(), e.get("resp_h")->to_string().c_str(),
              out.get("resp_h")->to_string().c_str());
  return f->matches(e, now) && !typo && !(*out.get("orig_h") == *e.get("orig_h")) &&
                 *out.get("resp_h") == *e.get("resp_h")
             ? 0
             : 1;
}

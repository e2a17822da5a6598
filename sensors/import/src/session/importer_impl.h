// Private: the state behind coop::importer::importer, shared by the files
// that implement its calls (importer.cc, delta.cc). One thread at a time.
#pragma once

#include <string_view>
#include <utility>

#include "coop/importer/importer.h"
#include "session/context.h"

namespace coop::importer {

struct importer::impl {
  impl(coop::model::registry& r, sink& s, options o)
      : reg(r), out(&s), opt(std::move(o)),
        ids(opt.id_seed != 0 ? coop::model::id_generator(opt.id_seed) : coop::model::id_generator()) {}

  coop::model::registry& reg;
  sink* out;  ///< Where events go; import_delta points it at a filter for a while.
  options opt;
  summary sum;
  coop::model::id_generator ids;

  detail::context context_for(std::string_view name) {
    detail::context ctx(reg, *out, opt, sum, ids);
    ctx.file = std::string(name);
    return ctx;
  }

  coop::model::result<void> document(std::string_view data, format f, detail::context& ctx) {
    return f == format::stix ? detail::import_stix(data, ctx) : detail::import_misp(data, ctx);
  }
};

}  // namespace coop::importer

// C API: status codes, last error, registries, filters.
#include <cstring>

#include "capi/handles.h"
#include "coop/model/catalogue.h"
#include "coop/model/json.h"

namespace coop::model::capi {
namespace {
thread_local std::string last_error;
}  // namespace

int fail(int status, std::string message) {
  last_error = std::move(message);
  return status;
}

int fail(const error& e) { return fail(static_cast<int>(e.code), e.message); }

}  // namespace coop::model::capi

using coop::model::capi::fail;
using coop::model::capi::guarded;

extern "C" {

const char* coop_strerror(int status) {
  switch (status) {
    case COOP_OK: return "success";
    case COOP_EINVAL: return "invalid argument";
    case COOP_ENOTFOUND: return "not found";
    case COOP_ECORRUPT: return "corrupt data";
    case COOP_EIO: return "input/output error";
    case COOP_EOVERLOAD: return "limit exceeded";
    case COOP_EUNSUPPORTED: return "unsupported";
    case COOP_EINCOMPATIBLE: return "incompatible schema";
    case COOP_ENOMEM: return "out of memory";
    case COOP_EUNSET: return "field is unset";
    default: return "unknown status";
  }
}

const char* coop_last_error(void) { return coop::model::capi::last_error.c_str(); }

int coop_registry_new(int with_catalogue, coop_registry** out) {
  if (out == nullptr) return fail(COOP_EINVAL, "coop_registry_new: out is NULL");
  *out = nullptr;
  return guarded([&] {
    auto reg = std::make_unique<coop_registry>();
    if (with_catalogue) {
      if (auto r = coop::model::add_catalogue(reg->reg); !r) return fail(r.err());
    }
    *out = reg.release();
    return int{COOP_OK};
  });
}

void coop_registry_free(coop_registry* reg) { delete reg; }

int coop_registry_add_schema_json(coop_registry* reg, const char* json, size_t len) {
  if (reg == nullptr || json == nullptr) return fail(COOP_EINVAL, "coop_registry_add_schema_json: NULL argument");
  return guarded([&] {
    auto s = coop::model::schema_from_json(std::string_view(json, len));
    if (!s) return fail(s.err());
    auto held = reg->reg.add(std::move(*s));
    if (!held) return fail(held.err());
    return int{COOP_OK};
  });
}

int coop_filter_compile(const coop_registry* reg, const char* expr, coop_filter** out) {
  if (reg == nullptr || expr == nullptr || out == nullptr) {
    return fail(COOP_EINVAL, "coop_filter_compile: NULL argument");
  }
  *out = nullptr;
  return guarded([&] {
    auto f = coop::model::filter::compile(expr, reg->reg);
    if (!f) return fail(f.err());
    *out = new coop_filter{std::move(*f)};
    return int{COOP_OK};
  });
}

void coop_filter_free(coop_filter* f) { delete f; }

int coop_filter_matches(const coop_filter* f, const coop_event* ev, int64_t now_ns) {
  if (f == nullptr || ev == nullptr) return 0;
  return f->f.matches(ev->ev, coop::model::timestamp{now_ns}) ? 1 : 0;
}

}  // extern "C"

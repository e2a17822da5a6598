// The std::error_category of coop::model::errc.
#include <string>

#include "coop/model/result.h"

namespace coop::model {
namespace {

class model_category_impl final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "coop.model"; }
  [[nodiscard]] std::string message(int code) const override {
    return to_string(static_cast<errc>(code));
  }
};

}  // namespace

const std::error_category& model_category() noexcept {
  static const model_category_impl category;
  return category;
}

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::corruption: return "corruption";
    case errc::io: return "io";
    case errc::overloaded: return "overloaded";
    case errc::unsupported: return "unsupported";
    case errc::incompatible: return "incompatible";
  }
  return "unknown";
}

}  // namespace coop::model

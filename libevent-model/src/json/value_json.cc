// The public value functions of json.h: thin wrappers over the codec.
#include "coop/model/json.h"
#include "json/codec.h"

namespace coop::model {

result<void> value_to_json(const value& v, const type& t, std::string& out) {
  const std::size_t start = out.size();
  json::encode_error err;
  if (!json::encode_value(v, t, out, err)) {
    out.resize(start);
    std::string_view path = err.path;
    if (!path.empty() && path.front() == '.') path.remove_prefix(1);
    std::string msg = path.empty() ? err.what : std::string(path) + ": " + err.what;
    return error{errc::invalid_argument, std::move(msg)};
  }
  return {};
}

result<value> value_from_json(std::string_view text, const type& t, const json_limits& limits) {
  if (text.size() > limits.max_bytes) {
    return error{errc::overloaded, "input of " + std::to_string(text.size()) +
                                       " bytes exceeds max_bytes " + std::to_string(limits.max_bytes)};
  }
  json::reader r(text, limits);
  value v;
  if (!json::decode_value(r, t, v) || !r.finish()) return r.take_error();
  return v;
}

}  // namespace coop::model

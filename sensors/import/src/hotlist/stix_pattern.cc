#include "hotlist/stix_pattern.h"

#include <algorithm>

#include "hotlist/indicator_writer.h"

namespace coop::importer::hotlist {

namespace {

bool ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// The Intel type of `object:path = value`, empty if it is not an indicator.
std::string_view type_of(std::string_view object, std::string_view path, std::string& value) {
  std::string normalised;
  if (object == "ipv4-addr" || object == "ipv6-addr" ||
      (path.size() >= 6 && path.substr(path.size() - 6) == ".value" &&
       path.find("resolves_to_refs") != std::string_view::npos)) {
    auto t = address_type(value, normalised);
    if (!t.empty()) value = normalised;
    return t;
  }
  if (path.find("hashes.") != std::string_view::npos) {
    value = lower(value);
    return object == "x509-certificate" ? "CERT_HASH" : "FILE_HASH";
  }
  if (object == "domain-name" && path == "value") return "DOMAIN";
  if (object == "url" && path == "value") return "URL";
  if (object == "email-addr" && path == "value") return "EMAIL";
  if (object == "email-message" &&
      (path == "from_ref.value" || path == "sender_ref.value" || path.find("to_refs") == 0)) {
    return "EMAIL";
  }
  if (object == "file" && path == "name") return "FILE_NAME";
  if (object == "user-account" && (path == "user_id" || path == "account_login")) return "USER_NAME";
  if (object == "software" && path == "name") return "SOFTWARE";
  return {};
}

}  // namespace

pattern_reading read_pattern(std::string_view p) {
  pattern_reading out;
  std::size_t i = 0;
  while (i < p.size()) {
    // Find the next object path: ident ':' path.
    if (!ident(p[i]) || (i > 0 && (ident(p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '\''))) {
      if (p[i] == '\'') {
        // Skip a string literal outside a comparison.
        ++i;
        while (i < p.size() && p[i] != '\'') i += p[i] == '\\' ? 2 : 1;
      }
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < p.size() && ident(p[j])) ++j;
    if (j >= p.size() || p[j] != ':') {
      i = j;
      continue;
    }
    const std::string_view object = p.substr(i, j - i);
    std::size_t k = j + 1;
    std::string path;
    while (k < p.size() && p[k] != ' ' && p[k] != '=' && p[k] != '!' && p[k] != '<' &&
           p[k] != '>') {
      if (p[k] == '\'') {
        // A quoted path step: hashes.'SHA-256'.
        ++k;
        while (k < p.size() && p[k] != '\'') path.push_back(p[k++]);
        if (k < p.size()) ++k;
        continue;
      }
      path.push_back(p[k++]);
    }
    while (k < p.size() && p[k] == ' ') ++k;
    // The operator.
    std::size_t op_end = k;
    while (op_end < p.size() && p[op_end] != ' ' && p[op_end] != '\'') ++op_end;
    const std::string_view op = p.substr(k, op_end - k);
    k = op_end;
    while (k < p.size() && p[k] == ' ') ++k;
    if (k >= p.size() || p[k] != '\'') {
      // Not a string comparison (IN lists, numbers): not an exact value.
      ++out.other;
      i = k;
      continue;
    }
    std::string value;
    ++k;
    bool closed = false;
    while (k < p.size()) {
      if (p[k] == '\\' && k + 1 < p.size()) {
        value.push_back(p[k + 1]);
        k += 2;
        continue;
      }
      if (p[k] == '\'') {
        closed = true;
        ++k;
        break;
      }
      value.push_back(p[k++]);
    }
    if (!closed) {
      out.error = "unterminated string in the pattern";
      return out;
    }
    i = k;
    if (op != "=") {
      ++out.other;
      continue;
    }
    const std::string_view type = type_of(object, path, value);
    if (type.empty() || value.empty()) {
      ++out.other;
      continue;
    }
    const bool dup = std::any_of(out.values.begin(), out.values.end(), [&](const auto& v) {
      return v.value == value && v.type == type;
    });
    if (!dup) out.values.push_back({std::move(value), type});
  }
  return out;
}

}  // namespace coop::importer::hotlist

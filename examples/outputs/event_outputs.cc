// The output options of the tools and the pair of outputs they open.
#include "event_outputs.h"

#include <array>
#include <cstdlib>

#include "coop/comm/node.h"
#include "coop/tm/store.h"
#include "parts.h"

namespace coop::outputs {

namespace {

// Each option: its synopsis and the lines describing it.
struct help_entry {
  std::string_view synopsis;
  std::array<std::string_view, 3> text;  // unused lines empty
};

constexpr help_entry help_entries[] = {
    {"--store DIR",
     {"also record the events in the time machine store in DIR",
      "(created when DIR is missing or empty, else opened), in",
      "batches of 4096, committed at the end"}},
    {"--publish CONFIG TOPIC",
     {"also publish every event as one message on TOPIC from the",
      "site configured in CONFIG (coop-peer's format) to the peers",
      "subscribed to it; waits for the peers to keep up"}},
    {"--publish-format F",
     {"json (default; application/vnd.coop.event+json) or binary",
      "(application/vnd.coop.event+capnp, one event per message)"}},
    {"--wait-peers S", {"seconds to wait at start for a subscribed peer (default 10)"}},
};

}  // namespace

parse_outcome parse_option(int argc, char** argv, int& i, output_options& o, std::string& error) {
  const std::string_view a = argv[i];
  auto value = [&](const char* what) -> const char* {
    if (i + 1 >= argc) {
      error = std::string(a) + " needs " + what;
      return nullptr;
    }
    return argv[++i];
  };
  if (a == "--store") {
    const char* v = value("a directory");
    if (v == nullptr) return parse_outcome::bad;
    o.store_dir = v;
    if (o.store_dir.empty()) {
      error = "--store needs a directory, not ''";
      return parse_outcome::bad;
    }
    return parse_outcome::taken;
  }
  if (a == "--publish") {
    if (i + 2 >= argc) {
      error = "--publish needs a site configuration file and a topic (--publish CONFIG TOPIC)";
      return parse_outcome::bad;
    }
    o.publish_config = argv[++i];
    o.publish_topic = argv[++i];
    return parse_outcome::taken;
  }
  if (a == "--publish-format") {
    const char* v = value("json or binary");
    if (v == nullptr) return parse_outcome::bad;
    const std::string_view f = v;
    if (f != "json" && f != "binary") {
      error = "--publish-format is json or binary, not '" + std::string(f) + "'";
      return parse_outcome::bad;
    }
    o.format = f == "json" ? publish_format::json : publish_format::binary;
    return parse_outcome::taken;
  }
  if (a == "--wait-peers") {
    const char* v = value("a number of seconds");
    if (v == nullptr) return parse_outcome::bad;
    char* end = nullptr;
    const long s = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || s < 0 || s > 86400) {
      error =
          "--wait-peers needs a number of seconds from 0 to 86400, not '" + std::string(v) + "'";
      return parse_outcome::bad;
    }
    o.wait_peers = std::chrono::seconds(s);
    return parse_outcome::taken;
  }
  return parse_outcome::not_ours;
}

std::string check_options(const output_options& o) {
  if (o.publish_config.empty() && o.format != publish_format::json) {
    return "--publish-format needs --publish CONFIG TOPIC";
  }
  return {};
}

std::string options_help(std::size_t column) {
  std::string out;
  for (const auto& h : help_entries) {
    std::string line = "  " + std::string(h.synopsis);
    bool first = true;
    for (auto t : h.text) {
      if (t.empty()) break;
      // A synopsis too long for its column gets a line of its own.
      if (!first || line.size() + 1 > column) {
        out += line + "\n";
        line.clear();
      }
      line.resize(column, ' ');
      line += t;
      first = false;
    }
    out += line + "\n";
  }
  return out;
}

event_outputs::event_outputs(std::unique_ptr<detail::store_part> s,
                             std::unique_ptr<detail::publish_part> p)
    : store_(std::move(s)), publish_(std::move(p)) {}

event_outputs::event_outputs(event_outputs&&) noexcept = default;
event_outputs& event_outputs::operator=(event_outputs&&) noexcept = default;

event_outputs::~event_outputs() {
  if (store_ || publish_) (void)finish();
}

model::result<event_outputs> event_outputs::open(const output_options& o,
                                                 const model::registry& types, std::string tool) {
  if (auto msg = check_options(o); !msg.empty()) {
    return model::error{model::errc::invalid_argument, msg};
  }
  std::unique_ptr<detail::store_part> s;
  std::unique_ptr<detail::publish_part> p;
  if (!o.store_dir.empty()) {
    auto r = detail::store_part::open(o, types, tool);
    if (!r) return r.err();
    s = std::move(r.value());
  }
  if (!o.publish_config.empty()) {
    auto r = detail::publish_part::open(o, tool);
    if (!r) return r.err();
    p = std::move(r.value());
  }
  return event_outputs(std::move(s), std::move(p));
}

model::result<void> event_outputs::write(const model::event& e) {
  if (store_) {
    if (auto r = store_->write(e); !r) return r;
  }
  if (publish_) {
    if (auto r = publish_->write(e); !r) return r;
  }
  return {};
}

model::result<void> event_outputs::finish() {
  // The site first: the store's commit may take a while and the peers are
  // waiting for the last events.
  if (publish_) publish_->finish();
  if (store_) return store_->finish();
  return {};
}

void event_outputs::print_summary(std::FILE* out) const {
  if (store_) store_->print_summary(out);
  if (publish_) publish_->print_summary(out);
}

}  // namespace coop::outputs

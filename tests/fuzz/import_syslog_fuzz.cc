// Fuzz target for the syslog receiver (sensors/import/src/syslog/): RFC 5424
// and 3164 parsing, RFC 6587 framing fed in chunks, and the receiver's
// events (syslog_message, ssh_login through the sshd parser).
// Input: byte 0 picks the chunk size for the framer (1-16 bytes) and the
// framer's size limit; the rest is a TCP stream, each frame of which goes
// to the receiver, and the whole rest is also parsed as one datagram.
// Oracle: nothing crashes, a framing error is an invalid_argument error,
// every emitted event validates against its schema and encodes to JSON,
// and every delivered frame respects the size limit.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/importer/syslog.h"
#include "coop/model/json.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "import_syslog_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

class checking_sink final : public coop::importer::sink {
 public:
  coop::model::result<void> on_event(const coop::model::event& e) override {
    if (auto v = e.validate(); !v) fail("invalid event", v.err().message);
    text_.clear();
    if (auto j = coop::model::to_json(e, text_); !j) fail("event does not encode", j.err().message);
    return {};
  }

 private:
  std::string text_;
};

class fixed_clock final : public coop::model::clock {
 public:
  [[nodiscard]] coop::model::timestamp now() const override { return {1'700'000'000'000'000'000}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + (data[0] & 15);
  const std::size_t limit = 16 + static_cast<std::size_t>(data[0] >> 4) * 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  static const fixed_clock clock;

  coop::model::registry reg;
  checking_sink sink;
  coop::importer::receiver_options opt;
  opt.import.id_seed = 1;
  opt.import.clock = &clock;
  auto rx = coop::importer::syslog_receiver::create(reg, sink, opt);
  if (!rx) std::abort();
  coop::importer::syslog_peer peer;

  // The datagram path: the whole input is one message.
  (void)coop::importer::parse_syslog(input, clock.now());
  if (auto r = rx->on_message(input, peer, "fuzz-udp"); !r) fail("receiver failed", r.err().message);

  // The stream path, in chunks.
  coop::importer::stream_framer framer(limit);
  const auto handler = [&](std::string_view msg) -> coop::model::result<void> {
    if (msg.size() > limit) fail("frame over the limit", std::to_string(msg.size()));
    return rx->on_message(msg, peer, "fuzz-tcp");
  };
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    auto r = framer.feed(input.substr(at, chunk), handler);
    if (!r) {
      if (r.err().code != coop::model::errc::invalid_argument) fail("framing failed", r.err().message);
      return 0;
    }
  }
  if (auto r = framer.finish(handler); !r) fail("finish failed", r.err().message);
  return 0;
}

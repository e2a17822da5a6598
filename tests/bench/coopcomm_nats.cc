// coop-bench-coopcomm: NATS with TLS, the alternative the issue names. A real
// `nats-server` child process (Debian package nats-server) on 127.0.0.1 with
// `tls { verify: true }` (mutual TLS), and two libnats client connections in
// this process (publisher and subscriber), all with Ed25519 certificates
// from a test authority made by the same coop::comm identity functions as
// Coop's, so both systems do the same TLS work. NATS core publish is
// at-most-once, like Coop's publish.
//
// The child is killed when the transport is destroyed, at exit (also through
// die()), on SIGINT/SIGTERM, and by the kernel if this process dies
// (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <nats/nats.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "coop/comm/identity.h"
#include "coopcomm_bench.h"

namespace coop::bench::comm {
namespace {

namespace cc = coop::comm;

constexpr const char* subject = "bench.load";

// The running nats-server, for the exit and signal paths.
std::atomic<pid_t> server_pid{0};

void kill_server() {
  const pid_t pid = server_pid.exchange(0);
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {  // up to 2 s for a clean exit
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(10000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

extern "C" void on_fatal_signal(int sig) {
  const pid_t pid = server_pid.load();
  if (pid > 0) ::kill(pid, SIGKILL);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts nats-server with `conf`, its log in `log`; returns its client port,
// or 0 after saying why.
std::uint16_t start_server(const std::string& program, const std::filesystem::path& conf,
                           const std::filesystem::path& log) {
  static const bool hooked = [] {
    std::atexit(kill_server);
    std::signal(SIGINT, on_fatal_signal);
    std::signal(SIGTERM, on_fatal_signal);
    return true;
  }();
  (void)hooked;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    progress(std::string("nats: fork: ") + std::strerror(errno));
    return 0;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const std::string c = conf.string();
    ::execl(program.c_str(), "nats-server", "-c", c.c_str(), "-D", static_cast<char*>(nullptr));
    std::fprintf(stderr, "exec %s: %s\n", program.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  server_pid = pid;
  const std::string marker = "Listening for client connections on ";
  for (int i = 0; i < 1000; ++i) {  // up to 10 s
    const std::string text = slurp(log);
    const auto at = text.find(marker);
    if (at != std::string::npos && text.find("Server is ready") != std::string::npos) {
      const auto colon = text.rfind(':', text.find('\n', at));
      return static_cast<std::uint16_t>(std::atoi(text.c_str() + colon + 1));
    }
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      server_pid = 0;
      progress("nats: " + program + " exited at start-up; its log (" + log.string() + "):\n" +
               text);
      return 0;
    }
    ::usleep(10000);
  }
  progress("nats: " + program + " did not become ready within 10 s; log:\n" + slurp(log));
  kill_server();
  return 0;
}

std::string last_nats_error(natsStatus s) {
  natsStatus st = s;
  const char* text = nats_GetLastError(&st);
  return std::string(natsStatus_GetText(s)) + (text && *text ? std::string(": ") + text : "");
}

class nats_transport final : public transport {
 public:
  ~nats_transport() override {
    if (sub_) natsSubscription_Destroy(sub_);
    if (sub_nc_) natsConnection_Destroy(sub_nc_);
    if (pub_nc_) natsConnection_Destroy(pub_nc_);
    if (opts_) natsOptions_Destroy(opts_);
    // No nats_Close(): libnats then tears down OpenSSL state that OpenSSL's
    // own exit handler frees again (a crash at exit with OpenSSL 3).
    kill_server();
  }

  std::string name() const override { return "nats_tls"; }
  std::string describe() const override { return describe_; }

  bool send(std::string_view payload) override {
    return natsConnection_Publish(pub_nc_, subject, payload.data(),
                                  static_cast<int>(payload.size())) == NATS_OK;
  }

  void finish() override {
    if (const auto s = natsConnection_FlushTimeout(pub_nc_, 30000); s != NATS_OK)
      progress("nats: flush: " + last_nats_error(s));
  }

  void begin_phase() override {
    dropped_before_ = dropped();
    errors_before_ = async_errors_.load();
  }

  nlohmann::ordered_json counters() override {
    nlohmann::ordered_json j;
    j["client_dropped"] = dropped() - dropped_before_;
    j["async_errors"] = async_errors_.load() - errors_before_;
    return j;
  }

  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    static_cast<tally*>(closure)->on_message(natsMsg_GetData(msg),
                                             static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    natsMsg_Destroy(msg);
  }

  static void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
    auto* self = static_cast<nats_transport*>(closure);
    if (self->async_errors_.fetch_add(1) == 0)
      progress(std::string("nats: asynchronous error: ") + natsStatus_GetText(err) +
               " (later ones only counted)");
  }

  std::int64_t dropped() {
    std::int64_t n = 0;
    if (sub_) natsSubscription_GetDropped(sub_, &n);
    return n;
  }

  natsOptions* opts_ = nullptr;
  natsConnection* pub_nc_ = nullptr;
  natsConnection* sub_nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::string describe_;

 private:
  std::atomic<std::uint64_t> async_errors_{0};
  std::int64_t dropped_before_ = 0;
  std::uint64_t errors_before_ = 0;
};

std::unique_ptr<transport> fail(const std::string& why) {
  progress("nats: " + why);
  return nullptr;
}

bool ok_or_say(natsStatus s, const std::string& what) {
  if (s == NATS_OK) return true;
  progress("nats: " + what + ": " + last_nats_error(s));
  return false;
}

}  // namespace

std::unique_ptr<transport> make_nats_tls(const std::filesystem::path& dir,
                                         const std::string& server_program) {
  const auto pki = dir / "nats-pki";
  auto ca = cc::create_authority(pki, "nats-ca");
  if (!ca.ok()) return fail(ca.err().to_string());
  auto srv = cc::create_site(*ca, pki, "nats-server");
  if (!srv.ok()) return fail(srv.err().to_string());
  auto cli = cc::create_site(*ca, pki, "nats-client");
  if (!cli.ok()) return fail(cli.err().to_string());

  const auto conf = dir / "nats-server.conf";
  {
    std::ofstream out(conf);
    out << "host: 127.0.0.1\nport: -1\n"
        << "tls {\n  cert_file: \"" << srv->cert.string() << "\"\n  key_file: \""
        << srv->key.string() << "\"\n  ca_file: \"" << ca->cert.string()
        << "\"\n  verify: true\n  timeout: 5\n}\n";
    if (!out) return fail("cannot write " + conf.string());
  }
  const auto log = dir / "nats-server.log";
  auto t = std::make_unique<nats_transport>();
  const std::uint16_t port = start_server(server_program, conf, log);
  if (port == 0) return nullptr;

  const std::string url = "tls://127.0.0.1:" + std::to_string(port);
  if (!ok_or_say(natsOptions_Create(&t->opts_), "natsOptions_Create") ||
      !ok_or_say(natsOptions_SetURL(t->opts_, url.c_str()), "natsOptions_SetURL") ||
      !ok_or_say(natsOptions_SetSecure(t->opts_, true), "natsOptions_SetSecure") ||
      !ok_or_say(natsOptions_LoadCATrustedCertificates(t->opts_, ca->cert.c_str()),
                 "CA " + ca->cert.string()) ||
      !ok_or_say(natsOptions_LoadCertificatesChain(t->opts_, cli->cert.c_str(), cli->key.c_str()),
                 "client certificate " + cli->cert.string()) ||
      !ok_or_say(natsOptions_SetExpectedHostname(t->opts_, "nats-server"),
                 "natsOptions_SetExpectedHostname") ||
      !ok_or_say(natsOptions_SetAllowReconnect(t->opts_, false), "natsOptions_SetAllowReconnect") ||
      !ok_or_say(natsOptions_SetErrorHandler(t->opts_, &nats_transport::on_error, t.get()),
                 "natsOptions_SetErrorHandler"))
    return nullptr;
  if (!ok_or_say(natsConnection_Connect(&t->sub_nc_, t->opts_), "subscriber connect to " + url) ||
      !ok_or_say(natsConnection_Subscribe(&t->sub_, t->sub_nc_, subject, &nats_transport::on_msg,
                                          &t->received()),
                 "subscribe") ||
      !ok_or_say(natsConnection_FlushTimeout(t->sub_nc_, 10000), "subscriber flush") ||
      !ok_or_say(natsConnection_Connect(&t->pub_nc_, t->opts_), "publisher connect to " + url))
    return nullptr;

  // nats-server logs the negotiated protocol at debug level (-D).
  std::string tls = "TLS (version not logged)";
  const std::string text = slurp(log);
  if (const auto at = text.find("TLS version "); at != std::string::npos)
    tls = "TLS " + text.substr(at + 12, text.find_first_of(",\n", at) - at - 12);
  t->describe_ = "nats-server " + server_program + " with tls { verify: true } (mutual " + tls +
                 ", Ed25519 certificates), libnats " + nats_GetVersion() +
                 " clients, default limits";
  return t;
}

}  // namespace coop::bench::comm

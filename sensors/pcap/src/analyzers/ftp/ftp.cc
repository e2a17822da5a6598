// FTP control channel, with Zeek's ftp.log conventions: commands are
// matched with their final reply (1xx replies are preliminary), multi-line
// replies are joined, the working directory follows CWD/CDUP/PWD so file
// commands get a full "ftp://host/path" argument, and a record is emitted
// for the commands Zeek logs (PASV, PORT, RETR, STOR, ...). A session that
// logged nothing (a failed login) yields its last command at the end.
#include "analyzers/ftp/ftp.h"

#include <cctype>
#include <deque>
#include <string>
#include <vector>

#include "analyzers/text/lines.h"
#include "coop/model/catalogue.h"
#include "pipeline/impl.h"

namespace coop::sensor::detail {

namespace {

bool is_logged(const std::string& cmd) {
  static const char* const cmds[] = {"APPE", "DELE", "RETR", "STOR", "STOU",
                                     "ACCT", "PORT", "PASV", "EPRT", "EPSV"};
  for (const char* c : cmds)
    if (cmd == c) return true;
  return false;
}

bool is_file_cmd(const std::string& cmd) {
  return cmd == "APPE" || cmd == "DELE" || cmd == "RETR" || cmd == "STOR" || cmd == "STOU";
}

// Joins `arg` to the directory `cwd` and removes "." and ".." segments and
// doubled slashes, keeping a leading "." as Zeek does.
std::string build_path(const std::string& cwd, const std::string& arg) {
  std::vector<std::string> segs;
  auto push_all = [&](const std::string& p, bool first) {
    std::size_t b = 0;
    bool lead = first;
    for (;;) {
      auto e = p.find('/', b);
      std::string s = p.substr(b, e == std::string::npos ? std::string::npos : e - b);
      if (s == "..") {
        if (!segs.empty() && segs.back() != "." && segs.back() != "..")
          segs.pop_back();
        else
          segs.push_back(s);
      } else if (s == "." && lead) {
        segs.push_back(s);
      } else if (!s.empty() && s != ".") {
        segs.push_back(s);
      }
      lead = false;
      if (e == std::string::npos) break;
      b = e + 1;
    }
  };
  if (!arg.empty() && arg[0] == '/') {
    push_all(arg.substr(1), false);
    std::string out;
    for (const auto& s : segs) out += "/" + s;
    return out.empty() ? "/" : out;
  }
  push_all(cwd, true);
  push_all(arg, false);
  std::string out;
  for (const auto& s : segs) out += (out.empty() ? "" : "/") + s;
  return out;
}

// Reply codes each command can draw (RFC 959 and its extensions); a reply
// goes to the pending command it fits best, as Zeek's get_pending_cmd does.
bool compatible(const std::string& cmd, unsigned code) {
  struct entry {
    const char* cmd;
    std::initializer_list<unsigned> codes;
  };
  static const entry table[] = {
      {"USER", {230, 331, 332, 421, 500, 501, 530}},
      {"PASS", {202, 230, 332, 421, 500, 501, 503, 530}},
      {"ACCT", {202, 230, 421, 500, 501, 503, 530}},
      {"CWD", {250, 421, 500, 501, 502, 530, 550}},
      {"CDUP", {200, 250, 421, 500, 501, 502, 530, 550}},
      {"QUIT", {221, 500}},
      {"PORT", {200, 421, 500, 501, 530}},
      {"EPRT", {200, 421, 500, 501, 522, 530}},
      {"PASV", {227, 421, 500, 501, 502, 530}},
      {"EPSV", {229, 421, 500, 501, 502, 530}},
      {"TYPE", {200, 421, 500, 501, 504, 530}},
      {"MODE", {200, 421, 500, 501, 504, 530}},
      {"STRU", {200, 421, 500, 501, 504, 530}},
      {"RETR", {110, 125, 150, 226, 250, 421, 425, 426, 450, 451, 500, 501, 530, 550}},
      {"STOR",
       {110, 125, 150, 226, 250, 421, 425, 426, 450, 451, 452, 500, 501, 530, 532, 551, 552, 553}},
      {"STOU",
       {110, 125, 150, 226, 250, 421, 425, 426, 450, 451, 452, 500, 501, 530, 532, 551, 552, 553}},
      {"APPE",
       {110, 125, 150, 226, 250, 421, 425, 426, 450, 451, 452, 500, 501, 530, 532, 551, 552, 553}},
      {"LIST", {125, 150, 226, 250, 421, 425, 426, 450, 451, 500, 501, 502, 530}},
      {"NLST", {125, 150, 226, 250, 421, 425, 426, 450, 451, 500, 501, 502, 530}},
      {"REST", {350, 421, 500, 501, 502, 530}},
      {"RNFR", {350, 421, 450, 500, 501, 502, 530, 550}},
      {"RNTO", {250, 421, 500, 501, 502, 503, 530, 532, 553}},
      {"ABOR", {225, 226, 421, 500, 501, 502}},
      {"DELE", {250, 421, 450, 500, 501, 502, 530, 550}},
      {"RMD", {250, 421, 500, 501, 502, 530, 550}},
      {"MKD", {257, 421, 500, 501, 502, 530, 550}},
      {"PWD", {257, 421, 500, 501, 502, 550}},
      {"XPWD", {257, 421, 500, 501, 502, 550}},
      {"SYST", {215, 421, 500, 501, 502}},
      {"STAT", {211, 212, 213, 421, 450, 500, 501, 502, 530}},
      {"HELP", {211, 214, 421, 500, 501, 502}},
      {"NOOP", {200, 421, 500}},
      {"FEAT", {211, 500, 502}},
      {"SIZE", {213, 500, 501, 550}},
      {"MDTM", {213, 500, 501, 550}},
      {"OPTS", {200, 451, 500, 501}},
      {"AUTH", {234, 334, 431, 500, 501, 502, 504, 534}},
      {"SITE", {200, 202, 500, 501, 530}},
  };
  if (code == 500) return true;
  for (const auto& e : table) {
    if (cmd == e.cmd) {
      for (unsigned c : e.codes)
        if (c == code) return true;
      return false;
    }
  }
  return code == 502 || code == 501;  // unknown command
}

class ftp_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    if (is_orig) {
      client_.feed(d, [&](std::string_view l) { command(l, ts); });
    } else {
      server_.feed(d, [&](std::string_view l) { reply(out, c, l, ts); });
    }
  }
  void end(emit_context& out, const conn& c, std::int64_t ts) override {
    (void)ts;
    for (auto& p : pending_) {
      if (is_logged(p.cmd)) write(out, c, p, 0, "");
    }
    if (!any_logged_ && !last_.cmd.empty()) write(out, c, last_, last_code_, last_msg_);
    pending_.clear();
  }
  std::string_view service() const override { return "ftp"; }

 private:
  struct cmdarg {
    std::string cmd;
    std::string arg;
    std::int64_t ts = 0;
  };

  void command(std::string_view line, std::int64_t ts) {
    auto sp = line.find(' ');
    cmdarg ca;
    ca.cmd = std::string(line.substr(0, sp));
    for (auto& ch : ca.cmd)
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
    if (sp != std::string_view::npos) ca.arg = std::string(trim(line.substr(sp + 1)));
    ca.ts = ts;
    if (pending_.size() < 64) pending_.push_back(std::move(ca));
  }

  void reply(emit_context& out, const conn& c, std::string_view line, std::int64_t ts) {
    (void)ts;
    // Multi-line replies: "123-..." opens, "123 ..." closes; lines between are text.
    if (in_multi_) {
      if (line.size() >= 4 && line.substr(0, 3) == multi_code_ && line[3] == ' ')
        in_multi_ = false;
      else
        return;
    } else if (line.size() >= 4 && std::isdigit(static_cast<unsigned char>(line[0])) &&
               line[3] == '-') {
      in_multi_ = true;
      multi_code_ = std::string(line.substr(0, 3));
      multi_msg_ = std::string(line.substr(4));
      return;
    }
    auto digit = [&](std::size_t i) {
      return std::isdigit(static_cast<unsigned char>(line[i])) != 0;
    };
    if (line.size() < 3 || !digit(0) || !digit(1) || !digit(2)) return;
    auto code =
        static_cast<unsigned>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    std::string msg = line.size() > 4 ? std::string(line.substr(4)) : std::string();
    if (!multi_msg_.empty()) {
      msg = multi_msg_;
      multi_msg_.clear();
    }
    if (pending_.empty()) return;  // greeting or unsolicited
    // Best fitting pending command: compatible code, then the command and
    // its argument quoted in the reply, then the oldest.
    std::size_t best = 0;
    int best_score = -1;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      int score = compatible(pending_[i].cmd, code) ? 100 : 0;
      if (!pending_[i].cmd.empty() && msg.find(pending_[i].cmd) != std::string::npos) score += 20;
      if (msg.find(pending_[i].arg) != std::string::npos) score += 10;
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    if (code < 200) return;  // preliminary: the command stays pending
    cmdarg ca = std::move(pending_[best]);
    pending_.erase(pending_.begin() + static_cast<long>(best));
    if (ca.cmd == "CWD" && code == 250)
      cwd_ = build_path(cwd_, ca.arg);
    else if (ca.cmd == "CDUP" && (code == 200 || code == 250))
      cwd_ = build_path(cwd_, "..");
    else if ((ca.cmd == "PWD" || ca.cmd == "XPWD") && code == 257) {
      auto a = msg.find('"'), b = msg.find('"', a == std::string::npos ? 0 : a + 1);
      if (a != std::string::npos && b != std::string::npos) cwd_ = msg.substr(a + 1, b - a - 1);
    }
    if (ca.cmd == "USER") user_ = ca.arg;
    if (is_logged(ca.cmd)) {
      write(out, c, ca, code, msg);
      any_logged_ = true;
    }
    last_ = std::move(ca);
    last_code_ = code;
    last_msg_ = msg;
  }

  void write(emit_context& out, const conn& c, const cmdarg& ca, unsigned code,
             const std::string& msg) {
    model::event* e = out.make(model::catalogue::ftp_command, c, ca.ts);
    if (e == nullptr) return;
    set_field(*e, "command", ca.cmd);
    std::string arg = ca.arg;
    if (is_file_cmd(ca.cmd)) {
      std::string host = to_address(c.resp_h).to_string();
      if (c.v6) host = "[" + host + "]";
      std::string path = build_path(cwd_, ca.arg);
      arg = "ftp://" + host + (path.rfind('/', 0) == 0 ? "" : "/") + path;
    }
    if (!arg.empty()) set_field(*e, "arg", arg);
    if (!user_.empty()) set_field(*e, "user", user_);
    if (code != 0) {
      set_field(*e, "reply_code", std::uint64_t{code});
      set_field(*e, "reply_msg", msg);
    }
    out.emit();
  }

  line_splitter client_;
  line_splitter server_;
  std::deque<cmdarg> pending_;
  std::string cwd_ = ".";
  std::string user_;
  bool in_multi_ = false;
  std::string multi_code_;
  std::string multi_msg_;
  bool any_logged_ = false;
  cmdarg last_;
  unsigned last_code_ = 0;
  std::string last_msg_;
};

}  // namespace

std::unique_ptr<app_analyzer> make_ftp() { return std::make_unique<ftp_analyzer>(); }

}  // namespace coop::sensor::detail

// SMTP: HELO/EHLO, MAIL FROM, RCPT TO, then the DATA section's headers
// (From, To, Cc, Subject, Date, Message-ID, ...) until the lone ".". One
// smtp_message per transaction. After STARTTLS is accepted the rest of the
// connection goes to a TLS analyzer, as Zeek hands it to its SSL analyzer.
#include "analyzers/smtp/smtp.h"

#include <string>
#include <vector>

#include "analyzers/text/lines.h"
#include "analyzers/tls/tls.h"
#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

constexpr std::size_t max_header = 65536;     // a folded header keeps at most this much
constexpr std::size_t max_recipients = 1000;  // RCPT TO kept per message

std::string angle_addr(std::string_view s) {
  auto a = s.find('<'), b = s.find('>');
  if (a != std::string_view::npos && b != std::string_view::npos && b > a)
    return std::string(s.substr(a + 1, b - a - 1));
  return std::string(trim(s));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (;;) {
    auto e = s.find(',', b);
    auto part = trim(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (!part.empty()) out.emplace_back(part);
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  return out;
}

class smtp_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    if (tls_) {
      tls_->data(out, c, is_orig, d, ts);
      return;
    }
    if (is_orig) {
      client_.feed(d, [&](std::string_view l) { client_line(out, c, l, ts); });
    } else {
      server_.feed(d, [&](std::string_view l) { server_line(l); });
    }
  }
  void end(emit_context& out, const conn& c, std::int64_t ts) override {
    if (active_ || starttls_) write(out, c);
    if (tls_) tls_->end(out, c, ts);
  }
  std::string_view service() const override { return "smtp"; }

 private:
  void reset_message() {
    mailfrom_.clear();
    rcptto_.clear();
    from_.clear();
    to_.clear();
    subject_.clear();
    date_.clear();
    msg_id_.clear();
    active_ = false;
  }

  void client_line(emit_context& out, const conn& c, std::string_view l, std::int64_t ts) {
    if (in_data_) {
      if (l == ".") {
        in_data_ = false;
        write(out, c);
        reset_message();
        return;
      }
      if (in_headers_) {
        if (l.empty()) {
          in_headers_ = false;
          return;
        }
        if ((l[0] == ' ' || l[0] == '\t') && last_header_ != nullptr) {
          if (last_header_->size() < max_header) *last_header_ += std::string(l);
          return;
        }
        auto colon = l.find(':');
        if (colon == std::string_view::npos) return;
        std::string_view name = l.substr(0, colon), value = trim(l.substr(colon + 1));
        last_header_ = nullptr;
        auto is = [&](std::string_view n) {
          return name.size() == n.size() && starts_with_nocase(name, n);
        };
        if (is("from"))
          last_header_ = &(from_ = std::string(value));
        else if (is("to"))
          last_header_ = &(to_ = std::string(value));
        else if (is("subject"))
          last_header_ = &(subject_ = std::string(value));
        else if (is("date"))
          last_header_ = &(date_ = std::string(value));
        else if (is("message-id"))
          last_header_ = &(msg_id_ = std::string(value));
      }
      return;
    }
    if (starts_with_nocase(l, "HELO ") || starts_with_nocase(l, "EHLO ")) {
      helo_ = std::string(trim(l.substr(5)));
    } else if (starts_with_nocase(l, "MAIL FROM:")) {
      reset_message();
      active_ = true;
      ts_ = ts;
      mailfrom_ = angle_addr(l.substr(10));
    } else if (starts_with_nocase(l, "RCPT TO:")) {
      active_ = true;
      if (rcptto_.size() < max_recipients) rcptto_.push_back(angle_addr(l.substr(8)));
    } else if (starts_with_nocase(l, "DATA")) {
      in_data_ = true;
      in_headers_ = true;
      last_header_ = nullptr;
    } else if (starts_with_nocase(l, "STARTTLS")) {
      starttls_pending_ = true;
      if (ts_ == 0) ts_ = ts;
    }
  }

  void server_line(std::string_view l) {
    if (starttls_pending_ && l.size() >= 4 && l.substr(0, 3) == "220" && l[3] == ' ') {
      starttls_pending_ = false;
      starttls_ = true;
      tls_ = make_tls();
    }
  }

  void write(emit_context& out, const conn& c) {
    model::event* e = out.make(model::catalogue::smtp_message, c, ts_);
    if (e == nullptr) return;
    set_field(*e, "trans_depth", std::uint64_t{++depth_});
    if (!helo_.empty()) set_field(*e, "helo", helo_);
    if (!mailfrom_.empty()) set_field(*e, "mailfrom", mailfrom_);
    if (!rcptto_.empty()) {
      std::vector<model::value> v(rcptto_.begin(), rcptto_.end());
      set_field(*e, "rcptto", model::value::make_set(std::move(v)));
    }
    if (!from_.empty()) set_field(*e, "from", from_);
    if (!to_.empty()) {
      std::vector<model::value> v;
      for (auto& s : split_list(to_)) v.emplace_back(s);
      set_field(*e, "to", model::value::make_set(std::move(v)));
    }
    if (!subject_.empty()) set_field(*e, "subject", subject_);
    if (!date_.empty()) set_field(*e, "date", date_);
    if (!msg_id_.empty()) set_field(*e, "msg_id", msg_id_);
    if (starttls_) set_field(*e, "tls", true);
    out.emit();
  }

  line_splitter client_;
  line_splitter server_;
  std::unique_ptr<app_analyzer> tls_;
  bool in_data_ = false;
  bool in_headers_ = false;
  bool active_ = false;
  bool starttls_pending_ = false;
  bool starttls_ = false;
  std::string* last_header_ = nullptr;
  std::string helo_, mailfrom_, from_, to_, subject_, date_, msg_id_;
  std::vector<std::string> rcptto_;
  std::uint64_t depth_ = 0;
  std::int64_t ts_ = 0;
};

}  // namespace

std::unique_ptr<app_analyzer> make_smtp() { return std::make_unique<smtp_analyzer>(); }

}  // namespace coop::sensor::detail

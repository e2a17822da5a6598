// Plain address lists: one address or prefix per line, '#' or ';' comments,
// optionally followed by a count (ipsum: "1.2.3.4<TAB>7") -> indicators.
#include <string>

#include "hotlist/indicator_writer.h"
#include "scan/scalars.h"
#include "session/context.h"

namespace coop::importer::detail {

namespace model = coop::model;

namespace {

std::string list_name(const context& ctx) {
  if (!ctx.opt.list_name.empty()) return ctx.opt.list_name;
  std::string_view f = ctx.file;
  const auto slash = f.find_last_of('/');
  if (slash != std::string_view::npos) f.remove_prefix(slash + 1);
  return std::string(f);
}

class iplist_parser final : public line_parser {
 public:
  explicit iplist_parser(context& ctx)
      : ctx_(ctx), counts_(ctx.kind("iplist")), writer_(ctx, counts_) {
    entry_.source = list_name(ctx);
    entry_.ts = ctx.now();
  }

  model::result<void> line(std::string_view text, std::uint64_t no) override {
    text = scan::trim(text);
    if (text.empty() || text[0] == '#' || text[0] == ';') return {};
    ++counts_.lines;
    const auto comment = text.find_first_of("#;");
    if (comment != std::string_view::npos) text = scan::trim(text.substr(0, comment));
    const auto sep = text.find_first_of(" \t,");
    const std::string_view value = text.substr(0, sep);
    entry_.type = hotlist::address_type(value, entry_.value);
    if (entry_.type.empty()) {
      ctx_.skip(counts_, no, "'" + std::string(value.substr(0, 64)) +
                                 "' is not an IP address or prefix");
      return {};
    }
    entry_.description.clear();
    if (sep != std::string_view::npos) {
      const std::string_view rest = scan::trim(text.substr(sep + 1));
      std::uint64_t count = 0;
      if (!rest.empty() && !scan::parse_u64(rest, count)) {
        ctx_.skip(counts_, no, "after the address, '" + std::string(rest.substr(0, 64)) +
                                   "' is not a count");
        return {};
      }
      if (!rest.empty()) entry_.description = "count " + std::string(rest);
    }
    if (auto r = writer_.emit(entry_); !r) return r;
    ++counts_.records;
    return {};
  }

 private:
  context& ctx_;
  tally& counts_;
  hotlist::indicator_writer writer_;
  hotlist::entry entry_;
};

}  // namespace

std::unique_ptr<line_parser> make_iplist_parser(context& ctx) {
  return std::make_unique<iplist_parser>(ctx);
}

}  // namespace coop::importer::detail

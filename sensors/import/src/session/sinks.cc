#include "coop/importer/sinks.h"

#include <ostream>

#include "coop/model/json.h"
#include <utility>

namespace coop::importer {

namespace model = coop::model;

json_lines_sink::json_lines_sink(std::ostream& out, problem_handler on_problem)
    : out_(out), handler_(std::move(on_problem)) {}

model::result<void> json_lines_sink::on_event(const model::event& e) {
  buffer_.clear();
  if (auto r = model::to_json(e, buffer_); !r) return r;
  buffer_.push_back('\n');
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  if (!out_) return model::error{model::errc::io, "writing JSON lines failed"};
  return {};
}

void json_lines_sink::on_problem(const problem& p) {
  if (handler_) handler_(p);
}

binary_sink::binary_sink(std::ostream& out, problem_handler on_problem)
    : writer_(out), handler_(std::move(on_problem)) {}

model::result<void> binary_sink::on_event(const model::event& e) { return writer_.write(e); }

void binary_sink::on_problem(const problem& p) {
  if (handler_) handler_(p);
}

model::result<void> binary_sink::flush() { return writer_.flush(); }

model::result<void> collecting_sink::on_event(const model::event& e) {
  events.push_back(e);
  return {};
}

void collecting_sink::on_problem(const problem& p) { problems.push_back(p); }

model::result<void> counting_sink::on_event(const model::event& e) {
  ++events;
  for (const auto& v : e.fields()) fields += v.is_none() ? 0 : 1;
  return {};
}

void counting_sink::on_problem(const problem&) { ++problems; }

}  // namespace coop::importer

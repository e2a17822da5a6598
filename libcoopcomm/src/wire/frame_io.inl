// Template part of frame_io.h.
#pragma once

#include <kj/exception.h>

namespace coop::comm::wire_io {

template <class F>
auto guard(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const kj::Exception& e) {
    return error{errc::protocol,
                 std::string(what) + ": malformed message (" + e.getDescription().cStr() + ")"};
  } catch (const std::exception& e) {
    return error{errc::protocol, std::string(what) + ": " + e.what()};
  }
}

}  // namespace coop::comm::wire_io

// The C API's handle types and the guard that turns C++ failures into status
// codes. Private to src/capi/.
#pragma once

#include <new>
#include <string>
#include <vector>

#include "coop/model.h"
#include "coop/model/codec.h"
#include "coop/model/event.h"
#include "coop/model/filter.h"
#include "coop/model/schema.h"

struct coop_registry {
  coop::model::registry reg;
};

struct coop_event {
  coop::model::event ev;
  coop::model::id_generator ids;
  coop::model::encoder enc;   // reused by coop_event_encode
  std::string json;           // reused by coop_event_to_json
  std::string text;           // reused by coop_event_get_text
  // Strings taken out of fields by coop_event_clear, by field position, so a
  // refill reuses their capacity instead of allocating.
  std::vector<std::string> spare;
};

struct coop_filter {
  coop::model::filter f;
};

namespace coop::model::capi {

/// Records `message` as this thread's last error and returns `status`.
int fail(int status, std::string message);
/// Records an error result's message and returns its status.
int fail(const error& e);

/// Runs `body` (returning int), turning any escaping exception into a status:
/// nothing thrown inside the library may cross the C boundary.
template <class F>
int guarded(F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(COOP_ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    return fail(COOP_EINVAL, e.what());
  } catch (...) {
    return fail(COOP_EINVAL, "unknown failure");
  }
}

}  // namespace coop::model::capi

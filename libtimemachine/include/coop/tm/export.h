// COOP_TM_EXPORT marks the symbols libtimemachine exports. Everything else is
// hidden (the library is built with -fvisibility=hidden). When the library is
// built, CMake defines COOP_TM_BUILDING; a static build defines COOP_TM_STATIC,
// for which the macro expands to nothing.
#pragma once

#if defined(COOP_TM_STATIC)
#define COOP_TM_EXPORT
#elif defined(_WIN32)
#if defined(COOP_TM_BUILDING)
#define COOP_TM_EXPORT __declspec(dllexport)
#else
#define COOP_TM_EXPORT __declspec(dllimport)
#endif
#else
#define COOP_TM_EXPORT __attribute__((visibility("default")))
#endif

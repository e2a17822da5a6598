// COOP_MODEL_EXPORT marks the symbols libevent-model exports. Everything else
// is hidden (the library is built with -fvisibility=hidden). When the library
// is built, CMake defines COOP_MODEL_BUILDING; a static build defines
// COOP_MODEL_STATIC, for which the macro expands to nothing.
#pragma once

#if defined(COOP_MODEL_STATIC)
#define COOP_MODEL_EXPORT
#elif defined(_WIN32)
#if defined(COOP_MODEL_BUILDING)
#define COOP_MODEL_EXPORT __declspec(dllexport)
#else
#define COOP_MODEL_EXPORT __declspec(dllimport)
#endif
#else
#define COOP_MODEL_EXPORT __attribute__((visibility("default")))
#endif

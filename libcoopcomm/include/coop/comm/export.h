// COOP_COMM_EXPORT marks the symbols libcoopcomm exports; everything else is
// hidden (-fvisibility=hidden). CMake defines COOP_COMM_BUILDING while the
// library is built; a static build defines COOP_COMM_STATIC, for which the
// macro expands to nothing.
#pragma once

#if defined(COOP_COMM_STATIC)
#define COOP_COMM_EXPORT
#else
#define COOP_COMM_EXPORT __attribute__((visibility("default")))
#endif

/* The C API of libevent-model, for instrumenting C programs (an Apache module,
 * a PAM module, a syslog daemon): create events of the standard catalogue or
 * of schemas learned at run time, fill them in, encode them (Cap'n Proto
 * binary or JSON), decode them, and evaluate filters.
 *
 * Conventions: opaque handles; every fallible function returns an int status
 * (COOP_OK = 0, or a positive COOP_E* code); results are returned through out
 * parameters; no exception and no C++ type crosses this interface.
 * coop_strerror() names a code and coop_last_error() gives the message of the
 * last failure on the calling thread (thread-local, like errno).
 *
 * Thread-safety: a registry may be shared by many threads once filled; an
 * event or encoder handle must be used by one thread at a time; a compiled
 * filter may be evaluated from many threads at once.
 *
 * Memory: a pointer returned through an out parameter that views data owned
 * by a handle (encoded bytes, strings) stays valid until the next call that
 * modifies or encodes that handle, or until the handle is freed, whichever
 * comes first. Building and encoding events through one handle reuses its
 * memory: once warm, no allocation per field or per event. */
#ifndef COOP_MODEL_H
#define COOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "coop/model/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. The values equal coop::model::errc where both exist. */
enum coop_status {
  COOP_OK = 0,
  COOP_EINVAL = 1,        /**< malformed input or wrong type */
  COOP_ENOTFOUND = 2,     /**< no such event type or field */
  COOP_ECORRUPT = 3,      /**< damaged bytes */
  COOP_EIO = 4,           /**< I/O error */
  COOP_EOVERLOAD = 5,     /**< a limit was exceeded */
  COOP_EUNSUPPORTED = 6,  /**< understood but not supported */
  COOP_EINCOMPATIBLE = 7, /**< schemas cannot be reconciled */
  COOP_ENOMEM = 100,      /**< out of memory */
  COOP_EUNSET = 101       /**< the field is unset (getters) */
};

/** Transports of ports (coop::model::transport). */
enum coop_transport { COOP_UNKNOWN = 0, COOP_TCP = 1, COOP_UDP = 2, COOP_ICMP = 3 };

/** A set of known event types. */
typedef struct coop_registry coop_registry;
/** One event, with its own reusable encoding buffers. */
typedef struct coop_event coop_event;
/** A compiled filter expression. */
typedef struct coop_filter coop_filter;

/** A short, static description of a status code. Never NULL. */
COOP_MODEL_EXPORT const char* coop_strerror(int status);
/** The message of the last failed call on this thread ("" if none). The
 *  pointer is valid until the next failing call on this thread. */
COOP_MODEL_EXPORT const char* coop_last_error(void);

/** Creates a registry; with_catalogue != 0 registers the standard event types. */
COOP_MODEL_EXPORT int coop_registry_new(int with_catalogue, coop_registry** out);
/** Frees a registry. Events created from it keep their schemas alive. NULL is ignored. */
COOP_MODEL_EXPORT void coop_registry_free(coop_registry* reg);
/** Adds a schema given as JSON (see docs/format-json.md). */
COOP_MODEL_EXPORT int coop_registry_add_schema_json(coop_registry* reg, const char* json,
                                                    size_t len);

/** Creates an event of the newest known version of `type_name`, fields at their defaults. */
COOP_MODEL_EXPORT int coop_event_new(const coop_registry* reg, const char* type_name,
                                     coop_event** out);
/** Frees an event. NULL is ignored. */
COOP_MODEL_EXPORT void coop_event_free(coop_event* ev);
/** Resets every field to its default, clears ts and uid and gives the event a
 *  fresh id; the origin stays. String and bytes buffers are kept for reuse,
 *  so a refill through the setters does not allocate once warm. */
COOP_MODEL_EXPORT void coop_event_clear(coop_event* ev);
/** The event's type name; valid while the event lives. */
COOP_MODEL_EXPORT const char* coop_event_type(const coop_event* ev);
/** Validates the event against its schema (required fields set, types). */
COOP_MODEL_EXPORT int coop_event_validate(const coop_event* ev);

/** Envelope: timestamp (ns since the epoch), origin, connection uid. */
COOP_MODEL_EXPORT void coop_event_set_ts(coop_event* ev, int64_t ns);
COOP_MODEL_EXPORT int64_t coop_event_ts(const coop_event* ev);
COOP_MODEL_EXPORT int coop_event_set_origin(coop_event* ev, const char* site, const char* sensor);
COOP_MODEL_EXPORT int coop_event_set_uid(coop_event* ev, const char* uid);
/** Gives the event a fresh unique id. */
COOP_MODEL_EXPORT void coop_event_new_id(coop_event* ev);

/** Field setters by name. Each checks that the field exists (COOP_ENOTFOUND)
 *  and has the matching type (COOP_EINVAL). Strings are copied. */
COOP_MODEL_EXPORT int coop_event_set_bool(coop_event* ev, const char* field, int v);
COOP_MODEL_EXPORT int coop_event_set_count(coop_event* ev, const char* field, uint64_t v);
COOP_MODEL_EXPORT int coop_event_set_int(coop_event* ev, const char* field, int64_t v);
COOP_MODEL_EXPORT int coop_event_set_real(coop_event* ev, const char* field, double v);
COOP_MODEL_EXPORT int coop_event_set_string(coop_event* ev, const char* field, const char* s,
                                            size_t len);
COOP_MODEL_EXPORT int coop_event_set_bytes(coop_event* ev, const char* field, const void* data,
                                           size_t len);
/** IPv4 address from a host-order integer (0x0a000001 = 10.0.0.1). */
COOP_MODEL_EXPORT int coop_event_set_addr_v4(coop_event* ev, const char* field, uint32_t host_order);
/** IPv6 address from 16 bytes in network order. */
COOP_MODEL_EXPORT int coop_event_set_addr_v6(coop_event* ev, const char* field,
                                             const uint8_t bytes[16]);
COOP_MODEL_EXPORT int coop_event_set_port(coop_event* ev, const char* field, uint16_t number,
                                          int transport);
COOP_MODEL_EXPORT int coop_event_set_time(coop_event* ev, const char* field, int64_t ns);
COOP_MODEL_EXPORT int coop_event_set_interval(coop_event* ev, const char* field, int64_t ns);
COOP_MODEL_EXPORT int coop_event_set_enum(coop_event* ev, const char* field, const char* label);
/** Any type, from Zeek notation ("10.0.0.0/8", "{22/tcp, 80/tcp}", "T", "-"). */
COOP_MODEL_EXPORT int coop_event_set_text(coop_event* ev, const char* field, const char* text);
/** Unsets an optional field; COOP_EINVAL for a required one. */
COOP_MODEL_EXPORT int coop_event_unset(coop_event* ev, const char* field);

/** Field getters by name. COOP_EUNSET when the field is unset, COOP_EINVAL on type mismatch. */
COOP_MODEL_EXPORT int coop_event_get_bool(const coop_event* ev, const char* field, int* out);
COOP_MODEL_EXPORT int coop_event_get_count(const coop_event* ev, const char* field, uint64_t* out);
COOP_MODEL_EXPORT int coop_event_get_int(const coop_event* ev, const char* field, int64_t* out);
COOP_MODEL_EXPORT int coop_event_get_real(const coop_event* ev, const char* field, double* out);
/** A view of a string, bytes or enum label (not NUL-terminated). */
COOP_MODEL_EXPORT int coop_event_get_string(const coop_event* ev, const char* field,
                                            const char** data, size_t* len);
COOP_MODEL_EXPORT int coop_event_get_port(const coop_event* ev, const char* field,
                                          uint16_t* number, int* transport);
/** An address as 16 bytes in network order (IPv4-mapped for IPv4); is_v4 says which. */
COOP_MODEL_EXPORT int coop_event_get_addr(const coop_event* ev, const char* field,
                                          uint8_t bytes[16], int* is_v4);
/** A time field, in ns since the epoch. */
COOP_MODEL_EXPORT int coop_event_get_time(const coop_event* ev, const char* field, int64_t* ns);
/** An interval field, in ns. */
COOP_MODEL_EXPORT int coop_event_get_interval(const coop_event* ev, const char* field,
                                              int64_t* ns);
/** Envelope getters: NUL-terminated views valid until the envelope changes. */
COOP_MODEL_EXPORT const char* coop_event_uid(const coop_event* ev);
COOP_MODEL_EXPORT const char* coop_event_site(const coop_event* ev);
COOP_MODEL_EXPORT const char* coop_event_sensor(const coop_event* ev);
/** Any field printed in Zeek notation into a NUL-terminated view owned by the event. */
COOP_MODEL_EXPORT int coop_event_get_text(coop_event* ev, const char* field, const char** text);

/** Encodes as Cap'n Proto binary into the event's reusable buffer. */
COOP_MODEL_EXPORT int coop_event_encode(coop_event* ev, const uint8_t** data, size_t* len);
/** Encodes as one line of JSON (no newline) into the event's reusable buffer. */
COOP_MODEL_EXPORT int coop_event_to_json(coop_event* ev, const char** data, size_t* len);
/** Decodes binary bytes against the registry into a new event. */
COOP_MODEL_EXPORT int coop_event_decode(const coop_registry* reg, const uint8_t* data, size_t len,
                                        coop_event** out);
/** Decodes one JSON object against the registry into a new event. */
COOP_MODEL_EXPORT int coop_event_from_json(const coop_registry* reg, const char* json, size_t len,
                                           coop_event** out);

/** Compiles a filter expression (docs/filter.md) against the registry. */
COOP_MODEL_EXPORT int coop_filter_compile(const coop_registry* reg, const char* expr,
                                          coop_filter** out);
/** Frees a filter. NULL is ignored. */
COOP_MODEL_EXPORT void coop_filter_free(coop_filter* f);
/** Evaluates: 1 if the event matches, 0 if not. `now_ns` anchors relative times. */
COOP_MODEL_EXPORT int coop_filter_matches(const coop_filter* f, const coop_event* ev,
                                          int64_t now_ns);

#ifdef __cplusplus
}
#endif

#endif /* COOP_MODEL_H */

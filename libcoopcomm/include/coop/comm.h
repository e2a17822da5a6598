/* The C API of libcoopcomm: the basics an instrumented C program (an Apache
 * module, a PAM module, a syslog daemon) needs to hand events to a local
 * collector and to listen for messages: start a site from its configuration
 * file, publish, send to a named site, subscribe, and poll for what arrives.
 * Publishing never blocks the host program: when the site cannot keep up, the
 * call fails with COOP_COMM_OVERLOADED at once and the message is not sent.
 * Messages for subscriptions wait in a bounded queue inside the node until
 * polled; when it is full the newest are dropped and counted
 * (coop_comm_dropped). No C++ type or exception crosses this header.
 *
 * Threading: one node may be used from any number of threads at once
 * (publish, send, subscribe, dropped, last_error), except that
 * coop_comm_poll and coop_comm_message_release must be called from one
 * thread at a time (the polling thread), and coop_comm_stop must be the last
 * call on a node, made when no other thread is inside a call on it.
 */
#ifndef COOP_COMM_H
#define COOP_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "coop/comm/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. The same numbers as coop::comm::errc; functions returning
 * an int return one of these (coop_comm_poll: its negation). */
enum coop_comm_status {
  COOP_COMM_OK = 0,                /**< Success. */
  COOP_COMM_INVALID_ARGUMENT = 1,  /**< A bad argument (NULL, malformed topic, bad config line). */
  COOP_COMM_NOT_FOUND = 2,         /**< A named thing (file, site) does not exist. */
  COOP_COMM_IO = 3,                /**< The operating system refused a read, write or listen. */
  COOP_COMM_PROTOCOL = 4,          /**< A peer broke the protocol. */
  COOP_COMM_REFUSED = 5,           /**< Access rules, a pin or an operator said no. */
  COOP_COMM_TIMEOUT = 6,           /**< A deadline passed. */
  COOP_COMM_OVERLOADED = 7,        /**< A bounded queue is full (or memory ran out). */
  COOP_COMM_TLS = 8,               /**< The TLS layer failed. */
  COOP_COMM_SIGNATURE = 9,         /**< An envelope signature, expiry or sequence was refused. */
  COOP_COMM_CLOSED = 10,           /**< The node has stopped. */
  COOP_COMM_UNSUPPORTED = 11       /**< No common protocol version, or a missing feature. */
};

/** A running site (opaque). Made by coop_comm_start, freed by coop_comm_stop. */
typedef struct coop_comm_node coop_comm_node;

/** A received message, filled by coop_comm_poll. Every pointer points into
 * memory owned by the node and stays valid until the next coop_comm_poll or
 * coop_comm_message_release on the same node (or coop_comm_stop). The
 * strings are NUL-terminated; the payload is `len` bytes followed by a NUL
 * byte that is not part of it (so text payloads may be used as C strings). */
typedef struct coop_comm_message {
  const char* topic;         /**< Its topic ("/coop/hotlist/ip"). */
  const char* origin;        /**< The site that signed it. */
  const char* content_type;  /**< Its content type; "" when none was given. */
  const void* payload;       /**< The payload bytes. */
  size_t len;                /**< Payload length in bytes. */
  int direct;                /**< 1: point-to-point (coop_comm_send); 0: published. */
} coop_comm_message;

/** Default capacity of a node's poll queue, in messages. */
#define COOP_COMM_POLL_QUEUE_MESSAGES 4096
/** Default capacity of a node's poll queue, in payload and topic bytes. */
#define COOP_COMM_POLL_QUEUE_BYTES (16u * 1024u * 1024u)

/** Starts a site from the configuration file `config_path` (the format of
 * docs/protocol.md, "Configuration"): loads its key and certificates,
 * listens and dials its peers in a background thread. Returns the node, or
 * NULL on failure with a message naming the file and line (or the address)
 * at fault written to `err` (NUL-terminated, truncated to `errlen` bytes;
 * `err` may be NULL when `errlen` is 0). Thread-safe. */
COOP_COMM_EXPORT coop_comm_node* coop_comm_start(const char* config_path, char* err,
                                                 size_t errlen);

/** Publishes `len` bytes of `payload` on `topic` with `content_type` (NULL:
 * none) to every peer subscribed to it and allowed to receive it. Never
 * blocks: the message is queued and sent by the node's thread. Returns
 * COOP_COMM_OK; COOP_COMM_INVALID_ARGUMENT for a NULL node or topic, a
 * malformed topic, or a NULL payload with a non-zero len;
 * COOP_COMM_OVERLOADED when the node's outgoing queue is full (the message is
 * dropped); COOP_COMM_CLOSED after stop. Delivery is at most once. The
 * arguments are copied before the call returns. Thread-safe. */
COOP_COMM_EXPORT int coop_comm_publish(coop_comm_node* node, const char* topic,
                                       const char* content_type, const void* payload,
                                       size_t len);

/** Sends a point-to-point message to the site named `site` (a neighbour, or
 * a site reached through a relay). Same arguments, errors and guarantees as
 * coop_comm_publish; COOP_COMM_INVALID_ARGUMENT also when `site` is NULL or
 * this site. Thread-safe. */
COOP_COMM_EXPORT int coop_comm_send(coop_comm_node* node, const char* site, const char* topic,
                                    const char* content_type, const void* payload, size_t len);

/** Subscribes to the topic prefix `prefix` (segment-aware: "/a/b" covers
 * "/a/b/c", not "/a/bc"); the peers learn it, and the publications and
 * point-to-point messages they send under it (as far as this site's access
 * rules allow) wait in the poll queue. Subscribing twice to one prefix
 * queues each message once per subscription. Returns COOP_COMM_OK,
 * COOP_COMM_INVALID_ARGUMENT for a malformed prefix, COOP_COMM_CLOSED after
 * stop. Thread-safe. */
COOP_COMM_EXPORT int coop_comm_subscribe(coop_comm_node* node, const char* prefix);

/** Takes the oldest message from the poll queue into `*out`, waiting up to
 * `timeout_ms` milliseconds for one (0: do not wait; negative: wait until
 * one arrives). Returns 1 with a message in `*out`, 0 when none arrived in
 * time, or a negated status: -COOP_COMM_INVALID_ARGUMENT for a NULL node or
 * out. Releases the message of the previous call. Call from one thread at a
 * time. */
COOP_COMM_EXPORT int coop_comm_poll(coop_comm_node* node, coop_comm_message* out,
                                    int timeout_ms);

/** Releases the message last returned by coop_comm_poll early (its memory is
 * freed and `*msg` cleared); otherwise the next poll releases it. `msg` may
 * be NULL. Call from the polling thread. */
COOP_COMM_EXPORT void coop_comm_message_release(coop_comm_node* node, coop_comm_message* msg);

/** Sets the poll queue's capacity: at most `max_messages` messages and
 * `max_bytes` bytes of topics, origins, content types and payloads
 * (defaults COOP_COMM_POLL_QUEUE_MESSAGES and COOP_COMM_POLL_QUEUE_BYTES).
 * Messages already queued stay. Returns COOP_COMM_INVALID_ARGUMENT when
 * either is 0. Thread-safe. */
COOP_COMM_EXPORT int coop_comm_set_poll_limit(coop_comm_node* node, size_t max_messages,
                                              size_t max_bytes);

/** How many received messages were dropped because the poll queue was full,
 * over the node's life (0 for a NULL node). Thread-safe. */
COOP_COMM_EXPORT uint64_t coop_comm_dropped(const coop_comm_node* node);

/** Waits until everything published so far has been written to the peers
 * (or dropped), up to `timeout_ms` milliseconds. Returns COOP_COMM_OK or
 * COOP_COMM_TIMEOUT. Blocks: do not call it where the host must not wait.
 * Thread-safe. */
COOP_COMM_EXPORT int coop_comm_flush(coop_comm_node* node, int timeout_ms);

/** The message of the last call on `node` that failed in the calling
 * thread ("" if none): what was wrong and where. The string belongs to the
 * node and stays valid until the calling thread's next failing call on it,
 * or coop_comm_stop. For a NULL node: a message saying so. */
COOP_COMM_EXPORT const char* coop_comm_last_error(const coop_comm_node* node);

/** A short, static name for a status code ("overloaded", ...), also for the
 * negated codes coop_comm_poll returns; "unknown" for anything else. */
COOP_COMM_EXPORT const char* coop_comm_strerror(int status);

/** Stops the node: flushes for up to one second, says goodbye to the peers,
 * joins its thread and frees it with every queued message. `node` may be
 * NULL. It must be the last call on the node. */
COOP_COMM_EXPORT void coop_comm_stop(coop_comm_node* node);

#ifdef __cplusplus
}
#endif

#endif /* COOP_COMM_H */

/* mod_coop: an Apache httpd 2.4 module that emits one Coop http_request and
 * one http_reply event per request, through libevent-model's C API
 * (coop/model.h), from the log_transaction hook, after the response has
 * been sent.
 *
 * It never blocks a request on a consumer: events go to a file opened in
 * append mode (one writev per request, atomic for appends) and/or to a unix
 * datagram socket written with MSG_DONTWAIT; a datagram the receiver cannot
 * take at once is dropped and counted, and the count is logged when a
 * child exits. Directives (server config):
 *
 *   CoopEventLog    /path/events.jsonl   JSON lines, opened as root at startup
 *   CoopEventSocket /path/coop.sock      one event per datagram
 *   CoopEventFormat json|binary          encoding of socket datagrams (json)
 *   CoopSite  name                       origin site stamped on events
 *   CoopSensor name                      origin sensor (default: the server name)
 *
 * Thread-safety: the registry is filled once at startup and then only
 * read; each request builds its events in handles of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* httpd.h first: the other Apache headers rely on its types. */
#include "httpd.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "coop/model.h"

module AP_MODULE_DECLARE_DATA coop_module;

typedef struct {
  const char* log_path;
  const char* socket_path;
  int binary;
  const char* site;
  const char* sensor;
  int log_fd;
  int sock_fd;
  struct sockaddr_un sock_addr;
  coop_registry* registry;
} coop_config;

/* Events that could not be written at once (per process). */
static volatile apr_uint32_t coop_dropped = 0;
/* Per-process request counter for connection uids. */
static volatile apr_uint32_t coop_serial = 0;

static void* coop_create_server_config(apr_pool_t* p, server_rec* s) {
  coop_config* c = apr_pcalloc(p, sizeof *c);
  (void)s;
  c->log_fd = -1;
  c->sock_fd = -1;
  return c;
}

static coop_config* config_of(server_rec* s) {
  return ap_get_module_config(s->module_config, &coop_module);
}

static const char* set_log(cmd_parms* cmd, void* dummy, const char* arg) {
  (void)dummy;
  config_of(cmd->server)->log_path = ap_server_root_relative(cmd->pool, arg);
  return NULL;
}

static const char* set_socket(cmd_parms* cmd, void* dummy, const char* arg) {
  coop_config* c = config_of(cmd->server);
  (void)dummy;
  c->socket_path = ap_server_root_relative(cmd->pool, arg);
  if (strlen(c->socket_path) >= sizeof c->sock_addr.sun_path) {
    return "CoopEventSocket: path too long for a unix socket";
  }
  return NULL;
}

static const char* set_format(cmd_parms* cmd, void* dummy, const char* arg) {
  (void)dummy;
  if (strcmp(arg, "json") == 0) {
    config_of(cmd->server)->binary = 0;
  } else if (strcmp(arg, "binary") == 0) {
    config_of(cmd->server)->binary = 1;
  } else {
    return "CoopEventFormat is json or binary";
  }
  return NULL;
}

static const char* set_site(cmd_parms* cmd, void* dummy, const char* arg) {
  (void)dummy;
  config_of(cmd->server)->site = arg;
  return NULL;
}

static const char* set_sensor(cmd_parms* cmd, void* dummy, const char* arg) {
  (void)dummy;
  config_of(cmd->server)->sensor = arg;
  return NULL;
}

static apr_status_t coop_cleanup(void* data) {
  coop_config* c = data;
  if (c->log_fd >= 0) close(c->log_fd);
  if (c->sock_fd >= 0) close(c->sock_fd);
  c->log_fd = -1;
  c->sock_fd = -1;
  coop_registry_free(c->registry);
  c->registry = NULL;
  return APR_SUCCESS;
}

/* Opens the outputs while still root, before children change user. */
static int coop_post_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s) {
  coop_config* c = config_of(s);
  (void)plog;
  (void)ptemp;
  if (c->log_path == NULL && c->socket_path == NULL) return OK;
  if (coop_registry_new(1, &c->registry) != COOP_OK) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "mod_coop: cannot create the event registry: %s",
                 coop_last_error());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  if (c->log_path != NULL) {
    c->log_fd = open(c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
    if (c->log_fd < 0) {
      ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "mod_coop: cannot open CoopEventLog %s",
                   c->log_path);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
  }
  if (c->socket_path != NULL) {
    c->sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->sock_fd < 0) {
      ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "mod_coop: cannot create a unix socket");
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    memset(&c->sock_addr, 0, sizeof c->sock_addr);
    c->sock_addr.sun_family = AF_UNIX;
    strcpy(c->sock_addr.sun_path, c->socket_path);
  }
  apr_pool_cleanup_register(pconf, c, coop_cleanup, apr_pool_cleanup_null);
  return OK;
}

static apr_status_t coop_child_exit(void* data) {
  server_rec* s = data;
  apr_uint32_t dropped = apr_atomic_read32(&coop_dropped);
  if (dropped > 0) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_coop: %u events dropped", dropped);
  }
  return APR_SUCCESS;
}

static void coop_child_init(apr_pool_t* p, server_rec* s) {
  apr_pool_cleanup_register(p, s, coop_child_exit, apr_pool_cleanup_null);
}

static void set_header(coop_event* ev, request_rec* r, const char* field, const char* header) {
  const char* v = apr_table_get(r->headers_in, header);
  if (v != NULL) coop_event_set_string(ev, field, v, strlen(v));
}

static void set_str(coop_event* ev, const char* field, const char* v) {
  if (v != NULL) coop_event_set_string(ev, field, v, strlen(v));
}

/* The envelope and addresses both events share. */
static void fill_common(coop_event* ev, request_rec* r, coop_config* c, const char* uid,
                        const char* version) {
  conn_rec* conn = r->connection;
  coop_event_set_ts(ev, (int64_t)r->request_time * 1000);
  coop_event_set_origin(ev, c->site != NULL ? c->site : "",
                        c->sensor != NULL ? c->sensor : r->server->server_hostname);
  coop_event_set_uid(ev, uid);
  if (coop_event_set_text(ev, "orig_h", r->useragent_ip) != COOP_OK) {
    coop_event_set_text(ev, "orig_h", conn->client_ip);
  }
  if (r->useragent_addr != NULL) {
    coop_event_set_port(ev, "orig_p", r->useragent_addr->port, COOP_TCP);
  }
  if (conn->local_ip != NULL) coop_event_set_text(ev, "resp_h", conn->local_ip);
  if (conn->local_addr != NULL) coop_event_set_port(ev, "resp_p", conn->local_addr->port, COOP_TCP);
  /* ap_set_keepalive has already counted this request when the
   * connection stays open. */
  coop_event_set_count(ev, "trans_depth",
                       (uint64_t)conn->keepalives + (conn->keepalive == AP_CONN_KEEPALIVE ? 0 : 1));
  if (version != NULL) set_str(ev, "version", version);
}

static void fill_request(coop_event* ev, request_rec* r) {
  const char* len = apr_table_get(r->headers_in, "Content-Length");
  set_str(ev, "method", r->method);
  set_header(ev, r, "host", "Host");
  set_str(ev, "uri", r->unparsed_uri);
  set_header(ev, r, "referrer", "Referer");
  set_header(ev, r, "user_agent", "User-Agent");
  set_header(ev, r, "origin", "Origin");
  set_str(ev, "username", r->user);
  if (r->read_length > 0) {
    coop_event_set_count(ev, "request_body_len", (uint64_t)r->read_length);
  } else if (len != NULL) {
    char* end = NULL;
    unsigned long long n = strtoull(len, &end, 10);
    if (end != len && *end == '\0') coop_event_set_count(ev, "request_body_len", n);
  }
}

static void fill_reply(coop_event* ev, request_rec* r) {
  const char* line = r->status_line != NULL ? r->status_line : ap_get_status_line(r->status);
  coop_event_set_count(ev, "status_code", (uint64_t)r->status);
  /* "404 Not Found" -> "Not Found" */
  if (line != NULL && strlen(line) > 4 && line[3] == ' ') set_str(ev, "status_msg", line + 4);
  coop_event_set_count(ev, "response_body_len", (uint64_t)r->bytes_sent);
}

static void send_event(coop_config* c, coop_event* ev, struct iovec* lines, int* nlines) {
  const char* json = NULL;
  size_t len = 0;
  if (c->sock_fd >= 0) {
    const uint8_t* bin = NULL;
    int rc = c->binary ? coop_event_encode(ev, &bin, &len) : coop_event_to_json(ev, &json, &len);
    const void* data = c->binary ? (const void*)bin : (const void*)json;
    if (rc != COOP_OK ||
        sendto(c->sock_fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr*)&c->sock_addr,
               sizeof c->sock_addr) < 0) {
      apr_atomic_inc32(&coop_dropped);
    }
  }
  if (c->log_fd >= 0) {
    if (coop_event_to_json(ev, &json, &len) != COOP_OK) {
      apr_atomic_inc32(&coop_dropped);
      return;
    }
    /* The JSON view lives until the next encode of this handle: each event
     * has its own handle, so both lines stay valid until the writev. */
    lines[*nlines].iov_base = (void*)json;
    lines[*nlines].iov_len = len;
    lines[*nlines + 1].iov_base = (void*)"\n";
    lines[*nlines + 1].iov_len = 1;
    *nlines += 2;
  }
}

static int coop_log_transaction(request_rec* r) {
  coop_config* c = config_of(r->server);
  coop_event* req = NULL;
  coop_event* rep = NULL;
  struct iovec lines[4];
  int nlines = 0;
  const char* version = NULL;
  const char* uid;
  if (c->registry == NULL || r->main != NULL) return DECLINED;
  if (r->protocol != NULL && strncmp(r->protocol, "HTTP/", 5) == 0) version = r->protocol + 5;
  uid = apr_psprintf(r->pool, "A%lx%x", (unsigned long)getpid(), apr_atomic_inc32(&coop_serial));
  if (coop_event_new(c->registry, "http_request", &req) != COOP_OK ||
      coop_event_new(c->registry, "http_reply", &rep) != COOP_OK) {
    apr_atomic_inc32(&coop_dropped);
    coop_event_free(req);
    return DECLINED;
  }
  fill_common(req, r, c, uid, version);
  fill_request(req, r);
  fill_common(rep, r, c, uid, version);
  fill_reply(rep, r);
  send_event(c, req, lines, &nlines);
  send_event(c, rep, lines, &nlines);
  if (nlines > 0) {
    ssize_t want = 0;
    int i;
    for (i = 0; i < nlines; ++i) want += (ssize_t)lines[i].iov_len;
    if (writev(c->log_fd, lines, nlines) != want) apr_atomic_inc32(&coop_dropped);
  }
  coop_event_free(req);
  coop_event_free(rep);
  return DECLINED;
}

static const command_rec coop_commands[] = {
    AP_INIT_TAKE1("CoopEventLog", set_log, NULL, RSRC_CONF, "file receiving events as JSON lines"),
    AP_INIT_TAKE1("CoopEventSocket", set_socket, NULL, RSRC_CONF,
                  "unix datagram socket receiving one event per datagram"),
    AP_INIT_TAKE1("CoopEventFormat", set_format, NULL, RSRC_CONF,
                  "json or binary: encoding of socket datagrams"),
    AP_INIT_TAKE1("CoopSite", set_site, NULL, RSRC_CONF, "origin site of the events"),
    AP_INIT_TAKE1("CoopSensor", set_sensor, NULL, RSRC_CONF, "origin sensor of the events"),
    {NULL, {NULL}, NULL, 0, 0, NULL}};

static void coop_register_hooks(apr_pool_t* p) {
  (void)p;
  ap_hook_post_config(coop_post_config, NULL, NULL, APR_HOOK_MIDDLE);
  ap_hook_child_init(coop_child_init, NULL, NULL, APR_HOOK_MIDDLE);
  ap_hook_log_transaction(coop_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(coop) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, coop_create_server_config, NULL, coop_commands,
    coop_register_hooks, 0};

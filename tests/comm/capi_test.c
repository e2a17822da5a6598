/* The C API compiled and used as C99 (ctest comm/capi-c): the header is
 * valid C under -Wall -Wextra -Wpedantic, the library exports its symbols
 * to a C program, status codes have names, and start-up failures come back
 * as NULL with a message naming the file and line at fault. Sites talking
 * over TLS through this API are tested in capi_test.cc. */
#define _POSIX_C_SOURCE 200809L

#include "coop/comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    ++checks;                                                          \
    if (!(cond)) {                                                     \
      ++failures;                                                      \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
              #cond);                                                  \
    }                                                                  \
  } while (0)

/* Writes `text` to a new temporary file; its path goes to `path`. */
static int write_temp(char* path, size_t size, const char* text) {
  int fd;
  size_t len = strlen(text);
  snprintf(path, size, "/tmp/coop-capi-c-XXXXXX");
  fd = mkstemp(path);
  if (fd < 0) return 0;
  if (write(fd, text, len) != (ssize_t)len) {
    close(fd);
    return 0;
  }
  close(fd);
  return 1;
}

static void status_names(void) {
  int code;
  for (code = COOP_COMM_OK; code <= COOP_COMM_UNSUPPORTED; ++code) {
    CHECK(strcmp(coop_comm_strerror(code), "unknown") != 0);
    CHECK(strcmp(coop_comm_strerror(-code), coop_comm_strerror(code)) == 0);
  }
  CHECK(strcmp(coop_comm_strerror(COOP_COMM_TIMEOUT), "timeout") == 0);
  CHECK(strcmp(coop_comm_strerror(COOP_COMM_UNSUPPORTED + 1), "unknown") == 0);
}

static void start_failures(void) {
  char err[512];
  char path[64];
  coop_comm_node* node;

  node = coop_comm_start(NULL, err, sizeof err);
  CHECK(node == NULL);
  CHECK(strstr(err, "NULL") != NULL);

  node = coop_comm_start("/nonexistent/coop-capi.conf", err, sizeof err);
  CHECK(node == NULL);
  CHECK(strstr(err, "/nonexistent/coop-capi.conf") != NULL);

  /* The fourth line is not a directive: the message says file:4. */
  if (write_temp(path, sizeof path, "site c\nkey c.key\ncert c.crt\nfrobnicate now\n")) {
    char where[80];
    node = coop_comm_start(path, err, sizeof err);
    CHECK(node == NULL);
    snprintf(where, sizeof where, "%s:4:", path);
    CHECK(strstr(err, where) != NULL);
    CHECK(strstr(err, "frobnicate") != NULL);
    unlink(path);
  } else {
    CHECK(!"cannot write a temporary file");
  }

  /* A well-formed configuration whose key file does not exist. */
  if (write_temp(path, sizeof path,
                 "site c\nkey /nonexistent/c.key\ncert /nonexistent/c.crt\n")) {
    node = coop_comm_start(path, err, sizeof err);
    CHECK(node == NULL);
    CHECK(strstr(err, "/nonexistent/c.key") != NULL);
    unlink(path);
  }
}

static void null_node(void) {
  coop_comm_message m;
  memset(&m, 0, sizeof m);
  CHECK(coop_comm_publish(NULL, "/coop", "text/plain", "x", 1) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_send(NULL, "b", "/coop", NULL, NULL, 0) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_subscribe(NULL, "/coop") == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_poll(NULL, &m, 0) == -COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_set_poll_limit(NULL, COOP_COMM_POLL_QUEUE_MESSAGES,
                                 COOP_COMM_POLL_QUEUE_BYTES) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_flush(NULL, 0) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_dropped(NULL) == 0);
  CHECK(strstr(coop_comm_last_error(NULL), "NULL") != NULL);
  coop_comm_message_release(NULL, &m);
  coop_comm_stop(NULL);
}

int main(void) {
  status_names();
  start_failures();
  null_node();
  if (failures != 0) {
    fprintf(stderr, "capi_test.c: %d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("capi_test.c: %d checks passed\n", checks);
  return 0;
}

/* Exercises the C API (coop/model.h) from a program compiled as C99: an
 * instrumented C program fills a catalogue event, encodes it in both
 * formats, decodes it back, filters it, and handles every error path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coop/model.h"

static int failures = 0;
static int checks = 0;

#define EXPECT(cond)                                                        \
  do {                                                                      \
    ++checks;                                                               \
    if (!(cond)) {                                                          \
      ++failures;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n",         \
              __FILE__, __LINE__, #cond, coop_last_error());                \
    }                                                                       \
  } while (0)

static void fill(coop_event* ev) {
  EXPECT(coop_event_set_origin(ev, "site-a.example", "c-sensor") == COOP_OK);
  EXPECT(coop_event_set_uid(ev, "CHhAvVGS1DHFjwGM9") == COOP_OK);
  coop_event_set_ts(ev, 1258531221486539000LL);
  EXPECT(coop_event_set_addr_v4(ev, "orig_h", 0x0a000001u) == COOP_OK);
  EXPECT(coop_event_set_port(ev, "orig_p", 49152, COOP_TCP) == COOP_OK);
  EXPECT(coop_event_set_text(ev, "resp_h", "192.168.1.1") == COOP_OK);
  EXPECT(coop_event_set_port(ev, "resp_p", 22, COOP_TCP) == COOP_OK);
  EXPECT(coop_event_set_count(ev, "orig_bytes", 1234) == COOP_OK);
  EXPECT(coop_event_set_interval(ev, "duration", 1500000000LL) == COOP_OK);
  EXPECT(coop_event_set_string(ev, "history", "ShADadFf", 8) == COOP_OK);
}

int main(void) {
  coop_registry* reg = NULL;
  coop_event* ev = NULL;
  coop_event* back = NULL;
  coop_filter* ssh = NULL;
  coop_filter* web = NULL;
  const uint8_t* bin = NULL;
  const char* json = NULL;
  const char* text = NULL;
  size_t len = 0;
  size_t json_len = 0;
  uint64_t count = 0;
  uint16_t number = 0;
  int transport = -1;
  int i;

  EXPECT(coop_registry_new(1, &reg) == COOP_OK);
  EXPECT(coop_event_new(reg, "connection_end", &ev) == COOP_OK);
  EXPECT(strcmp(coop_event_type(ev), "connection_end") == 0);
  fill(ev);
  EXPECT(coop_event_validate(ev) == COOP_OK);

  /* Errors: wrong type, unknown field, bad text, unknown event type. */
  EXPECT(coop_event_set_count(ev, "orig_h", 1) == COOP_EINVAL);
  EXPECT(strstr(coop_last_error(), "orig_h") != NULL);
  EXPECT(coop_event_set_count(ev, "no_such_field", 1) == COOP_ENOTFOUND);
  EXPECT(strstr(coop_last_error(), "no_such_field") != NULL);
  EXPECT(coop_event_set_text(ev, "resp_h", "999.1.1.1") == COOP_EINVAL);
  EXPECT(coop_event_new(reg, "no_such_event", &back) == COOP_ENOTFOUND);
  EXPECT(back == NULL);
  EXPECT(coop_event_set_port(ev, "resp_p", 22, 42) == COOP_EINVAL);
  EXPECT(strcmp(coop_strerror(COOP_ENOTFOUND), "not found") == 0);

  /* Getters. */
  EXPECT(coop_event_get_count(ev, "orig_bytes", &count) == COOP_OK && count == 1234);
  EXPECT(coop_event_get_port(ev, "resp_p", &number, &transport) == COOP_OK);
  EXPECT(number == 22 && transport == COOP_TCP);
  EXPECT(coop_event_get_text(ev, "resp_h", &text) == COOP_OK && strcmp(text, "192.168.1.1") == 0);
  EXPECT(coop_event_get_count(ev, "resp_bytes", &count) == COOP_EUNSET);
  {
    uint8_t raw[16];
    int v4 = 0;
    int64_t ns = 0;
    EXPECT(coop_event_get_addr(ev, "orig_h", raw, &v4) == COOP_OK && v4 == 1);
    EXPECT(raw[12] == 10 && raw[13] == 0 && raw[14] == 0 && raw[15] == 1);
    EXPECT(coop_event_get_interval(ev, "duration", &ns) == COOP_OK && ns == 1500000000LL);
    EXPECT(coop_event_get_time(ev, "duration", &ns) == COOP_EINVAL);
    EXPECT(strcmp(coop_event_uid(ev), "CHhAvVGS1DHFjwGM9") == 0);
    EXPECT(strcmp(coop_event_site(ev), "site-a.example") == 0);
    EXPECT(strcmp(coop_event_sensor(ev), "c-sensor") == 0);
    EXPECT(coop_event_unset(ev, "orig_h") == COOP_EINVAL);
    EXPECT(strstr(coop_last_error(), "required") != NULL);
    EXPECT(coop_event_unset(ev, "orig_bytes") == COOP_OK);
    EXPECT(coop_event_get_count(ev, "orig_bytes", &count) == COOP_EUNSET);
    EXPECT(coop_event_set_count(ev, "orig_bytes", 1234) == COOP_OK);
  }

  /* Binary round trip. */
  EXPECT(coop_event_encode(ev, &bin, &len) == COOP_OK);
  EXPECT(len > 0);
  EXPECT(coop_event_decode(reg, bin, len, &back) == COOP_OK);
  EXPECT(coop_event_get_port(back, "orig_p", &number, &transport) == COOP_OK && number == 49152);
  EXPECT(coop_event_ts(back) == 1258531221486539000LL);
  coop_event_free(back);
  back = NULL;

  /* Corrupt bytes are refused, not crashed on. */
  {
    uint8_t junk[64];
    for (i = 0; i < 64; ++i) junk[i] = (uint8_t)(i * 37 + 11);
    EXPECT(coop_event_decode(reg, junk, sizeof junk, &back) != COOP_OK);
    EXPECT(back == NULL);
    EXPECT(coop_event_decode(reg, bin, len / 2, &back) != COOP_OK);
  }

  /* JSON round trip. */
  EXPECT(coop_event_to_json(ev, &json, &json_len) == COOP_OK);
  EXPECT(json_len > 0 && memchr(json, '\n', json_len) == NULL);
  EXPECT(strstr(json, "\"connection_end\"") != NULL);
  EXPECT(coop_event_from_json(reg, json, json_len, &back) == COOP_OK);
  EXPECT(coop_event_get_text(back, "orig_h", &text) == COOP_OK && strcmp(text, "10.0.0.1") == 0);
  coop_event_free(back);
  back = NULL;
  EXPECT(coop_event_from_json(reg, "{\"type\":", 8, &back) != COOP_OK);

  /* Filters. */
  EXPECT(coop_filter_compile(reg, "resp_p == 22/tcp && orig_h in 10.0.0.0/8", &ssh) == COOP_OK);
  EXPECT(coop_filter_compile(reg, "resp_p == 80/tcp", &web) == COOP_OK);
  EXPECT(coop_filter_matches(ssh, ev, 0) == 1);
  EXPECT(coop_filter_matches(web, ev, 0) == 0);
  {
    coop_filter* bad = NULL;
    EXPECT(coop_filter_compile(reg, "resp_p == ", &bad) == COOP_EINVAL);
    EXPECT(bad == NULL);
    EXPECT(strstr(coop_last_error(), "column") != NULL);
  }

  /* Reuse: clear and refill many times through the same handle. */
  for (i = 0; i < 1000; ++i) {
    coop_event_clear(ev);
    fill(ev);
    coop_event_new_id(ev);
    EXPECT(coop_event_encode(ev, &bin, &len) == COOP_OK);
  }

  coop_filter_free(ssh);
  coop_filter_free(web);
  coop_event_free(ev);
  coop_registry_free(reg);
  coop_event_free(NULL);
  coop_registry_free(NULL);

  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

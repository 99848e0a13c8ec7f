/*
 * libsrtp reference helper for tsrtc's interop tests and benchmark (compiled at run time, never committed
 * as a binary).
 *
 *   srtp-tool <protect|unprotect> <rtp|rtcp> <profile> <hex key||salt>   stdin/stdout: packets framed as
 *       u32 big-endian length + bytes; a packet libsrtp rejects is written with length 0xffffffff.
 *   srtp-tool bench <profile> <payload bytes> <packets>                   one JSON line per operation.
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int set_policy(srtp_policy_t *policy, const char *profile) {
  if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
  } else if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp); /* SRTCP keeps the 80-bit tag */
  } else if (!strcmp(profile, "AEAD_AES_128_GCM")) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
  } else if (!strcmp(profile, "AEAD_AES_256_GCM")) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
  } else {
    return -1;
  }
  return 0;
}

static srtp_t make_session(const char *profile, unsigned char *key, int inbound) {
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  if (set_policy(&policy, profile)) {
    fprintf(stderr, "unknown profile %s\n", profile);
    exit(2);
  }
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  srtp_t session;
  srtp_err_status_t err = srtp_create(&session, &policy);
  if (err) {
    fprintf(stderr, "srtp_create failed: %d\n", err);
    exit(3);
  }
  return session;
}

static int parse_hex(const char *hex, unsigned char *out, size_t max) {
  size_t n = strlen(hex) / 2;
  if (n > max) return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned int b;
    if (sscanf(hex + 2 * i, "%2x", &b) != 1) return -1;
    out[i] = (unsigned char)b;
  }
  return (int)n;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill_rtp(unsigned char *p, int payload, uint16_t seq, uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  memset(p + 4, 0, 4);
  p[8] = ssrc >> 24;
  p[9] = ssrc >> 16;
  p[10] = ssrc >> 8;
  p[11] = ssrc;
  memset(p + 12, 0xab, payload);
}

#define BATCH 1024
#define SLOT 1600

static int bench(const char *profile, int payload, int packets) {
  unsigned char key[64];
  for (int i = 0; i < 64; i++) key[i] = (unsigned char)(i * 7 + 1);
  srtp_t tx = make_session(profile, key, 0);
  srtp_t rx = make_session(profile, key, 1);
  static unsigned char batch[BATCH][SLOT];
  int lens[BATCH];
  double protect_time = 0, unprotect_time = 0;
  int done = 0;
  uint16_t seq = 1;
  while (done < packets) {
    int n = packets - done < BATCH ? packets - done : BATCH;
    for (int i = 0; i < n; i++) fill_rtp(batch[i], payload, seq++, 0x11223344);
    double t0 = now_seconds();
    for (int i = 0; i < n; i++) {
      lens[i] = 12 + payload;
      if (srtp_protect(tx, batch[i], &lens[i])) return 4;
    }
    double t1 = now_seconds();
    for (int i = 0; i < n; i++) {
      if (srtp_unprotect(rx, batch[i], &lens[i])) return 5;
    }
    double t2 = now_seconds();
    protect_time += t1 - t0;
    unprotect_time += t2 - t1;
    done += n;
  }
  printf("{\"op\":\"protect\",\"profile\":\"%s\",\"payload\":%d,\"pps\":%.0f}\n", profile, payload, packets / protect_time);
  printf("{\"op\":\"unprotect\",\"profile\":\"%s\",\"payload\":%d,\"pps\":%.0f}\n", profile, payload, packets / unprotect_time);
  return 0;
}

static int read_exact(unsigned char *buf, size_t n) { return fread(buf, 1, n, stdin) == n ? 0 : -1; }

int main(int argc, char **argv) {
  if (srtp_init()) return 1;
  if (argc == 5 && !strcmp(argv[1], "bench")) return bench(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc != 5) {
    fprintf(stderr, "usage: srtp-tool <protect|unprotect> <rtp|rtcp> <profile> <hexkey> | bench <profile> <bytes> <n>\n");
    return 2;
  }
  int protect = !strcmp(argv[1], "protect");
  int rtcp = !strcmp(argv[2], "rtcp");
  unsigned char key[64];
  if (parse_hex(argv[4], key, sizeof key) < 0) return 2;
  srtp_t session = make_session(argv[3], key, !protect);
  static unsigned char buf[SLOT + SRTP_MAX_TRAILER_LEN];
  unsigned char hdr[4];
  while (read_exact(hdr, 4) == 0) {
    uint32_t len = ((uint32_t)hdr[0] << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
    if (len > SLOT || read_exact(buf, len)) return 6;
    int n = (int)len;
    srtp_err_status_t err;
    if (protect) err = rtcp ? srtp_protect_rtcp(session, buf, &n) : srtp_protect(session, buf, &n);
    else err = rtcp ? srtp_unprotect_rtcp(session, buf, &n) : srtp_unprotect(session, buf, &n);
    uint32_t out = err ? 0xffffffffu : (uint32_t)n;
    unsigned char ohdr[4] = {out >> 24, out >> 16, out >> 8, out};
    fwrite(ohdr, 1, 4, stdout);
    if (!err) fwrite(buf, 1, n, stdout);
  }
  fflush(stdout);
  srtp_dealloc(session);
  return 0;
}

/*
 * Batched UDP sends for tsrtc's optional native accelerator (docs/native.md): one sendmmsg(2) for the
 * datagrams a flush produced, on the socket libuv already owns (its descriptor), instead of one
 * node:dgram send each. Receiving stays with libuv.
 *
 *   udpSendBatch(fd, family, address, port, datagrams[]) -> handled
 *
 * `handled` counts the datagrams that left or were refused for good (ICMP errors, too big); the caller
 * sends the rest through node:dgram, which queues them, when the socket buffer is full (EAGAIN).
 * Every argument is checked; a bad one is a thrown TypeError or RangeError.
 *
 * Consecutive datagrams of one size (the last of a run may be shorter: a message's final fragment) go as
 * one UDP GSO message (UDP_SEGMENT, Linux 4.18+): the kernel cuts it into the same datagrams, and they
 * reach the receiver's queue together, so it wakes once for them instead of once per datagram it happens
 * to find. A GSO send the kernel refuses turns GSO off for the process and the batch is sent plainly;
 * TSRTC_NATIVE_GSO=0 keeps it off (to measure one against the other).
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include "napi_fail.h"
#include <stdint.h>
#include <string.h>

#if defined(__linux__)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define BATCH 64
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
/* A segment must fit the path MTU (the kernel refuses larger ones); 1,472 is an Ethernet MTU's payload. */
#define GSO_MAX_SEGMENT 1472
#define GSO_MAX_TOTAL 65000

/* 1: GSO in use; 0: off (refused once, or TSRTC_NATIVE_GSO=0); -1: not decided yet. */
static int gso_enabled = -1;

static int gso_on(void) {
  if (gso_enabled < 0) {
    const char *env = getenv("TSRTC_NATIVE_GSO");
    gso_enabled = env && env[0] == '0' && env[1] == 0 ? 0 : 1;
  }
  return gso_enabled;
}

static napi_value udp_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return fail(env, "udpSendBatch(fd, family, address, port, datagrams)", 0);
  int32_t fd, family, port;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "bad fd", 1);
  if (napi_get_value_int32(env, argv[1], &family) != napi_ok || (family != 4 && family != 6))
    return fail(env, "family must be 4 or 6", 1);
  char address[64];
  size_t alen = 0;
  if (napi_get_value_string_utf8(env, argv[2], address, sizeof address, &alen) != napi_ok || alen == 0 ||
      alen >= sizeof address - 1)
    return fail(env, "bad address", 0);
  if (napi_get_value_int32(env, argv[3], &port) != napi_ok || port <= 0 || port > 65535)
    return fail(env, "bad port", 1);
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[4], &count) != napi_ok)
    return fail(env, "datagrams must be an array", 0);

  struct sockaddr_storage to;
  socklen_t tolen;
  memset(&to, 0, sizeof to);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&to;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &a->sin_addr) != 1) return fail(env, "not an IPv4 address", 0);
    tolen = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &a->sin6_addr) != 1) return fail(env, "not an IPv6 address", 0);
    tolen = sizeof *a;
  }

  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t run_of[BATCH]; /* datagrams in each message */
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control[BATCH];
  uint32_t handled = 0;
  while (handled < count) {
    /* Up to BATCH datagrams of this call, as messages: runs of one size under GSO, else one each. */
    uint32_t n = 0;
    for (; n < BATCH && handled + n < count; n++) {
      napi_value item;
      napi_typedarray_type type;
      size_t length, offset;
      void *data;
      napi_value ab;
      bool is_ta = false;
      if (napi_get_element(env, argv[4], handled + n, &item) != napi_ok ||
          napi_is_typedarray(env, item, &is_ta) != napi_ok || !is_ta ||
          napi_get_typedarray_info(env, item, &type, &length, &data, &ab, &offset) != napi_ok ||
          type != napi_uint8_array)
        return fail(env, "datagrams must be Uint8Arrays", 0);
      if (length > 65507) return fail(env, "datagram larger than UDP allows", 1);
      iov[n].iov_base = data;
      iov[n].iov_len = length;
    }
    const int gso = gso_on();
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; m++) {
      size_t size = iov[i].iov_len;
      uint32_t k = 1;
      size_t total = size;
      if (gso && size > 0 && size <= GSO_MAX_SEGMENT) {
        while (i + k < n && iov[i + k].iov_len == size && total + size <= GSO_MAX_TOTAL) {
          total += size;
          k++;
        }
        /* A shorter last segment closes the run. */
        if (i + k < n && iov[i + k].iov_len > 0 && iov[i + k].iov_len < size &&
            total + iov[i + k].iov_len <= GSO_MAX_TOTAL) {
          total += iov[i + k].iov_len;
          k++;
        }
      }
      memset(&msgs[m], 0, sizeof msgs[m]);
      msgs[m].msg_hdr.msg_name = &to;
      msgs[m].msg_hdr.msg_namelen = tolen;
      msgs[m].msg_hdr.msg_iov = &iov[i];
      msgs[m].msg_hdr.msg_iovlen = k;
      if (k > 1) {
        memset(&control[m], 0, sizeof control[m]);
        msgs[m].msg_hdr.msg_control = control[m].buf;
        msgs[m].msg_hdr.msg_controllen = sizeof control[m].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[m].msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t segment = (uint16_t)size;
        memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      run_of[m] = k;
      i += k;
    }
    int sent = sendmmsg(fd, msgs, m, MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
      if (run_of[0] > 1) {
        gso_enabled = 0; /* the kernel or the route refuses GSO: send these plainly */
        continue;
      }
      handled++; /* this datagram is refused for good (ICMP error, too big): skip it */
      continue;
    }
    for (int j = 0; j < sent; j++) handled += run_of[j];
    if ((uint32_t)sent < m) break; /* the socket buffer is full */
  }
  napi_value out;
  if (napi_create_uint32(env, handled, &out) != napi_ok) return NULL;
  return out;
}

napi_status tsrtc_udp_batch_define(napi_env env, napi_value exports) {
  napi_property_descriptor p = {"udpSendBatch", NULL, udp_send_batch, NULL, NULL, NULL, napi_enumerable, NULL};
  return napi_define_properties(env, exports, 1, &p);
}
#else
napi_status tsrtc_udp_batch_define(napi_env env, napi_value exports) { return napi_ok; }
#endif

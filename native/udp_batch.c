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
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#if defined(__linux__)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define BATCH 64

static napi_value fail(napi_env env, const char *what, int range) {
  if (range) napi_throw_range_error(env, NULL, what);
  else napi_throw_type_error(env, NULL, what);
  return NULL;
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
  uint32_t handled = 0;
  while (handled < count) {
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
      memset(&msgs[n], 0, sizeof msgs[n]);
      msgs[n].msg_hdr.msg_name = &to;
      msgs[n].msg_hdr.msg_namelen = tolen;
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, msgs, n, MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
      handled++; /* this datagram is refused for good (ICMP error, too big): skip it */
      continue;
    }
    handled += (uint32_t)sent;
    if ((uint32_t)sent < n) break; /* the socket buffer is full */
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

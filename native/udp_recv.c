/*
 * Batched UDP receive for tsrtc's optional native accelerator (docs/native.md): while libuv reports the
 * socket readable, recvmmsg(2) takes up to RECV_BATCH datagrams per call, and JavaScript is called once
 * per batch with all of them in one Buffer, instead of once per datagram with a Buffer each (node:dgram).
 *
 *   udpRecvStart(fd, meta: Int32Array, onBatch, ages?: Int32Array) -> stop()
 *
 * The addon watches its own duplicate of the descriptor (a uv_poll_t on dup(fd)), so libuv's watcher for
 * the node:dgram handle, which still sends, is never disturbed; the caller stops node:dgram's reading.
 * onBatch(buffer, count, addresses) is called with `count` datagrams copied back to back into `buffer`;
 * for datagram i, meta[4i..4i+3] = offset, length, source port, and 1 when its source address differs
 * from the previous datagram's (its text is then the next entry of `addresses`, else `addresses` may be
 * undefined). With `ages`, the socket gets SO_TIMESTAMPNS and ages[i] is how long datagram i had been
 * in the host when recvmmsg returned: CLOCK_REALTIME then minus the kernel's receive stamp, in
 * microseconds, clamped to [0, MAX_AGE_US] (0 without a stamp). Only the difference of two readings of
 * one clock is reported, so JavaScript needs no clock base: arrival = its clock at the call − age.
 * A receive error is onBatch(undefined, -errno, fatal): fatal when the socket can no longer
 * be watched (reading has stopped; the caller goes back to node:dgram). stop() is idempotent; the descriptor is
 * closed once libuv has let go of it. A readable event reads at most RECV_ROUNDS batches, so one busy
 * socket never holds the loop.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include "napi_fail.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define RECV_BATCH 32
#define RECV_ROUNDS 4
/* Room for any UDP datagram, so nothing is ever truncated. */
#define SLOT 65536
#define META_WORDS_PER_DATAGRAM 4
/* Ages beyond this are clamped (a realtime clock step between stamp and read, or a stalled process). */
#define MAX_AGE_US 10000000
/* Room for SCM_TIMESTAMPNS and a little more (a cmsg another option asked for is skipped, not misread). */
#define CONTROL_BYTES 64

/* One per Node environment (thread): the slots recvmmsg writes into before the copy to JavaScript. */
typedef struct {
  unsigned char *slots; /* RECV_BATCH * SLOT bytes, pages touched only as datagrams land */
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage from[RECV_BATCH];
  union {
    struct cmsghdr align;
    unsigned char bytes[CONTROL_BYTES];
  } control[RECV_BATCH];
} recv_scratch;

typedef struct recv_ctx {
  int refs; /* holders: the uv handle until its close callback, the stop function until collected */
  bool closing;
  int fd; /* our duplicate */
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref meta_ref;
  napi_ref ages_ref; /* set when receive ages were asked for (SO_TIMESTAMPNS is on) */
  napi_ref resource; /* the async resource, also the receiver (`this`) of onBatch */
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  struct sockaddr_storage last; /* source of the previous datagram delivered */
  bool has_last;
} recv_ctx;

static void scratch_free(napi_env env, void *data, void *hint) {
  recv_scratch *s = (recv_scratch *)data;
  if (s) {
    free(s->slots);
    free(s);
  }
}

static recv_scratch *scratch_for(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data) return (recv_scratch *)data;
  recv_scratch *s = (recv_scratch *)calloc(1, sizeof *s);
  if (!s) return NULL;
  s->slots = (unsigned char *)malloc((size_t)RECV_BATCH * SLOT);
  if (!s->slots || napi_set_instance_data(env, s, scratch_free, NULL) != napi_ok) {
    free(s->slots);
    free(s);
    return NULL;
  }
  return s;
}

static void ctx_release(recv_ctx *c) {
  if (--c->refs > 0) return;
  free(c);
}

/* JavaScript's references go first (while the environment is alive), the memory when both holders let go. */
static void drop_js(recv_ctx *c) {
  if (c->on_batch) napi_delete_reference(c->env, c->on_batch);
  if (c->meta_ref) napi_delete_reference(c->env, c->meta_ref);
  if (c->ages_ref) napi_delete_reference(c->env, c->ages_ref);
  if (c->resource) napi_delete_reference(c->env, c->resource);
  if (c->async) napi_async_destroy(c->env, c->async);
  c->on_batch = NULL;
  c->meta_ref = NULL;
  c->ages_ref = NULL;
  c->resource = NULL;
  c->async = NULL;
}

/* An Int32Array's words, looked up per batch (JavaScript could have detached the buffer meanwhile). */
static int32_t *words_of(recv_ctx *c, napi_ref ref, size_t need) {
  napi_value array;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (!ref || napi_get_reference_value(c->env, ref, &array) != napi_ok || !array ||
      napi_get_typedarray_info(c->env, array, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || length < need || !data)
    return NULL;
  return (int32_t *)data;
}

/* How long the datagram had been in the host at `now` (µs, clamped), from its SCM_TIMESTAMPNS; 0 without. */
static int32_t age_of(struct msghdr *h, const struct timespec *now) {
  if (h->msg_flags & MSG_CTRUNC) return 0;
  for (struct cmsghdr *m = CMSG_FIRSTHDR(h); m; m = CMSG_NXTHDR(h, m)) {
    if (m->cmsg_level != SOL_SOCKET || m->cmsg_type != SCM_TIMESTAMPNS ||
        m->cmsg_len < CMSG_LEN(sizeof(struct timespec)))
      continue;
    struct timespec stamp;
    memcpy(&stamp, CMSG_DATA(m), sizeof stamp);
    if (stamp.tv_sec == 0 && stamp.tv_nsec == 0) return 0;
    int64_t us = ((int64_t)now->tv_sec - (int64_t)stamp.tv_sec) * 1000000 +
                 ((int64_t)now->tv_nsec - (int64_t)stamp.tv_nsec) / 1000;
    if (us < 0) return 0;
    return us > MAX_AGE_US ? MAX_AGE_US : (int32_t)us;
  }
  return 0;
}

static void on_closed(uv_handle_t *h) {
  recv_ctx *c = (recv_ctx *)h->data;
  close(c->fd);
  c->fd = -1;
  if (c->cleanup) {
    napi_async_cleanup_hook_handle hook = c->cleanup;
    c->cleanup = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  ctx_release(c);
}

static void begin_close(recv_ctx *c) {
  if (c->closing) return;
  c->closing = true;
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_closed);
}

/* The environment is going away (a worker ending) with the socket still open. */
static void on_env_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  recv_ctx *c = (recv_ctx *)arg;
  drop_js(c);
  begin_close(c);
}

static bool same_source(const recv_ctx *c, const struct sockaddr_storage *a) {
  if (!c->has_last || c->last.ss_family != a->ss_family) return false;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)&c->last)->sin_addr.s_addr;
  if (a->ss_family == AF_INET6)
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)&c->last)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
  return false;
}

static int port_of(const struct sockaddr_storage *a) {
  if (a->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)a)->sin_port);
  if (a->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
  return 0;
}

static bool address_text(napi_env env, const struct sockaddr_storage *a, napi_value *out) {
  char text[INET6_ADDRSTRLEN] = "";
  const void *raw = a->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
                                             : (const void *)&((const struct sockaddr_in *)a)->sin_addr;
  if (a->ss_family != AF_INET && a->ss_family != AF_INET6) return false;
  if (!inet_ntop(a->ss_family, raw, text, sizeof text)) return false;
  return napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, out) == napi_ok;
}

/* Call onBatch(args...) as node:dgram calls its listeners: a throw is an uncaught exception. */
static void call_js(recv_ctx *c, size_t argc, napi_value *argv) {
  napi_env env = c->env;
  napi_value fn, recv, ignored;
  if (!c->on_batch || napi_get_reference_value(env, c->on_batch, &fn) != napi_ok || !fn ||
      napi_get_reference_value(env, c->resource, &recv) != napi_ok || !recv)
    return;
  if (napi_make_callback(env, c->async, recv, fn, argc, argv, &ignored) != napi_ok) {
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok)
      napi_fatal_exception(env, error);
  }
}

/* Deliver `n` received datagrams; false when JavaScript cannot take them (the batch is dropped). */
static bool deliver(recv_ctx *c, recv_scratch *s, int n, const struct timespec *now) {
  napi_env env = c->env;
  int32_t *meta = words_of(c, c->meta_ref, (size_t)n * META_WORDS_PER_DATAGRAM);
  if (!meta) return false;
  if (c->ages_ref) {
    int32_t *ages = words_of(c, c->ages_ref, (size_t)n);
    if (!ages) return false;
    for (int i = 0; i < n; i++) ages[i] = age_of(&s->msgs[i].msg_hdr, now);
  }
  size_t total = 0;
  for (int i = 0; i < n; i++) total += s->msgs[i].msg_len > SLOT ? SLOT : s->msgs[i].msg_len;
  napi_value argv[3], addresses = NULL;
  void *data = NULL;
  if (napi_create_buffer(env, total ? total : 1, &data, &argv[0]) != napi_ok) return false;
  unsigned char *out = (unsigned char *)data;
  size_t at = 0;
  uint32_t changed = 0;
  for (int i = 0; i < n; i++) {
    size_t len = s->msgs[i].msg_len;
    if (len > SLOT) len = SLOT; /* never more than the slot holds, whatever the kernel reports */
    memcpy(out + at, s->slots + (size_t)i * SLOT, len);
    int32_t *m = meta + (size_t)i * META_WORDS_PER_DATAGRAM;
    m[0] = (int32_t)at;
    m[1] = (int32_t)len;
    m[2] = port_of(&s->from[i]);
    m[3] = 0;
    at += len;
    if (!same_source(c, &s->from[i])) {
      napi_value text;
      if (!addresses && napi_create_array(env, &addresses) != napi_ok) return false;
      if (!address_text(env, &s->from[i], &text) || napi_set_element(env, addresses, changed++, text) != napi_ok)
        return false;
      m[3] = 1;
      c->last = s->from[i];
      c->has_last = true;
    }
  }
  napi_create_int32(env, n, &argv[1]);
  if (addresses) argv[2] = addresses;
  else napi_get_undefined(env, &argv[2]);
  call_js(c, 3, argv);
  return true;
}

/* onBatch(undefined, -errno, fatal): fatal when libuv can no longer watch the socket (reading stopped). */
static void report_error(recv_ctx *c, int error, bool fatal) {
  napi_value argv[3];
  napi_get_undefined(c->env, &argv[0]);
  napi_create_int32(c->env, -error, &argv[1]);
  napi_get_boolean(c->env, fatal, &argv[2]);
  call_js(c, 3, argv);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  recv_ctx *c = (recv_ctx *)handle->data;
  if (c->closing) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  recv_scratch *s = scratch_for(env);
  if (status < 0 || !s) {
    begin_close(c);
    report_error(c, status < 0 ? -status : ENOMEM, true);
  } else {
    for (int round = 0; round < RECV_ROUNDS && !c->closing; round++) {
      for (int i = 0; i < RECV_BATCH; i++) {
        s->iov[i].iov_base = s->slots + (size_t)i * SLOT;
        s->iov[i].iov_len = SLOT;
        memset(&s->msgs[i].msg_hdr, 0, sizeof s->msgs[i].msg_hdr);
        s->msgs[i].msg_hdr.msg_name = &s->from[i];
        s->msgs[i].msg_hdr.msg_namelen = sizeof s->from[i];
        s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
        s->msgs[i].msg_hdr.msg_iovlen = 1;
        if (c->ages_ref) {
          s->msgs[i].msg_hdr.msg_control = s->control[i].bytes;
          s->msgs[i].msg_hdr.msg_controllen = CONTROL_BYTES;
        }
      }
      int n = recvmmsg(c->fd, s->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
      /* Read right after the call, so an age covers the time in the kernel's queue and nothing of ours. */
      struct timespec now = {0, 0};
      if (n > 0 && c->ages_ref) clock_gettime(CLOCK_REALTIME, &now);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) report_error(c, errno, false);
        break;
      }
      if (n == 0) break;
      /* The scope is per batch, so handles of a long burst do not pile up. */
      napi_handle_scope inner;
      if (napi_open_handle_scope(env, &inner) != napi_ok) break;
      bool ok = deliver(c, s, n, &now);
      napi_close_handle_scope(env, inner);
      /* A dropped batch may have moved `last` without JavaScript seeing it: name the next source again. */
      if (!ok) c->has_last = false;
      if (!ok || n < RECV_BATCH) break;
    }
  }
  napi_close_handle_scope(env, scope);
}

static void stop_finalized(napi_env env, void *data, void *hint) {
  recv_ctx *c = (recv_ctx *)hint;
  drop_js(c);
  begin_close(c);
  ctx_release(c);
}

static napi_value stop(napi_env env, napi_callback_info info) {
  recv_ctx *c = NULL;
  size_t argc = 0;
  if (napi_get_cb_info(env, info, &argc, NULL, NULL, (void **)&c) != napi_ok || !c) return NULL;
  drop_js(c);
  begin_close(c);
  return NULL;
}

static napi_value udp_recv_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || argc > 4)
    return fail(env, "udpRecvStart(fd, meta, onBatch, ages?)", false);
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "bad fd", true);
  napi_typedarray_type type;
  size_t length;
  bool is_ta = false;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &length, NULL, NULL, NULL) != napi_ok ||
      type != napi_int32_array)
    return fail(env, "meta must be an Int32Array", false);
  if (length < (size_t)RECV_BATCH * META_WORDS_PER_DATAGRAM)
    return fail(env, "meta must hold 4 words per datagram of a batch", true);
  napi_valuetype t;
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function)
    return fail(env, "onBatch must be a function", false);
  bool with_ages = false;
  if (argc == 4 && (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_undefined)) {
    if (napi_is_typedarray(env, argv[3], &is_ta) != napi_ok || !is_ta ||
        napi_get_typedarray_info(env, argv[3], &type, &length, NULL, NULL, NULL) != napi_ok ||
        type != napi_int32_array)
      return fail(env, "ages must be an Int32Array", false);
    if (length < (size_t)RECV_BATCH) return fail(env, "ages must hold a word per datagram of a batch", true);
    with_ages = true;
  }
  int sock_type = 0;
  socklen_t sock_type_len = sizeof sock_type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &sock_type, &sock_type_len) != 0 || sock_type != SOCK_DGRAM)
    return fail(env, "fd is not a datagram socket", true);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return fail(env, "no event loop", false);
  if (!scratch_for(env)) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }

  recv_ctx *c = (recv_ctx *)calloc(1, sizeof *c);
  if (!c) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->env = env;
  c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (c->fd < 0) {
    free(c);
    napi_throw_error(env, NULL, "cannot duplicate the socket descriptor");
    return NULL;
  }
  /* A socket option, so node:dgram's descriptor has it too (libuv reads no control data: ignored there). */
  int on = 1;
  if (with_ages && (setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
                    napi_create_reference(env, argv[3], 1, &c->ages_ref) != napi_ok))
    c->ages_ref = NULL; /* no stamps: the caller's ages stay 0, arrival is its own clock */
  napi_value name, fn, resource;
  if (napi_create_reference(env, argv[2], 1, &c->on_batch) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &c->meta_ref) != napi_ok || napi_create_object(env, &resource) != napi_ok ||
      napi_create_reference(env, resource, 1, &c->resource) != napi_ok ||
      napi_create_string_latin1(env, "tsrtc:udpRecv", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &c->async) != napi_ok || uv_poll_init_socket(loop, &c->poll, c->fd) != 0) {
    drop_js(c);
    close(c->fd);
    free(c);
    napi_throw_error(env, NULL, "cannot watch the socket");
    return NULL;
  }
  c->poll.data = c;
  c->refs = 1; /* the uv handle, from here on released by on_closed */
  if (uv_poll_start(&c->poll, UV_READABLE, on_readable) != 0) {
    drop_js(c);
    begin_close(c);
    napi_throw_error(env, NULL, "cannot watch the socket");
    return NULL;
  }
  if (napi_add_async_cleanup_hook(env, on_env_cleanup, c, &c->cleanup) != napi_ok) c->cleanup = NULL;
  if (napi_create_function(env, "stop", NAPI_AUTO_LENGTH, stop, c, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, NULL, stop_finalized, c, NULL) != napi_ok) {
    drop_js(c);
    begin_close(c);
    napi_throw_error(env, NULL, "cannot create the stop function");
    return NULL;
  }
  c->refs++; /* the stop function */
  return fn;
}

napi_status tsrtc_udp_recv_define(napi_env env, napi_value exports) {
  napi_property_descriptor p = {"udpRecvStart", NULL, udp_recv_start, NULL, NULL, NULL, napi_enumerable, NULL};
  return napi_define_properties(env, exports, 1, &p);
}
#else
napi_status tsrtc_udp_recv_define(napi_env env, napi_value exports) { return napi_ok; }
#endif

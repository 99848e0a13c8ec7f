/* Argument errors of the datagram functions: a RangeError or a TypeError with `what`, and NULL to return. */
#ifndef TSRTC_NAPI_FAIL_H
#define TSRTC_NAPI_FAIL_H

#include <node_api.h>
#include <stdbool.h>

static inline napi_value fail(napi_env env, const char *what, bool range) {
  if (range) napi_throw_range_error(env, NULL, what);
  else napi_throw_type_error(env, NULL, what);
  return NULL;
}

#endif

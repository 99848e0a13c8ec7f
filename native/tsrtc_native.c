/*
 * tsrtc's optional native accelerator (docs/native.md): record and packet ciphers that keep one OpenSSL
 * context per key and re-nonce it per record, where node:crypto must build a cipher object per record.
 *
 *   AEAD  AES-128/256-GCM and ChaCha20-Poly1305 (DTLS records, SRTP AEAD profiles): seal, open.
 *   CM    AES-CM (CTR) + HMAC-SHA1 (SRTP AES_CM_128_HMAC_SHA1_*): protect, unprotect.
 *
 * Written in C against node_api.h and the OpenSSL headers Node ships; it links nothing, because the Node
 * binary exports OpenSSL's symbols.
 *
 * Calling convention, chosen because N-API argument conversion costs more than the cipher work on short
 * packets: each context comes with a small parameter block (an ArrayBuffer over memory the context owns)
 * in which JavaScript writes the nonce, the AAD and the offsets and lengths of the next call; the call
 * itself passes only the one or two buffers, and the context is bound to the functions (no lookup).
 * Every value read from the parameter block is untrusted: each offset and length is checked against the
 * buffers before any byte is touched, so a wrong or hostile value is a thrown RangeError, never an
 * out-of-bounds access.
 */
#define NAPI_VERSION 8
/* The low-level SHA-1 API is deprecated in OpenSSL 3 but exported by Node; copying a SHA_CTX is the
 * cheapest way to start HMAC from precomputed pad states. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "tsrtc_native needs the OpenSSL 3 headers that ship with Node (include/node/openssl)"
#endif

/* Bumped whenever the parameter layout or the exported functions change; the loader checks it. */
#define ABI_VERSION 2

#define TAG_LENGTH 16
#define NONCE_LENGTH 12
#define CM_IV_LENGTH 16
#define SHA1_LENGTH 20
#define SHA1_BLOCK 64
/* Far above any datagram; keeps every length comfortably inside OpenSSL's int parameters. */
#define MAX_TEXT (1u << 24)

/*
 * AEAD parameter block (32-bit words in host byte order, then bytes):
 *   word 0 srcOffset, 1 length, 2 dstOffset, 3 aadOffset (in src), 4 aadLength, 5 aadInline (1: the AAD
 *   is bytes 64.. of this block, 0: it is src[aadOffset, +aadLength))
 *   bytes 32..44 nonce, 64..128 inline AAD
 */
enum { A_SRC_OFFSET, A_LENGTH, A_DST_OFFSET, A_AAD_OFFSET, A_AAD_LENGTH, A_AAD_INLINE };
#define A_NONCE_AT 32
#define A_AAD_AT 64
#define A_AAD_MAX 64
#define A_PARAMS_SIZE (A_AAD_AT + A_AAD_MAX)

/*
 * CM parameter block: words 0 encOffset, 1 encLength, 2 macOffset, 3 macLength, 4 roc, 5 hasRoc,
 * 6 tagOffset, 7 tagLength; bytes 32..48 the AES-CM IV.
 */
enum { C_ENC_OFFSET, C_ENC_LENGTH, C_MAC_OFFSET, C_MAC_LENGTH, C_ROC, C_HAS_ROC, C_TAG_OFFSET, C_TAG_LENGTH };
#define C_IV_AT 32
#define C_PARAMS_SIZE 64

enum aead_kind { AEAD_AES_128_GCM = 1, AEAD_AES_256_GCM = 2, AEAD_CHACHA20_POLY1305 = 3 };

/*
 * A context lives until the last of its JavaScript holders (two functions and the parameter block) is
 * collected: each holds one reference and each finalizer drops one.
 */
typedef struct {
  int refs;
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  /* Open decrypts here first when the output overlaps the input, so a forged packet leaves it intact. */
  unsigned char *scratch;
  size_t scratch_size;
  _Alignas(8) unsigned char params[A_PARAMS_SIZE];
} aead_t;

typedef struct {
  int refs;
  EVP_CIPHER_CTX *ctr;
  SHA_CTX inner; /* SHA-1 state after the key XOR ipad block */
  SHA_CTX outer; /* after the key XOR opad block */
  _Alignas(8) unsigned char params[C_PARAMS_SIZE];
} cm_t;

typedef struct {
  unsigned char *data;
  size_t length;
} bytes_t;

static void aead_destroy(aead_t *a) {
  EVP_CIPHER_CTX_free(a->enc); /* frees and cleanses the key schedule */
  EVP_CIPHER_CTX_free(a->dec);
  if (a->scratch) {
    OPENSSL_cleanse(a->scratch, a->scratch_size);
    free(a->scratch);
  }
  OPENSSL_cleanse(a, sizeof *a);
  free(a);
}

static void cm_destroy(cm_t *m) {
  EVP_CIPHER_CTX_free(m->ctr);
  OPENSSL_cleanse(m, sizeof *m);
  free(m);
}

static void aead_release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  aead_t *a = (aead_t *)hint;
  if (--a->refs == 0) aead_destroy(a);
}

static void cm_release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  cm_t *m = (cm_t *)hint;
  if (--m->refs == 0) cm_destroy(m);
}

/* ---- argument checking (each helper throws and returns false on failure) ---- */

static bool fail_range(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_TSRTC_NATIVE_RANGE", message);
  return false;
}

static bool fail_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_TSRTC_NATIVE_TYPE", message);
  return false;
}

static bool get_bytes(napi_env env, napi_value value, bytes_t *out) {
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return fail_type(env, "expected a Uint8Array");
  out->data = (unsigned char *)data;
  out->length = length;
  return true;
}

static bool is_undefined(napi_env env, napi_value value) {
  napi_valuetype t;
  return napi_typeof(env, value, &t) == napi_ok && t == napi_undefined;
}

/* [offset, offset + length) lies inside `b`; computed without overflow. */
static bool check_span(napi_env env, const bytes_t *b, size_t offset, size_t length) {
  if (offset > b->length || length > b->length - offset) return fail_range(env, "span outside its buffer");
  return true;
}

static bool spans_overlap(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen) {
  if (alen == 0 || blen == 0) return false;
  uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
  return a0 < b0 + blen && b0 < a0 + alen;
}

static uint32_t word(const unsigned char *params, int index) {
  uint32_t v;
  memcpy(&v, params + 4 * index, 4);
  return v;
}

/* Up to two arguments and the context bound to the function. */
static bool call_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, void **ctx) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, ctx) != napi_ok || *ctx == NULL) return false;
  /* N-API fills arguments the caller left out with undefined. */
  if (argc < 1) return fail_type(env, "missing arguments");
  return true;
}

static napi_value boolean(napi_env env, bool v) {
  napi_value out;
  napi_get_boolean(env, v, &out);
  return out;
}

/*
 * { <name0>: fn, <name1>: fn, params: ArrayBuffer } over `ctx`; `refs` starts at 3 and each holder's
 * finalizer releases one. On failure the context is released for every holder not yet made.
 */
static napi_value make_binding(napi_env env, void *ctx, int *refs, napi_finalize release, const char *name0,
                               napi_callback cb0, const char *name1, napi_callback cb1, void *params,
                               size_t params_size) {
  napi_value object, fn0, fn1, buffer;
  *refs = 3;
  int made = 0;
  if (napi_create_object(env, &object) != napi_ok) goto fail;
  if (napi_create_function(env, name0, NAPI_AUTO_LENGTH, cb0, ctx, &fn0) != napi_ok) goto fail;
  if (napi_add_finalizer(env, fn0, NULL, release, ctx, NULL) != napi_ok) goto fail;
  made++;
  if (napi_create_function(env, name1, NAPI_AUTO_LENGTH, cb1, ctx, &fn1) != napi_ok) goto fail;
  if (napi_add_finalizer(env, fn1, NULL, release, ctx, NULL) != napi_ok) goto fail;
  made++;
  if (napi_create_external_arraybuffer(env, params, params_size, release, ctx, &buffer) != napi_ok) goto fail;
  made++;
  if (napi_set_named_property(env, object, name0, fn0) != napi_ok ||
      napi_set_named_property(env, object, name1, fn1) != napi_ok ||
      napi_set_named_property(env, object, "params", buffer) != napi_ok)
    return NULL; /* an exception is pending; the finalizers will release the context */
  return object;
fail:
  /* Only the `made` holders will ever release the context; drop the rest at once. */
  *refs = made + 1;
  release(env, NULL, ctx);
  napi_throw_error(env, NULL, "cannot create a native context");
  return NULL;
}

/* ---- AEAD ---- */

static const EVP_CIPHER *aead_cipher(uint32_t kind, size_t key_length) {
  switch (kind) {
    case AEAD_AES_128_GCM:
      return key_length == 16 ? EVP_aes_128_gcm() : NULL;
    case AEAD_AES_256_GCM:
      return key_length == 32 ? EVP_aes_256_gcm() : NULL;
    case AEAD_CHACHA20_POLY1305:
      return key_length == 32 ? EVP_chacha20_poly1305() : NULL;
    default:
      return NULL;
  }
}

static bool aead_init(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, const unsigned char *key, int enc) {
  return EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LENGTH, NULL) == 1 &&
         EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) == 1;
}

typedef struct {
  const unsigned char *nonce;
  const unsigned char *aad;
  size_t aad_length;
  unsigned char *src;
  size_t length;
  unsigned char *dst;
  size_t src_span; /* bytes read from src (text, plus the tag when opening) */
  size_t dst_span; /* bytes written to dst (text, plus the tag when sealing) */
} aead_call_t;

/* Resolve and check one call: src is argv[0]; dst is argv[1], or src (at srcOffset) when undefined. */
static bool aead_call(napi_env env, aead_t *a, napi_value *argv, bool sealing, aead_call_t *c) {
  bytes_t src, dst;
  const unsigned char *p = a->params;
  size_t src_offset = word(p, A_SRC_OFFSET), length = word(p, A_LENGTH), dst_offset = word(p, A_DST_OFFSET);
  size_t aad_offset = word(p, A_AAD_OFFSET), aad_length = word(p, A_AAD_LENGTH);
  if (!get_bytes(env, argv[0], &src)) return false;
  if (is_undefined(env, argv[1])) {
    dst = src;
    dst_offset = src_offset;
  } else if (!get_bytes(env, argv[1], &dst)) {
    return false;
  }
  if (length > MAX_TEXT) return fail_range(env, "text too long");
  c->src_span = sealing ? length : length + TAG_LENGTH;
  c->dst_span = sealing ? length + TAG_LENGTH : length;
  if (!check_span(env, &src, src_offset, c->src_span) || !check_span(env, &dst, dst_offset, c->dst_span))
    return false;
  if (word(p, A_AAD_INLINE)) {
    if (aad_length > A_AAD_MAX) return fail_range(env, "inline AAD too long");
    c->aad = p + A_AAD_AT;
  } else {
    if (!check_span(env, &src, aad_offset, aad_length)) return false;
    c->aad = src.data + aad_offset;
  }
  c->aad_length = aad_length;
  c->nonce = p + A_NONCE_AT;
  c->src = src.data + src_offset;
  c->length = length;
  c->dst = dst.data + dst_offset;
  return true;
}

/*
 * seal(src, dst?): encrypt src[srcOffset, +length) to dst[dstOffset, +length) (or in place when dst is
 * undefined) and write the 16-byte tag after it. Any overlap other than exactly in place is refused.
 */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  aead_t *a;
  if (!call_args(env, info, 2, argv, (void **)&a)) return NULL;
  aead_call_t c;
  if (!aead_call(env, a, argv, true, &c)) return NULL;
  if (c.src != c.dst && spans_overlap(c.src, c.length, c.dst, c.dst_span)) {
    fail_range(env, "input and output overlap");
    return NULL;
  }
  EVP_CIPHER_CTX *e = a->enc;
  int n = 0;
  if (EVP_EncryptInit_ex(e, NULL, NULL, NULL, c.nonce) != 1 ||
      (c.aad_length > 0 && EVP_EncryptUpdate(e, NULL, &n, c.aad, (int)c.aad_length) != 1) ||
      (c.length > 0 && EVP_EncryptUpdate(e, c.dst, &n, c.src, (int)c.length) != 1) ||
      EVP_EncryptFinal_ex(e, c.dst + c.length, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, c.dst + c.length) != 1) {
    napi_throw_error(env, NULL, "AEAD seal failed");
    return NULL;
  }
  return NULL;
}

/*
 * open(src, dst?) -> boolean: verify and decrypt src[srcOffset, +length) (the tag follows it) into
 * dst[dstOffset, +length) (or in place). When the output overlaps the input it is written only after
 * the tag verified; otherwise a failed open leaves zeros there. A bad tag is `false`, never a throw.
 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  aead_t *a;
  if (!call_args(env, info, 2, argv, (void **)&a)) return NULL;
  aead_call_t c;
  if (!aead_call(env, a, argv, false, &c)) return NULL;
  unsigned char tag[TAG_LENGTH];
  memcpy(tag, c.src + c.length, TAG_LENGTH);
  unsigned char *out = c.dst;
  if (spans_overlap(c.src, c.src_span, c.dst, c.dst_span) ||
      spans_overlap(c.aad, c.aad_length, c.dst, c.dst_span)) {
    if (a->scratch_size < c.length) {
      size_t size = c.length < 2048 ? 2048 : c.length;
      unsigned char *grown = (unsigned char *)malloc(size);
      if (!grown) {
        napi_throw_error(env, NULL, "out of memory");
        return NULL;
      }
      if (a->scratch) {
        OPENSSL_cleanse(a->scratch, a->scratch_size);
        free(a->scratch);
      }
      a->scratch = grown;
      a->scratch_size = size;
    }
    out = a->scratch;
  }
  EVP_CIPHER_CTX *d = a->dec;
  int n = 0;
  bool ok = EVP_DecryptInit_ex(d, NULL, NULL, NULL, c.nonce) == 1 &&
            EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag) == 1 &&
            (c.aad_length == 0 || EVP_DecryptUpdate(d, NULL, &n, c.aad, (int)c.aad_length) == 1) &&
            (c.length == 0 || EVP_DecryptUpdate(d, out, &n, c.src, (int)c.length) == 1);
  /* Final runs even after a failure so the context is left ready for the next record. */
  ok = EVP_DecryptFinal_ex(d, out + c.length, &n) == 1 && ok;
  if (!ok) {
    if (c.length > 0) OPENSSL_cleanse(out, c.length);
  } else if (out != c.dst && c.length > 0) {
    memcpy(c.dst, out, c.length);
  }
  return boolean(env, ok);
}

/* aeadCreate(kind, key) -> { seal, open, params }: one key, both directions. */
static napi_value aead_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t kind = 0;
  bytes_t key;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    fail_type(env, "aeadCreate(kind, key)");
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[0], &kind) != napi_ok) {
    fail_type(env, "the AEAD kind is a number");
    return NULL;
  }
  if (!get_bytes(env, argv[1], &key)) return NULL;
  const EVP_CIPHER *cipher = aead_cipher(kind, key.length);
  if (!cipher) {
    fail_range(env, "unknown AEAD or wrong key length");
    return NULL;
  }
  aead_t *a = (aead_t *)calloc(1, sizeof *a);
  if (!a) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  a->enc = EVP_CIPHER_CTX_new();
  a->dec = EVP_CIPHER_CTX_new();
  if (!a->enc || !a->dec || !aead_init(a->enc, cipher, key.data, 1) || !aead_init(a->dec, cipher, key.data, 0)) {
    aead_destroy(a);
    napi_throw_error(env, NULL, "OpenSSL refused the AEAD key");
    return NULL;
  }
  return make_binding(env, a, &a->refs, aead_release, "seal", aead_seal, "open", aead_open, a->params,
                      sizeof a->params);
}

/* ---- SRTP AES-CM + HMAC-SHA1 ---- */

typedef struct {
  const unsigned char *iv;
  unsigned char *enc;
  size_t enc_length;
  const unsigned char *mac;
  size_t mac_length;
  bool has_roc;
  uint32_t roc; /* appended to the MAC input as 4 bytes big-endian */
  unsigned char *tag;
  size_t tag_length;
} cm_call_t;

static bool cm_call(napi_env env, cm_t *m, napi_value buffer, cm_call_t *c) {
  bytes_t buf;
  const unsigned char *p = m->params;
  size_t enc_offset = word(p, C_ENC_OFFSET), enc_length = word(p, C_ENC_LENGTH);
  size_t mac_offset = word(p, C_MAC_OFFSET), mac_length = word(p, C_MAC_LENGTH);
  size_t tag_offset = word(p, C_TAG_OFFSET), tag_length = word(p, C_TAG_LENGTH);
  if (!get_bytes(env, buffer, &buf)) return false;
  if (enc_length > MAX_TEXT || tag_length > SHA1_LENGTH) return fail_range(env, "length out of range");
  if (!check_span(env, &buf, enc_offset, enc_length) || !check_span(env, &buf, mac_offset, mac_length) ||
      !check_span(env, &buf, tag_offset, tag_length))
    return false;
  c->iv = p + C_IV_AT;
  c->enc = buf.data + enc_offset;
  c->enc_length = enc_length;
  c->mac = buf.data + mac_offset;
  c->mac_length = mac_length;
  c->has_roc = word(p, C_HAS_ROC) != 0;
  c->roc = word(p, C_ROC);
  c->tag = buf.data + tag_offset;
  c->tag_length = tag_length;
  return true;
}

static void cm_hmac(const cm_t *m, const cm_call_t *c, unsigned char digest[SHA1_LENGTH]) {
  SHA_CTX h = m->inner;
  SHA1_Update(&h, c->mac, c->mac_length);
  if (c->has_roc) {
    unsigned char roc[4] = {(unsigned char)(c->roc >> 24), (unsigned char)(c->roc >> 16),
                            (unsigned char)(c->roc >> 8), (unsigned char)c->roc};
    SHA1_Update(&h, roc, 4);
  }
  SHA1_Final(digest, &h);
  h = m->outer;
  SHA1_Update(&h, digest, SHA1_LENGTH);
  SHA1_Final(digest, &h);
  OPENSSL_cleanse(&h, sizeof h);
}

static bool cm_xor(cm_t *m, const cm_call_t *c) {
  if (c->enc_length == 0) return true;
  int n = 0;
  return EVP_EncryptInit_ex(m->ctr, NULL, NULL, NULL, c->iv) == 1 &&
         EVP_EncryptUpdate(m->ctr, c->enc, &n, c->enc, (int)c->enc_length) == 1;
}

/*
 * protect(buf): XOR the keystream for the IV over buf[encOffset, +encLength), then HMAC
 * buf[macOffset, +macLength) (followed by the ROC when hasRoc) and write the first tagLength bytes of
 * it at buf[tagOffset].
 */
static napi_value cm_protect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  cm_t *m;
  if (!call_args(env, info, 1, argv, (void **)&m)) return NULL;
  cm_call_t c;
  if (!cm_call(env, m, argv[0], &c)) return NULL;
  if (!cm_xor(m, &c)) {
    napi_throw_error(env, NULL, "AES-CM failed");
    return NULL;
  }
  unsigned char digest[SHA1_LENGTH];
  cm_hmac(m, &c, digest);
  memcpy(c.tag, digest, c.tag_length);
  return NULL;
}

/*
 * unprotect(buf) -> boolean: compare the tag at buf[tagOffset] with the HMAC in constant time, and only
 * when it matches decrypt buf[encOffset, +encLength). A bad tag leaves the buffer as it was.
 */
static napi_value cm_unprotect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  cm_t *m;
  if (!call_args(env, info, 1, argv, (void **)&m)) return NULL;
  cm_call_t c;
  if (!cm_call(env, m, argv[0], &c)) return NULL;
  unsigned char digest[SHA1_LENGTH];
  cm_hmac(m, &c, digest);
  if (CRYPTO_memcmp(digest, c.tag, c.tag_length) != 0) return boolean(env, false);
  if (!cm_xor(m, &c)) {
    napi_throw_error(env, NULL, "AES-CM failed");
    return NULL;
  }
  return boolean(env, true);
}

/* cmCreate(key, authKey) -> { protect, unprotect, params }: AES-CM with a 16- or 32-byte key and
 * HMAC-SHA1 with a key of at most one block. */
static napi_value cm_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bytes_t key, auth;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    fail_type(env, "cmCreate(key, authKey)");
    return NULL;
  }
  if (!get_bytes(env, argv[0], &key) || !get_bytes(env, argv[1], &auth)) return NULL;
  if (key.length != 16 && key.length != 32) {
    fail_range(env, "AES-CM keys are 16 or 32 bytes");
    return NULL;
  }
  if (auth.length > SHA1_BLOCK) {
    fail_range(env, "HMAC key longer than a block");
    return NULL;
  }
  cm_t *m = (cm_t *)calloc(1, sizeof *m);
  if (!m) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  m->ctr = EVP_CIPHER_CTX_new();
  const EVP_CIPHER *cipher = key.length == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
  if (!m->ctr || EVP_EncryptInit_ex(m->ctr, cipher, NULL, key.data, NULL) != 1) {
    cm_destroy(m);
    napi_throw_error(env, NULL, "OpenSSL refused the AES-CM key");
    return NULL;
  }
  unsigned char ipad[SHA1_BLOCK], opad[SHA1_BLOCK];
  memset(ipad, 0x36, sizeof ipad);
  memset(opad, 0x5c, sizeof opad);
  for (size_t i = 0; i < auth.length; i++) {
    ipad[i] ^= auth.data[i];
    opad[i] ^= auth.data[i];
  }
  SHA1_Init(&m->inner);
  SHA1_Update(&m->inner, ipad, sizeof ipad);
  SHA1_Init(&m->outer);
  SHA1_Update(&m->outer, opad, sizeof opad);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return make_binding(env, m, &m->refs, cm_release, "protect", cm_protect, "unprotect", cm_unprotect,
                      m->params, sizeof m->params);
}

/* ---- module ---- */

/* udp_batch.c: udpSendBatch on Linux, nothing elsewhere. */
napi_status tsrtc_udp_batch_define(napi_env env, napi_value exports);
napi_status tsrtc_udp_recv_define(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"aeadCreate", NULL, aead_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cmCreate", NULL, cm_create, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (tsrtc_udp_batch_define(env, exports) != napi_ok) return NULL;
  if (tsrtc_udp_recv_define(env, exports) != napi_ok) return NULL;
  napi_value version, abi;
  /* The OpenSSL actually running (Node's), which the loader reports. */
  if (napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version) != napi_ok ||
      napi_set_named_property(env, exports, "openssl", version) != napi_ok ||
      napi_create_uint32(env, ABI_VERSION, &abi) != napi_ok ||
      napi_set_named_property(env, exports, "abi", abi) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/**
 * The optional native accelerator (native/tsrtc_native.c, docs/native.md): AEAD and SRTP AES-CM contexts
 * that keep one OpenSSL cipher per key. Loaded once, lazily; when it is missing or broken the record and
 * packet ciphers use their TypeScript/node:crypto path, which stays the reference (same bytes).
 *
 * TSRTC_NATIVE=0 never loads it; TSRTC_NATIVE=1 requires it (importing this module throws when it cannot
 * be loaded); unset: use it when it loads, else say why once under DEBUG=tsrtc:native.
 * TSRTC_NATIVE_PATH=<file.node> loads that file instead of native/build/Release/tsrtc_native.node.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createLogger } from './logger.js';

/** The ABI this TypeScript speaks (ABI_VERSION in the C source). */
const ABI = 2;

/** One AEAD key's functions and parameter block, as the addon returns them. */
export interface AeadBinding {
  seal(src: Uint8Array, dst?: Uint8Array): void;
  open(src: Uint8Array, dst?: Uint8Array): boolean;
  readonly params: ArrayBuffer;
}

/** One AES-CM + HMAC-SHA1 key pair's functions and parameter block. */
export interface CmBinding {
  protect(buf: Uint8Array): void;
  unprotect(buf: Uint8Array): boolean;
  readonly params: ArrayBuffer;
}

/** The addon's exports. */
export interface NativeAddon {
  /** OpenSSL version string of the running Node. */
  readonly openssl: string;
  readonly abi: number;
  aeadCreate(kind: number, key: Uint8Array): AeadBinding;
  cmCreate(key: Uint8Array, authKey: Uint8Array): CmBinding;
  /**
   * Linux only: send `datagrams` to one destination with sendmmsg(2) on socket descriptor `fd`; returns how
   * many were handled (sent, or refused for good); the caller sends the rest another way (socket full).
   */
  udpSendBatch?(fd: number, family: 4 | 6, address: string, port: number, datagrams: Uint8Array[]): number;
  /**
   * Linux only: read socket `fd` (a duplicate of it) with recvmmsg(2) whenever libuv reports it readable;
   * `onBatch(buffer, count, addresses)` gets `count` datagrams back to back in `buffer`, and for datagram i
   * `meta[4i..4i+3]` = offset, length, source port, 1 when its source address differs from the previous
   * datagram's (its text is then the next of `addresses`). A receive error is `onBatch(undefined, -errno,
   * fatal)`. With `ages` (ABI 2), the socket gets kernel receive stamps (SO_TIMESTAMPNS) and `ages[i]` is
   * how long datagram i had been in the host when recvmmsg returned, in µs (0 to 10 s; 0 without a stamp):
   * its arrival is the caller's clock at the batch minus that. Returns the function that stops reading.
   */
  udpRecvStart?(
    fd: number,
    meta: Int32Array,
    onBatch: (buffer: Buffer | undefined, count: number, addresses: string[] | boolean | undefined) => void,
    ages?: Int32Array,
  ): () => void;
}

export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

const AEAD_KIND: Record<AeadAlgorithm, number> = {
  'aes-128-gcm': 1,
  'aes-256-gcm': 2,
  'chacha20-poly1305': 3,
};

/** AAD offset meaning "the AAD is `NativeAead.aad`", not a span of the source buffer. */
export const INLINE_AAD = -1;

/**
 * An AEAD key held by the addon. Write the nonce into `nonce` (and inline AAD into `aad`) before each
 * call. Offsets and lengths are checked in C as well; callers still check untrusted lengths first, since
 * the C check throws (a RangeError) rather than failing quietly.
 */
export class NativeAead {
  /** The 12-byte nonce of the next call. */
  readonly nonce: Uint8Array;
  /** Inline AAD (up to 64 bytes), used when `aadOffset` is INLINE_AAD. */
  readonly aad: Uint8Array;
  private readonly words: Uint32Array;
  private readonly binding: AeadBinding;

  constructor(addon: NativeAddon, algorithm: AeadAlgorithm, key: Uint8Array) {
    this.binding = addon.aeadCreate(AEAD_KIND[algorithm], key);
    this.words = new Uint32Array(this.binding.params, 0, 6);
    this.nonce = new Uint8Array(this.binding.params, 32, 12);
    this.aad = new Uint8Array(this.binding.params, 64, 64);
  }

  private set(
    srcOffset: number,
    length: number,
    dstOffset: number,
    aadOffset: number,
    aadLength: number,
  ): void {
    const w = this.words;
    w[0] = srcOffset;
    w[1] = length;
    w[2] = dstOffset;
    w[3] = Math.max(aadOffset, 0);
    w[4] = aadLength;
    w[5] = aadOffset < 0 ? 1 : 0;
  }

  /**
   * Encrypt src[srcOffset, +length) into dst[dstOffset, +length) (in place when dst is undefined) and
   * write the 16-byte tag after it. AAD: src[aadOffset, +aadLength), or `aad` when aadOffset is INLINE_AAD.
   */
  seal(
    src: Uint8Array,
    srcOffset: number,
    length: number,
    dst: Uint8Array | undefined,
    dstOffset: number,
    aadOffset: number,
    aadLength: number,
  ): void {
    this.set(srcOffset, length, dstOffset, aadOffset, aadLength);
    this.binding.seal(src, dst);
  }

  /**
   * Verify and decrypt src[srcOffset, +length) (its tag follows) into dst[dstOffset, +length), or in
   * place. False when the tag does not match: in place the bytes are then left untouched.
   */
  open(
    src: Uint8Array,
    srcOffset: number,
    length: number,
    dst: Uint8Array | undefined,
    dstOffset: number,
    aadOffset: number,
    aadLength: number,
  ): boolean {
    this.set(srcOffset, length, dstOffset, aadOffset, aadLength);
    return this.binding.open(src, dst);
  }
}

/** SRTP AES-CM + HMAC-SHA1 for one session key pair. Write the 16-byte IV into `iv` before each call. */
export class NativeCm {
  readonly iv: Uint8Array;
  private readonly words: Uint32Array;
  private readonly binding: CmBinding;

  constructor(addon: NativeAddon, key: Uint8Array, authKey: Uint8Array) {
    this.binding = addon.cmCreate(key, authKey);
    this.words = new Uint32Array(this.binding.params, 0, 8);
    this.iv = new Uint8Array(this.binding.params, 32, 16);
  }

  private set(
    encOffset: number,
    encLength: number,
    macOffset: number,
    macLength: number,
    roc: number,
    tagOffset: number,
    tagLength: number,
  ): void {
    const w = this.words;
    w[0] = encOffset;
    w[1] = encLength;
    w[2] = macOffset;
    w[3] = macLength;
    w[4] = Math.max(roc, 0);
    w[5] = roc < 0 ? 0 : 1;
    w[6] = tagOffset;
    w[7] = tagLength;
  }

  /**
   * XOR the keystream over buf[encOffset, +encLength), then write the first tagLength bytes of
   * HMAC(buf[macOffset, +macLength) || ROC) at buf[tagOffset] (no ROC when roc is -1).
   */
  protect(
    buf: Uint8Array,
    encOffset: number,
    encLength: number,
    macOffset: number,
    macLength: number,
    roc: number,
    tagOffset: number,
    tagLength: number,
  ): void {
    this.set(encOffset, encLength, macOffset, macLength, roc, tagOffset, tagLength);
    this.binding.protect(buf);
  }

  /** Check the tag (constant time), and only if it matches decrypt. */
  unprotect(
    buf: Uint8Array,
    encOffset: number,
    encLength: number,
    macOffset: number,
    macLength: number,
    roc: number,
    tagOffset: number,
    tagLength: number,
  ): boolean {
    this.set(encOffset, encLength, macOffset, macLength, roc, tagOffset, tagLength);
    return this.binding.unprotect(buf);
  }
}

export type NativeMode = 'auto' | 'off' | 'required';

export interface NativeStatus {
  /** From TSRTC_NATIVE: '0' off, '1' required, anything else auto. */
  readonly mode: NativeMode;
  readonly loaded: boolean;
  /** The file tried. */
  readonly path: string;
  readonly openssl?: string;
  /** Why it is not in use. */
  readonly reason?: string;
}

const log = createLogger('native');

function modeFromEnv(): NativeMode {
  const v = process.env.TSRTC_NATIVE;
  return v === '0' ? 'off' : v === '1' ? 'required' : 'auto';
}

/** Where the addon is looked for: TSRTC_NATIVE_PATH, else the node-gyp output beside src/ or dist/. */
export function nativeAddonPath(): string {
  return (
    process.env.TSRTC_NATIVE_PATH ||
    fileURLToPath(new URL('../../native/build/Release/tsrtc_native.node', import.meta.url))
  );
}

/** Load the addon from `path` (no caching, no environment): throws with the reason when it cannot. */
export function loadNativeAddon(path = nativeAddonPath()): NativeAddon {
  if (!existsSync(path)) throw new Error(`${path} does not exist (build it with \`npm run build:native\`)`);
  const addon = createRequire(import.meta.url)(path) as Partial<NativeAddon>;
  if (addon.abi !== ABI)
    throw new Error(`${path} speaks ABI ${String(addon.abi)}, expected ${ABI}: rebuild it`);
  if (typeof addon.aeadCreate !== 'function' || typeof addon.cmCreate !== 'function')
    throw new Error(`${path} is not tsrtc's addon`);
  // A round trip proves OpenSSL's symbols resolved and the parameter block works.
  const probe = new NativeAead(addon as NativeAddon, 'aes-128-gcm', new Uint8Array(16));
  const box = new Uint8Array(17);
  probe.seal(box, 0, 1, undefined, 0, INLINE_AAD, 0);
  if (!probe.open(box, 0, 1, undefined, 0, INLINE_AAD, 0) || box[0] !== 0)
    throw new Error(`${path} failed its self-test`);
  return addon as NativeAddon;
}

let cached: { addon: NativeAddon | undefined; status: NativeStatus } | undefined;

function resolve(): { addon: NativeAddon | undefined; status: NativeStatus } {
  if (cached) return cached;
  const mode = modeFromEnv();
  const path = nativeAddonPath();
  if (mode === 'off') {
    cached = { addon: undefined, status: { mode, loaded: false, path, reason: 'TSRTC_NATIVE=0' } };
    log.debug('native addon disabled by TSRTC_NATIVE=0; using the TypeScript path');
    return cached;
  }
  try {
    const addon = loadNativeAddon(path);
    cached = { addon, status: { mode, loaded: true, path, openssl: addon.openssl } };
    log.debug(`native addon loaded from ${path} (${addon.openssl})`);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (mode === 'required')
      throw new Error(`TSRTC_NATIVE=1 but the native addon cannot be loaded: ${reason}`, { cause: e });
    cached = { addon: undefined, status: { mode, loaded: false, path, reason } };
    log.debug(`native addon unavailable, using the TypeScript path: ${reason}`);
  }
  return cached;
}

/** The addon when it is to be used (per TSRTC_NATIVE), else undefined. Loaded on first call. */
export function nativeAddon(): NativeAddon | undefined {
  return resolve().addon;
}

/** Whether the addon is in use, and if not, why. */
export function nativeStatus(): NativeStatus {
  return resolve().status;
}

/**
 * How a cipher picks its engine: 'auto' follows TSRTC_NATIVE, 'typescript' never uses the addon,
 * 'native' must (throws when it is unavailable). Tests use the last two to compare both paths.
 */
export type CipherEngine = 'auto' | 'native' | 'typescript';

export function addonFor(engine: CipherEngine = 'auto'): NativeAddon | undefined {
  if (engine === 'typescript') return undefined;
  if (engine === 'auto') return nativeAddon();
  const { addon, status } = resolve();
  if (addon) return addon;
  // An explicit request bypasses TSRTC_NATIVE=0 (tests compare both paths in one process).
  explicit ??= loadNativeAddon(status.path);
  return explicit;
}

let explicit: NativeAddon | undefined;

// TSRTC_NATIVE=1: fail at start-up, not in the middle of a handshake.
if (modeFromEnv() === 'required') resolve();

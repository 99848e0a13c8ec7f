/**
 * Record protection for one direction of one epoch: AES-GCM and ChaCha20-Poly1305 (AEAD, RFC 5288 /
 * RFC 7905) and AES-CBC with HMAC-SHA1 (RFC 5246 §6.2.3.2).
 *
 * AEAD runs on one of two engines that give the same bytes. With the native addon (src/common/native.ts)
 * one OpenSSL context per key is re-nonced per record and writes straight into the record: a record costs
 * one output view and one native call. Without it (the reference path) each record costs a node:crypto
 * cipher object, since node:crypto cannot re-nonce one. Either way the nonce and AAD buffers are reused
 * and output records are carved from shared slabs rather than pooled Buffers.
 */
import {
  type CipherChaCha20Poly1305,
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { type AeadAlgorithm, addonFor, type CipherEngine, INLINE_AAD, NativeAead } from '../common/native.js';
import { cryptoRandom, type RandomSource } from '../common/random.js';
import { ByteSlab } from '../common/slab.js';
import type { CipherSuite } from './cipher-suites.js';
import { DTLS_1_2, RECORD_HEADER_LENGTH } from './constants.js';
import { writeEpochSequence, writeRecordHeader } from './record.js';
import { CbcProtection } from './record-cipher-cbc.js';

export interface RecordProtection {
  /**
   * Encrypt `plaintext` and return the whole record (header included). The record is the caller's to
   * keep; `plaintext` is not retained.
   */
  seal(type: number, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array;
  /**
   * Decrypt a record fragment (`fragment` from `offset` on: the whole record can be passed with the
   * header length, saving a view per record); undefined when it does not authenticate. The plaintext is
   * new memory (the fragment is neither kept nor changed), the caller's to keep.
   */
  open(
    type: number,
    epoch: number,
    sequence: number,
    fragment: Uint8Array,
    offset?: number,
  ): Uint8Array | undefined;
  /** Bytes a record grows by at most (header excluded), for MTU budgeting. */
  readonly overhead: number;
}

const TAG = 16;
const AAD_LENGTH = 13;

/** Shared by every record protection: outputs are views into slabs, never reused once handed out. */
const slab = new ByteSlab();

function aeadCipher(
  algorithm: AeadAlgorithm,
  key: KeyObject,
  nonce: Uint8Array,
): CipherGCM | CipherChaCha20Poly1305 {
  return algorithm === 'chacha20-poly1305'
    ? createCipheriv(algorithm, key, nonce, { authTagLength: TAG })
    : createCipheriv(algorithm, key, nonce, { authTagLength: TAG });
}

function aeadDecipher(
  algorithm: AeadAlgorithm,
  key: KeyObject,
  nonce: Uint8Array,
): DecipherGCM | DecipherChaCha20Poly1305 {
  return algorithm === 'chacha20-poly1305'
    ? createDecipheriv(algorithm, key, nonce, { authTagLength: TAG })
    : createDecipheriv(algorithm, key, nonce, { authTagLength: TAG });
}

class AeadProtection implements RecordProtection {
  private readonly algorithm: AeadAlgorithm;
  /** The native context, or undefined on the node:crypto path. */
  private readonly native: NativeAead | undefined;
  private readonly key: KeyObject | undefined;
  /** On the native path these are views of the context's parameter block: written, never copied. */
  private readonly nonce: Uint8Array;
  private readonly aad: Uint8Array;
  /** GCM sends an 8-byte explicit nonce; ChaCha20 derives the whole nonce from the sequence (RFC 7905). */
  private readonly explicit: number;
  readonly overhead: number;

  constructor(
    kind: 'aes-gcm' | 'chacha20-poly1305',
    key: Uint8Array,
    private readonly fixedIv: Uint8Array,
    engine: CipherEngine,
  ) {
    this.algorithm =
      kind === 'chacha20-poly1305' ? kind : key.byteLength === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    const addon = addonFor(engine);
    if (addon) {
      this.native = new NativeAead(addon, this.algorithm, key);
      this.nonce = this.native.nonce;
      this.aad = this.native.aad.subarray(0, AAD_LENGTH);
    } else {
      this.key = createSecretKey(key);
      this.nonce = new Uint8Array(12);
      this.aad = new Uint8Array(AAD_LENGTH);
    }
    this.explicit = kind === 'aes-gcm' ? 8 : 0;
    this.overhead = this.explicit + TAG;
    if (this.explicit) this.nonce.set(fixedIv.subarray(0, 4), 0);
  }

  /** True when records go through the native addon. */
  get isNative(): boolean {
    return this.native !== undefined;
  }

  private prepare(type: number, epoch: number, sequence: number, length: number): void {
    const aad = this.aad;
    writeEpochSequence(aad, 0, epoch, sequence);
    aad[8] = type;
    aad[9] = DTLS_1_2 >>> 8;
    aad[10] = DTLS_1_2 & 0xff;
    aad[11] = length >>> 8;
    aad[12] = length & 0xff;
    const n = this.nonce;
    if (this.explicit) {
      for (let i = 0; i < 8; i++) n[4 + i] = aad[i]!;
    } else {
      const iv = this.fixedIv;
      for (let i = 0; i < 4; i++) n[i] = iv[i]!;
      for (let i = 0; i < 8; i++) n[4 + i] = iv[4 + i]! ^ aad[i]!;
    }
  }

  seal(type: number, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array {
    const length = plaintext.byteLength;
    this.prepare(type, epoch, sequence, length);
    const payload = this.explicit + length + TAG;
    const out = slab.take(RECORD_HEADER_LENGTH + payload);
    writeRecordHeader(out, 0, type, epoch, sequence, payload);
    const at = RECORD_HEADER_LENGTH + this.explicit;
    if (this.explicit) for (let i = 0; i < 8; i++) out[RECORD_HEADER_LENGTH + i] = this.aad[i]!;
    if (this.native) {
      this.native.seal(plaintext, 0, length, out, at, INLINE_AAD, AAD_LENGTH);
      return out;
    }
    const cipher = aeadCipher(this.algorithm, this.key!, this.nonce);
    cipher.setAAD(this.aad, { plaintextLength: length });
    const body = cipher.update(plaintext);
    out.set(body, at);
    const tail = cipher.final();
    if (tail.byteLength) out.set(tail, at + body.byteLength);
    out.set(cipher.getAuthTag(), at + length);
    return out;
  }

  open(
    type: number,
    epoch: number,
    sequence: number,
    record: Uint8Array,
    offset = 0,
  ): Uint8Array | undefined {
    const length = record.byteLength - offset - this.explicit - TAG;
    if (length < 0 || offset < 0) return undefined;
    this.prepare(type, epoch, sequence, length);
    if (this.explicit) for (let i = 0; i < 8; i++) this.nonce[4 + i] = record[offset + i]!;
    if (this.native) {
      const out = slab.take(length);
      if (this.native.open(record, offset + this.explicit, length, out, 0, INLINE_AAD, AAD_LENGTH))
        return out;
      slab.giveBack(out);
      return undefined;
    }
    const fragment = offset === 0 ? record : record.subarray(offset);
    try {
      const decipher = aeadDecipher(this.algorithm, this.key!, this.nonce);
      decipher.setAuthTag(fragment.subarray(fragment.byteLength - TAG));
      decipher.setAAD(this.aad, { plaintextLength: length });
      const plain = decipher.update(fragment.subarray(this.explicit, this.explicit + length));
      decipher.final();
      return plain;
    } catch {
      return undefined;
    }
  }
}

/** Keys for both directions of an epoch, sliced from the key block (RFC 5246 §6.3). */
export interface EpochKeys {
  readonly clientWrite: RecordProtection;
  readonly serverWrite: RecordProtection;
}

export function keyBlockLength(suite: CipherSuite): number {
  return 2 * (suite.macKeyLength + suite.keyLength + suite.fixedIvLength);
}

/**
 * `engine` chooses the AEAD implementation: 'auto' (the native addon when TSRTC_NATIVE allows and it
 * loads), 'native' (required) or 'typescript' (node:crypto). CBC suites always use node:crypto, with
 * explicit IVs from `random`.
 */
export function epochKeysFromKeyBlock(
  suite: CipherSuite,
  block: Uint8Array,
  engine: CipherEngine = 'auto',
  random: RandomSource = cryptoRandom,
): EpochKeys {
  let at = 0;
  const take = (n: number): Uint8Array => {
    const v = block.subarray(at, at + n);
    at += n;
    return v;
  };
  const clientMac = take(suite.macKeyLength);
  const serverMac = take(suite.macKeyLength);
  const clientKey = take(suite.keyLength);
  const serverKey = take(suite.keyLength);
  const clientIv = take(suite.fixedIvLength);
  const serverIv = take(suite.fixedIvLength);
  if (suite.kind === 'aes-cbc-hmac-sha1') {
    return {
      clientWrite: new CbcProtection(clientKey, clientMac, random),
      serverWrite: new CbcProtection(serverKey, serverMac, random),
    };
  }
  return {
    clientWrite: new AeadProtection(suite.kind, clientKey, clientIv, engine),
    serverWrite: new AeadProtection(suite.kind, serverKey, serverIv, engine),
  };
}

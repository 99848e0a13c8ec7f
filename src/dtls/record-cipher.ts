/**
 * Record protection for one direction of one epoch: AES-GCM and ChaCha20-Poly1305 (AEAD, RFC 5288 /
 * RFC 7905) and AES-CBC with HMAC-SHA1 (RFC 5246 §6.2.3.2). Keys are KeyObjects made once per epoch and
 * the nonce and additional-data buffers are reused, so a record costs one node:crypto cipher and one output
 * buffer; node:crypto cannot re-key an AEAD cipher with a new nonce, so that one object is the floor.
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
import { cryptoRandom, type RandomSource } from '../common/random.js';
import type { CipherSuite } from './cipher-suites.js';
import { DTLS_1_2, RECORD_HEADER_LENGTH } from './constants.js';
import { writeEpochSequence, writeRecordHeader } from './record.js';
import { CbcProtection } from './record-cipher-cbc.js';

export interface RecordProtection {
  /** Encrypt `plaintext` and return the whole record (header included). */
  seal(type: number, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array;
  /** Decrypt a record fragment; undefined when it does not authenticate. */
  open(type: number, epoch: number, sequence: number, fragment: Uint8Array): Uint8Array | undefined;
  /** Bytes a record grows by at most (header excluded), for MTU budgeting. */
  readonly overhead: number;
}

const TAG = 16;

/**
 * Output for one record: pooled and not zero-filled (every byte gets written), as a plain Uint8Array so
 * that `slice()` copies as callers expect (Buffer's `slice()` would return a view).
 */
function recordBuffer(length: number): Uint8Array {
  const b = Buffer.allocUnsafe(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

function aeadCipher(
  algorithm: AeadAlgorithm,
  key: KeyObject,
  nonce: Buffer,
): CipherGCM | CipherChaCha20Poly1305 {
  return algorithm === 'chacha20-poly1305'
    ? createCipheriv(algorithm, key, nonce, { authTagLength: TAG })
    : createCipheriv(algorithm, key, nonce, { authTagLength: TAG });
}

function aeadDecipher(
  algorithm: AeadAlgorithm,
  key: KeyObject,
  nonce: Buffer,
): DecipherGCM | DecipherChaCha20Poly1305 {
  return algorithm === 'chacha20-poly1305'
    ? createDecipheriv(algorithm, key, nonce, { authTagLength: TAG })
    : createDecipheriv(algorithm, key, nonce, { authTagLength: TAG });
}

class AeadProtection implements RecordProtection {
  private readonly key: KeyObject;
  private readonly algorithm: AeadAlgorithm;
  private readonly nonce = Buffer.alloc(12);
  private readonly aad = Buffer.alloc(13);
  /** GCM sends an 8-byte explicit nonce; ChaCha20 derives the whole nonce from the sequence (RFC 7905). */
  private readonly explicit: number;
  readonly overhead: number;

  constructor(
    kind: 'aes-gcm' | 'chacha20-poly1305',
    key: Uint8Array,
    private readonly fixedIv: Uint8Array,
  ) {
    this.key = createSecretKey(key);
    this.algorithm =
      kind === 'chacha20-poly1305' ? kind : key.byteLength === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    this.explicit = kind === 'aes-gcm' ? 8 : 0;
    this.overhead = this.explicit + TAG;
    if (this.explicit) this.nonce.set(fixedIv.subarray(0, 4), 0);
  }

  private prepare(type: number, epoch: number, sequence: number, length: number): void {
    const aad = this.aad;
    writeEpochSequence(aad, 0, epoch, sequence);
    aad[8] = type;
    aad[9] = DTLS_1_2 >>> 8;
    aad[10] = DTLS_1_2 & 0xff;
    aad[11] = length >>> 8;
    aad[12] = length & 0xff;
    if (this.explicit) {
      this.nonce.set(aad.subarray(0, 8), 4);
    } else {
      const n = this.nonce;
      const iv = this.fixedIv;
      for (let i = 0; i < 4; i++) n[i] = iv[i]!;
      for (let i = 0; i < 8; i++) n[4 + i] = iv[4 + i]! ^ aad[i]!;
    }
  }

  seal(type: number, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array {
    this.prepare(type, epoch, sequence, plaintext.byteLength);
    const payload = this.explicit + plaintext.byteLength + TAG;
    const out = recordBuffer(RECORD_HEADER_LENGTH + payload);
    writeRecordHeader(out, 0, type, epoch, sequence, payload);
    let at = RECORD_HEADER_LENGTH;
    if (this.explicit) {
      out.set(this.aad.subarray(0, 8), at);
      at += 8;
    }
    const cipher = aeadCipher(this.algorithm, this.key, this.nonce);
    cipher.setAAD(this.aad, { plaintextLength: plaintext.byteLength });
    const body = cipher.update(plaintext);
    out.set(body, at);
    at += body.byteLength;
    const tail = cipher.final();
    if (tail.byteLength) {
      out.set(tail, at);
      at += tail.byteLength;
    }
    out.set(cipher.getAuthTag(), at);
    return out;
  }

  open(type: number, epoch: number, sequence: number, fragment: Uint8Array): Uint8Array | undefined {
    const length = fragment.byteLength - this.explicit - TAG;
    if (length < 0) return undefined;
    this.prepare(type, epoch, sequence, length);
    if (this.explicit) this.nonce.set(fragment.subarray(0, 8), 4);
    try {
      const decipher = aeadDecipher(this.algorithm, this.key, this.nonce);
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

export function epochKeysFromKeyBlock(
  suite: CipherSuite,
  block: Uint8Array,
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
    clientWrite: new AeadProtection(suite.kind, clientKey, clientIv),
    serverWrite: new AeadProtection(suite.kind, serverKey, serverIv),
  };
}

/**
 * AES-CBC with HMAC-SHA1 record protection (RFC 5246 §6.2.3.2), for the legacy `_CBC_SHA` suites.
 * node:crypto lets a CBC cipher run on across records, so each direction keeps one cipher object per
 * epoch: records are sealed with RFC 4346 §6.2.3.2 (2)(b) — a random block R goes first and the chain
 * from the previous record is the IV, so the first ciphertext block is an unpredictable explicit IV — and
 * opened by running the whole fragment through one decipher and dropping the first block. HMAC runs from
 * pre-keyed SHA-1 states (`hash.copy()`), not a fresh HMAC per record.
 */
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  type Decipher,
  type Hash,
  timingSafeEqual,
} from 'node:crypto';
import { cryptoRandom, type RandomSource } from '../common/random.js';
import { ByteSlab } from '../common/slab.js';
import { DTLS_1_2, RECORD_HEADER_LENGTH } from './constants.js';
import { writeEpochSequence, writeRecordHeader } from './record.js';
import type { RecordProtection } from './record-cipher.js';

const BLOCK = 16;
const SHA1 = 20;
const SHA1_BLOCK = 64;

/** Sealed records: views the caller keeps (see common/slab.ts). */
const slab = new ByteSlab();

/** HMAC-SHA1 (RFC 2104) from SHA-1 states already keyed with the inner and outer pads. */
class KeyedSha1Hmac {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Uint8Array) {
    const padded = new Uint8Array(SHA1_BLOCK);
    padded.set(key.byteLength > SHA1_BLOCK ? createHash('sha1').update(key).digest() : key);
    this.inner = createHash('sha1').update(padded.map((b) => b ^ 0x36));
    this.outer = createHash('sha1').update(padded.map((b) => b ^ 0x5c));
  }

  digest(header: Uint8Array, content: Uint8Array): Buffer {
    const innerDigest = this.inner.copy().update(header).update(content).digest();
    return this.outer.copy().update(innerDigest).digest();
  }
}

export class CbcProtection implements RecordProtection {
  private readonly mac: KeyedSha1Hmac;
  private readonly macHeader = Buffer.alloc(13);
  private readonly cipher: Cipher;
  private readonly decipher: Decipher;
  /** R || plaintext || MAC || padding before encryption; `update` copies out of it, so it is reused. */
  private inner = Buffer.allocUnsafe(2048);
  readonly overhead = BLOCK + SHA1 + BLOCK;

  constructor(
    key: Uint8Array,
    macKey: Uint8Array,
    private readonly random: RandomSource = cryptoRandom,
  ) {
    const algorithm = `aes-${key.byteLength * 8}-cbc`;
    const iv = random.fill(new Uint8Array(BLOCK));
    this.cipher = createCipheriv(algorithm, key, iv).setAutoPadding(false);
    this.decipher = createDecipheriv(algorithm, key, iv).setAutoPadding(false);
    this.mac = new KeyedSha1Hmac(macKey);
  }

  private authenticate(type: number, epoch: number, sequence: number, content: Uint8Array): Buffer {
    const h = this.macHeader;
    writeEpochSequence(h, 0, epoch, sequence);
    h[8] = type;
    h[9] = DTLS_1_2 >>> 8;
    h[10] = DTLS_1_2 & 0xff;
    h[11] = content.byteLength >>> 8;
    h[12] = content.byteLength & 0xff;
    return this.mac.digest(h, content);
  }

  seal(type: number, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array {
    const mac = this.authenticate(type, epoch, sequence, plaintext);
    const unpadded = plaintext.byteLength + SHA1 + 1;
    const pad = (BLOCK - (unpadded % BLOCK)) % BLOCK;
    // R || plaintext || MAC || padding; the encrypted R is the record's explicit IV.
    const innerLength = BLOCK + unpadded + pad;
    if (this.inner.byteLength < innerLength) this.inner = Buffer.allocUnsafe(innerLength);
    const inner = this.inner.subarray(0, innerLength);
    this.random.fill(inner.subarray(0, BLOCK));
    inner.set(plaintext, BLOCK);
    inner.set(mac, BLOCK + plaintext.byteLength);
    inner.fill(pad, BLOCK + plaintext.byteLength + SHA1);
    const body = this.cipher.update(inner);
    const out = slab.take(RECORD_HEADER_LENGTH + body.byteLength);
    writeRecordHeader(out, 0, type, epoch, sequence, body.byteLength);
    out.set(body, RECORD_HEADER_LENGTH);
    return out;
  }

  open(
    type: number,
    epoch: number,
    sequence: number,
    record: Uint8Array,
    offset = 0,
  ): Uint8Array | undefined {
    const fragment = offset === 0 ? record : record.subarray(offset);
    if (fragment.byteLength < BLOCK * 3 || fragment.byteLength % BLOCK !== 0) return undefined;
    // The first block decrypts against the previous record's chain: garbage, and dropped.
    const plain = this.decipher.update(fragment).subarray(BLOCK);
    // Check padding and MAC together so a bad pad and a bad MAC take one path.
    const pad = plain[plain.byteLength - 1]!;
    let good = pad + 1 + SHA1 <= plain.byteLength;
    const contentLength = good ? plain.byteLength - pad - 1 - SHA1 : 0;
    if (good) for (let i = plain.byteLength - 1 - pad; i < plain.byteLength; i++) good &&= plain[i] === pad;
    const content = plain.subarray(0, contentLength);
    const expected = this.authenticate(type, epoch, sequence, content);
    const received = plain.subarray(contentLength, contentLength + SHA1);
    const macOk = received.byteLength === SHA1 && timingSafeEqual(expected, received);
    return good && macOk ? content : undefined;
  }
}

/** DTLS record headers (RFC 6347 §4.1) and the anti-replay window (§4.1.2.6). */
import { DTLS_1_0, DTLS_1_2, RECORD_HEADER_LENGTH } from './constants.js';

/** Largest plaintext a record may carry (2^14), plus the allowance for expansion on input. */
export const MAX_PLAINTEXT = 16_384;
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;

/** A parsed record header; reused by the caller to avoid an allocation per record. */
export interface RecordHeader {
  type: number;
  version: number;
  epoch: number;
  /** 48-bit record sequence number (exact in a double). */
  sequence: number;
  /** Offset of the record's fragment in the datagram, and its length. */
  fragmentOffset: number;
  fragmentLength: number;
}

export function newRecordHeader(): RecordHeader {
  return { type: 0, version: 0, epoch: 0, sequence: 0, fragmentOffset: 0, fragmentLength: 0 };
}

/**
 * Read the record header at `offset` into `out`. Returns the offset after the record, or -1 when the
 * rest of the datagram is not a well-formed record (the caller drops the rest, as RFC 6347 §4.1.2.7 allows).
 */
export function readRecordHeader(data: Uint8Array, offset: number, out: RecordHeader): number {
  if (data.byteLength - offset < RECORD_HEADER_LENGTH) return -1;
  const type = data[offset]!;
  if (type < 20 || type > 63) return -1;
  const version = (data[offset + 1]! << 8) | data[offset + 2]!;
  if (version !== DTLS_1_2 && version !== DTLS_1_0) return -1;
  const length = (data[offset + 11]! << 8) | data[offset + 12]!;
  const end = offset + RECORD_HEADER_LENGTH + length;
  if (end > data.byteLength || length > MAX_CIPHERTEXT) return -1;
  out.type = type;
  out.version = version;
  out.epoch = (data[offset + 3]! << 8) | data[offset + 4]!;
  out.sequence =
    ((data[offset + 5]! << 8) | data[offset + 6]!) * 0x1_0000_0000 +
    ((data[offset + 7]! << 24) >>> 0) +
    ((data[offset + 8]! << 16) | (data[offset + 9]! << 8) | data[offset + 10]!);
  out.fragmentOffset = offset + RECORD_HEADER_LENGTH;
  out.fragmentLength = length;
  return end;
}

/** Write a 13-byte record header at `at`. */
export function writeRecordHeader(
  out: Uint8Array,
  at: number,
  type: number,
  epoch: number,
  sequence: number,
  length: number,
): void {
  out[at] = type;
  out[at + 1] = DTLS_1_2 >>> 8;
  out[at + 2] = DTLS_1_2 & 0xff;
  writeEpochSequence(out, at + 3, epoch, sequence);
  out[at + 11] = length >>> 8;
  out[at + 12] = length & 0xff;
}

/** The 8-byte epoch||sequence used in record headers, AEAD nonces and MAC inputs. */
export function writeEpochSequence(out: Uint8Array, at: number, epoch: number, sequence: number): void {
  const high = Math.floor(sequence / 0x1_0000_0000);
  const low = sequence >>> 0;
  out[at] = epoch >>> 8;
  out[at + 1] = epoch & 0xff;
  out[at + 2] = high >>> 8;
  out[at + 3] = high & 0xff;
  out[at + 4] = low >>> 24;
  out[at + 5] = (low >>> 16) & 0xff;
  out[at + 6] = (low >>> 8) & 0xff;
  out[at + 7] = low & 0xff;
}

const WINDOW = 64;

/** Sliding anti-replay window of 64 records; updated only after a record authenticates. */
export class ReplayWindow {
  private highest = -1;
  private readonly seen = new Uint8Array(WINDOW);

  /** True when `sequence` is new (not seen and not too old). Does not mark it. */
  check(sequence: number): boolean {
    if (sequence > this.highest) return true;
    if (sequence <= this.highest - WINDOW) return false;
    return this.seen[sequence % WINDOW] === 0;
  }

  /** Record that an authenticated record with `sequence` was accepted. */
  mark(sequence: number): void {
    if (sequence > this.highest) {
      const gap = Math.min(sequence - this.highest, WINDOW);
      for (let i = 1; i < gap; i++) this.seen[(sequence - i) % WINDOW] = 0;
      this.highest = sequence;
    }
    this.seen[sequence % WINDOW] = 1;
  }
}

/** Random identifiers and bytes from the system CSPRNG. */
import { randomBytes as nodeRandomBytes, randomInt, randomUUID } from 'node:crypto';

export function randomBytes(n: number): Uint8Array {
  const b = nodeRandomBytes(n);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A string of ice-chars (RFC 8839 §5.4), as used for ufrag and password. */
export function randomIceString(length: number): string {
  const b = nodeRandomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += ICE_CHARS[b[i]! & 63];
  return s;
}

export function randomUint32(): number {
  return nodeRandomBytes(4).readUInt32BE(0);
}

/** A non-negative integer below 2^53, for tie-breakers and similar. */
export function randomUint64(): bigint {
  return nodeRandomBytes(8).readBigUInt64BE(0);
}

export function randomIntBelow(max: number): number {
  return randomInt(max);
}

export function uuid(): string {
  return randomUUID();
}

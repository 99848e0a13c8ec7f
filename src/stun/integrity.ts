/** Keys and MACs for STUN message integrity (RFC 8489 §9). */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function hmacSha1(key: Uint8Array, data: Uint8Array): Uint8Array {
  return asBytes(createHmac('sha1', key).update(data).digest());
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return asBytes(createHmac('sha256', key).update(data).digest());
}

/** Short-term credential key (ICE): the password itself (OpaqueString-prepared; ICE passwords are ASCII). */
export function shortTermKey(password: string): Uint8Array {
  return new TextEncoder().encode(password);
}

/** Long-term credential key (TURN): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return asBytes(createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest());
}

/** Long-term credential key with the SHA-256 password algorithm (RFC 8489 §18.5.1.2). */
export function longTermKeySha256(username: string, realm: string, password: string): Uint8Array {
  return asBytes(createHash('sha256').update(`${username}:${realm}:${password}`, 'utf8').digest());
}

export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/**
 * The SRTP key derivation function (RFC 3711 §4.3.1, key derivation rate 0), also used by the AEAD
 * profiles (RFC 7714 §11) with their 96-bit salt zero-extended to 112 bits and AES-256 for 256-bit keys.
 */
import { createCipheriv } from 'node:crypto';

export const LABEL = {
  RTP_ENCRYPTION: 0,
  RTP_AUTH: 1,
  RTP_SALT: 2,
  RTCP_ENCRYPTION: 3,
  RTCP_AUTH: 4,
  RTCP_SALT: 5,
} as const;

export function deriveSessionKey(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: number,
  length: number,
): Uint8Array {
  if (masterKey.byteLength !== 16 && masterKey.byteLength !== 32)
    throw new RangeError('master key must be 16 or 32 bytes');
  if (masterSalt.byteLength > 14) throw new RangeError('master salt is at most 14 bytes');
  const blocks = Math.ceil(length / 16);
  const input = new Uint8Array(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    const at = b * 16;
    input.set(masterSalt, at);
    input[at + 7]! ^= label; // key_id = label || r (r = 0) is right-aligned against the 112-bit salt
    input[at + 14] = b >> 8;
    input[at + 15] = b & 0xff;
  }
  const ecb = createCipheriv(masterKey.byteLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', masterKey, null);
  ecb.setAutoPadding(false);
  const out = ecb.update(input);
  return new Uint8Array(out.buffer, out.byteOffset, length).slice();
}

/** Value codecs for STUN attributes (RFC 8489 §14, RFC 8445 §16, RFC 8656 §18). */
import { ByteReader, ByteWriter, copyBytes } from '../common/bytes.js';
import type { TransportAddress } from '../common/engine.js';
import { bytesToIp, ipToBytes } from '../common/ip.js';
import { DEFAULT_REASON, MAGIC_COOKIE } from './constants.js';

export class StunParseError extends Error {
  override name = 'StunParseError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export const encodeString = (s: string): Uint8Array => encoder.encode(s);
export const decodeString = (b: Uint8Array): string => decoder.decode(b);

export function encodeAddress(a: TransportAddress): Uint8Array {
  const ip = ipToBytes(a.address);
  const w = new ByteWriter(4 + ip.byteLength);
  w.u8(0)
    .u8(ip.byteLength === 4 ? 1 : 2)
    .u16(a.port)
    .bytes(ip);
  return w.finish();
}

export function decodeAddress(value: Uint8Array): TransportAddress {
  if (value.byteLength !== 8 && value.byteLength !== 20) {
    throw new StunParseError(`an address attribute has 8 or 20 bytes, not ${value.byteLength}`);
  }
  const r = new ByteReader(value);
  r.skip(1);
  const family = r.u8();
  const port = r.u16();
  if (family === 1 && r.remaining === 4) return { address: bytesToIp(r.bytes(4)), port };
  if (family === 2 && r.remaining === 16) return { address: bytesToIp(r.bytes(16)), port };
  throw new StunParseError(`bad address family ${family} with ${r.remaining} address bytes`);
}

function xorInPlace(addressAndPort: Uint8Array, transactionId: Uint8Array): void {
  // Port (bytes 2-3) XOR the top of the cookie; address XOR cookie || transaction id.
  const mask = new Uint8Array(16);
  new DataView(mask.buffer).setUint32(0, MAGIC_COOKIE);
  mask.set(transactionId, 4);
  addressAndPort[2]! ^= mask[0]!;
  addressAndPort[3]! ^= mask[1]!;
  for (let i = 4; i < addressAndPort.byteLength; i++) addressAndPort[i]! ^= mask[i - 4]!;
}

export function encodeXorAddress(a: TransportAddress, transactionId: Uint8Array): Uint8Array {
  const v = encodeAddress(a);
  xorInPlace(v, transactionId);
  return v;
}

export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array): TransportAddress {
  const copy = copyBytes(value);
  if (copy.byteLength !== 8 && copy.byteLength !== 20) {
    throw new StunParseError(`XOR address of ${copy.byteLength} bytes`);
  }
  xorInPlace(copy, transactionId);
  return decodeAddress(copy);
}

export interface StunErrorValue {
  readonly code: number;
  readonly reason: string;
}

export function encodeErrorCode(code: number, reason = DEFAULT_REASON[code] ?? ''): Uint8Array {
  if (code < 300 || code > 699) throw new RangeError(`STUN error code ${code} outside 300–699`);
  const text = encodeString(reason);
  const w = new ByteWriter(4 + text.byteLength);
  w.u16(0)
    .u8(Math.floor(code / 100))
    .u8(code % 100)
    .bytes(text);
  return w.finish();
}

export function decodeErrorCode(value: Uint8Array): StunErrorValue {
  if (value.byteLength < 4) throw new StunParseError(`ERROR-CODE of ${value.byteLength} bytes`);
  const r = new ByteReader(value);
  r.skip(2);
  const cls = r.u8() & 0x07;
  const number = r.u8();
  if (cls < 3 || cls > 6 || number > 99) throw new StunParseError(`bad ERROR-CODE ${cls}/${number}`);
  return { code: cls * 100 + number, reason: decodeString(r.bytes(r.remaining)) };
}

export function encodeU32(v: number): Uint8Array {
  return new ByteWriter(4).u32(v).finish();
}

export function decodeU32(value: Uint8Array): number {
  if (value.byteLength !== 4) throw new StunParseError(`expected 4 bytes, got ${value.byteLength}`);
  return new ByteReader(value).u32();
}

export function encodeU64(v: bigint): Uint8Array {
  return new ByteWriter(8).u64(v).finish();
}

export function decodeU64(value: Uint8Array): bigint {
  if (value.byteLength !== 8) throw new StunParseError(`expected 8 bytes, got ${value.byteLength}`);
  return new ByteReader(value).u64();
}

export function encodeUnknownAttributes(types: readonly number[]): Uint8Array {
  const w = new ByteWriter(types.length * 2);
  for (const t of types) w.u16(t);
  return w.finish();
}

export function decodeUnknownAttributes(value: Uint8Array): number[] {
  if (value.byteLength % 2 !== 0) throw new StunParseError('UNKNOWN-ATTRIBUTES of odd length');
  const r = new ByteReader(value);
  const out: number[] = [];
  while (r.remaining > 0) out.push(r.u16());
  return out;
}

/** Handshake message bodies (RFC 5246 §7.4, RFC 6347 §4.2, RFC 8422 §5): decode and encode. */
import { ByteReader, ByteWriter } from '../common/bytes.js';
import { ProtocolError } from '../common/errors.js';
import { EC_CURVE_TYPE_NAMED } from './constants.js';
import { type HelloExtensions, readExtensions, writeExtensions } from './extensions.js';

export interface ClientHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: HelloExtensions;
}

export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: HelloExtensions;
}

export interface ServerKeyExchange {
  group: number;
  publicKey: Uint8Array;
  scheme: number;
  signature: Uint8Array;
  /** The ServerECDHParams bytes the signature covers (after the two randoms). */
  params: Uint8Array;
}

export interface CertificateRequest {
  certificateTypes: Uint8Array;
  signatureAlgorithms: number[];
}

export interface DigitallySigned {
  scheme: number;
  signature: Uint8Array;
}

function done(r: ByteReader, what: string): void {
  if (r.remaining !== 0) throw new ProtocolError(`${what}: ${r.remaining} trailing bytes`);
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new ByteReader(body);
  const version = r.u16();
  const random = r.bytes(32);
  const sessionId = r.bytes(r.u8());
  if (sessionId.byteLength > 32) throw new ProtocolError('session id longer than 32');
  const cookie = r.bytes(r.u8());
  const suitesLength = r.u16();
  if (suitesLength % 2 !== 0 || suitesLength === 0) throw new ProtocolError('bad cipher suite list');
  const suites = r.sub(suitesLength);
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  const compressionMethods = r.bytes(r.u8());
  const extensions = readExtensions(r);
  return { version, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
}

export function encodeClientHello(m: ClientHello): Uint8Array {
  const w = new ByteWriter(256);
  w.u16(m.version).bytes(m.random);
  w.u8(m.sessionId.byteLength).bytes(m.sessionId);
  w.u8(m.cookie.byteLength).bytes(m.cookie);
  w.u16(m.cipherSuites.length * 2);
  for (const s of m.cipherSuites) w.u16(s);
  w.u8(m.compressionMethods.byteLength).bytes(m.compressionMethods);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body);
  const version = r.u16();
  const random = r.bytes(32);
  const sessionId = r.bytes(r.u8());
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions = readExtensions(r);
  return { version, random, sessionId, cipherSuite, compressionMethod, extensions };
}

export function encodeServerHello(m: ServerHello): Uint8Array {
  const w = new ByteWriter(128);
  w.u16(m.version).bytes(m.random);
  w.u8(m.sessionId.byteLength).bytes(m.sessionId);
  w.u16(m.cipherSuite).u8(m.compressionMethod);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeHelloVerifyRequest(body: Uint8Array): { version: number; cookie: Uint8Array } {
  const r = new ByteReader(body);
  const version = r.u16();
  const cookie = r.bytes(r.u8());
  done(r, 'HelloVerifyRequest');
  return { version, cookie };
}

export function encodeHelloVerifyRequest(version: number, cookie: Uint8Array): Uint8Array {
  return new ByteWriter(3 + cookie.byteLength).u16(version).u8(cookie.byteLength).bytes(cookie).finish();
}

/** Maximum certificates accepted in a chain; WebRTC sends one. */
const MAX_CHAIN = 8;

export function decodeCertificate(body: Uint8Array): Uint8Array[] {
  const r = new ByteReader(body);
  const list = r.sub(r.u24());
  done(r, 'Certificate');
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) {
    const der = list.bytes(list.u24());
    if (der.byteLength === 0) throw new ProtocolError('empty certificate');
    chain.push(der);
    if (chain.length > MAX_CHAIN) throw new ProtocolError('certificate chain too long');
  }
  return chain;
}

export function encodeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(1024);
  let total = 0;
  for (const c of chain) total += 3 + c.byteLength;
  w.u24(total);
  for (const c of chain) w.u24(c.byteLength).bytes(c);
  return w.finish();
}

export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new ByteReader(body);
  const start = r.offset;
  if (r.u8() !== EC_CURVE_TYPE_NAMED) throw new ProtocolError('only named curves are supported');
  const group = r.u16();
  const publicKey = r.bytes(r.u8());
  const params = body.subarray(start, r.offset);
  const scheme = r.u16();
  const signature = r.bytes(r.u16());
  done(r, 'ServerKeyExchange');
  return { group, publicKey, scheme, signature, params };
}

export function encodeEcdhParams(group: number, publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(4 + publicKey.byteLength)
    .u8(EC_CURVE_TYPE_NAMED)
    .u16(group)
    .u8(publicKey.byteLength)
    .bytes(publicKey)
    .finish();
}

export function encodeServerKeyExchange(params: Uint8Array, signed: DigitallySigned): Uint8Array {
  const w = new ByteWriter(params.byteLength + 4 + signed.signature.byteLength);
  w.bytes(params).u16(signed.scheme).u16(signed.signature.byteLength).bytes(signed.signature);
  return w.finish();
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new ByteReader(body);
  const certificateTypes = r.bytes(r.u8());
  const length = r.u16();
  if (length % 2 !== 0) throw new ProtocolError('bad signature algorithm list');
  const list = r.sub(length);
  const signatureAlgorithms: number[] = [];
  while (list.remaining > 0) signatureAlgorithms.push(list.u16());
  r.skip(r.u16()); // certificate_authorities: unused by WebRTC
  done(r, 'CertificateRequest');
  return { certificateTypes, signatureAlgorithms };
}

export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(m.certificateTypes.byteLength).bytes(m.certificateTypes);
  w.u16(m.signatureAlgorithms.length * 2);
  for (const s of m.signatureAlgorithms) w.u16(s);
  w.u16(0);
  return w.finish();
}

export function decodeClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new ByteReader(body);
  const point = r.bytes(r.u8());
  done(r, 'ClientKeyExchange');
  if (point.byteLength === 0) throw new ProtocolError('empty ECDH public key');
  return point;
}

export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(1 + publicKey.byteLength).u8(publicKey.byteLength).bytes(publicKey).finish();
}

export function decodeDigitallySigned(body: Uint8Array): DigitallySigned {
  const r = new ByteReader(body);
  const scheme = r.u16();
  const signature = r.bytes(r.u16());
  done(r, 'CertificateVerify');
  return { scheme, signature };
}

export function encodeDigitallySigned(m: DigitallySigned): Uint8Array {
  return new ByteWriter(4 + m.signature.byteLength)
    .u16(m.scheme)
    .u16(m.signature.byteLength)
    .bytes(m.signature)
    .finish();
}

export function decodeFinished(body: Uint8Array): Uint8Array {
  if (body.byteLength !== 12) throw new ProtocolError('Finished must carry 12 bytes');
  return body;
}

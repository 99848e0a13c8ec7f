/**
 * STUN messages (RFC 8489): parse as views over the datagram, build with typed helpers, serialize with
 * MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 / FINGERPRINT computed over the exact bytes.
 */
import { ByteReader, ByteWriter, copyBytes } from '../common/bytes.js';
import { crc32 } from '../common/crc.js';
import type { TransportAddress } from '../common/engine.js';
import { randomBytes } from '../common/random.js';
import {
  decodeAddress,
  decodeErrorCode,
  decodeString,
  decodeU32,
  decodeU64,
  decodeUnknownAttributes,
  decodeXorAddress,
  encodeAddress,
  encodeErrorCode,
  encodeString,
  encodeU32,
  encodeU64,
  encodeUnknownAttributes,
  encodeXorAddress,
  type StunErrorValue,
  StunParseError,
} from './attributes.js';
import {
  FINGERPRINT_XOR,
  HEADER_LENGTH,
  KNOWN_ATTRIBUTES,
  MAGIC_COOKIE,
  StunAttr,
  type StunClass,
} from './constants.js';
import { hmacSha1, hmacSha256, timingSafeEqualBytes } from './integrity.js';

export interface StunAttribute {
  readonly type: number;
  readonly value: Uint8Array;
  /** Offset of the attribute header in the parsed datagram (absent on built messages). */
  readonly offset?: number;
}

const CLASS_BITS: Record<StunClass, number> = {
  request: 0x000,
  indication: 0x010,
  success: 0x100,
  error: 0x110,
};

function classFromType(type: number): StunClass {
  switch (type & 0x110) {
    case 0x000:
      return 'request';
    case 0x010:
      return 'indication';
    case 0x100:
      return 'success';
    default:
      return 'error';
  }
}

function methodFromType(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

function typeFromMethodClass(method: number, cls: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | CLASS_BITS[cls];
}

/** Quick check of the fixed header: top bits, cookie, length. Cheap enough for every datagram. */
export function isStunMessage(data: Uint8Array): boolean {
  if (data.byteLength < HEADER_LENGTH || (data[0]! & 0xc0) !== 0) return false;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = v.getUint16(2);
  return v.getUint32(4) === MAGIC_COOKIE && (length & 3) === 0 && length + HEADER_LENGTH === data.byteLength;
}

export interface SerializeOptions {
  /** Adds MESSAGE-INTEGRITY (HMAC-SHA1) keyed with this key. */
  integrityKey?: Uint8Array;
  /** Adds MESSAGE-INTEGRITY-SHA256 keyed with this key. */
  integritySha256Key?: Uint8Array;
  /** Adds FINGERPRINT last. */
  fingerprint?: boolean;
  /** Byte used to pad attribute values to 4 bytes (any value is legal; RFC 5769 vectors use 0x20). */
  paddingByte?: number;
}

export class StunMessage {
  method: number;
  messageClass: StunClass;
  readonly transactionId: Uint8Array;
  readonly attributes: StunAttribute[];
  /** The datagram this message was parsed from (for integrity checks); undefined when built locally. */
  readonly raw: Uint8Array | undefined;

  constructor(
    method: number,
    messageClass: StunClass,
    transactionId: Uint8Array = randomBytes(12),
    attributes: StunAttribute[] = [],
    raw?: Uint8Array,
  ) {
    if (transactionId.byteLength !== 12) throw new RangeError('a STUN transaction id has 12 bytes');
    this.method = method;
    this.messageClass = messageClass;
    this.transactionId = transactionId;
    this.attributes = attributes;
    this.raw = raw;
  }

  /** Parse a datagram. Throws StunParseError for anything malformed; never reads out of bounds. */
  static parse(data: Uint8Array): StunMessage {
    if (!isStunMessage(data)) throw new StunParseError('not a STUN message (header, cookie or length)');
    const r = new ByteReader(data);
    const type = r.u16();
    r.skip(6);
    const transactionId = r.bytes(12);
    const attributes: StunAttribute[] = [];
    let sawIntegrity = false;
    let sawFingerprint = false;
    while (r.remaining > 0) {
      const offset = r.offset;
      if (r.remaining < 4) throw new StunParseError('truncated attribute header');
      const atype = r.u16();
      const length = r.u16();
      if (length > r.remaining)
        throw new StunParseError(`attribute 0x${atype.toString(16)} length ${length} overruns`);
      const value = r.bytes(length);
      r.skip(Math.min((4 - (length & 3)) & 3, r.remaining));
      if (sawFingerprint) throw new StunParseError('attribute after FINGERPRINT');
      // After MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow (RFC 8489 §14.5).
      if (
        sawIntegrity &&
        atype !== StunAttr.Fingerprint &&
        atype !== StunAttr.MessageIntegritySha256 &&
        atype !== StunAttr.MessageIntegrity
      ) {
        continue;
      }
      if (atype === StunAttr.MessageIntegrity || atype === StunAttr.MessageIntegritySha256)
        sawIntegrity = true;
      if (atype === StunAttr.Fingerprint) sawFingerprint = true;
      attributes.push({ type: atype, value, offset });
    }
    return new StunMessage(methodFromType(type), classFromType(type), transactionId, attributes, data);
  }

  /** Parse or return undefined (for demultiplexing paths that must not throw). */
  static tryParse(data: Uint8Array): StunMessage | undefined {
    try {
      return StunMessage.parse(data);
    } catch {
      return undefined;
    }
  }

  // ---- generic access

  get(type: number): Uint8Array | undefined {
    for (const a of this.attributes) if (a.type === type) return a.value;
    return undefined;
  }

  getAll(type: number): Uint8Array[] {
    return this.attributes.filter((a) => a.type === type).map((a) => a.value);
  }

  has(type: number): boolean {
    return this.attributes.some((a) => a.type === type);
  }

  add(type: number, value: Uint8Array = new Uint8Array(0)): this {
    this.attributes.push({ type, value });
    return this;
  }

  /** Comprehension-required attribute types (< 0x8000) that this implementation does not know. */
  unknownComprehensionRequired(known: ReadonlySet<number> = KNOWN_ATTRIBUTES): number[] {
    return [...new Set(this.attributes.map((a) => a.type).filter((t) => t < 0x8000 && !known.has(t)))];
  }

  // ---- typed helpers (getters return undefined when absent; throw StunParseError when malformed)

  private str(type: number): string | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeString(v);
  }

  get username(): string | undefined {
    return this.str(StunAttr.Username);
  }
  get realm(): string | undefined {
    return this.str(StunAttr.Realm);
  }
  get nonce(): string | undefined {
    return this.str(StunAttr.Nonce);
  }
  get software(): string | undefined {
    return this.str(StunAttr.Software);
  }
  get errorCode(): StunErrorValue | undefined {
    const v = this.get(StunAttr.ErrorCode);
    return v === undefined ? undefined : decodeErrorCode(v);
  }
  get unknownAttributes(): number[] | undefined {
    const v = this.get(StunAttr.UnknownAttributes);
    return v === undefined ? undefined : decodeUnknownAttributes(v);
  }
  get mappedAddress(): TransportAddress | undefined {
    const v = this.get(StunAttr.MappedAddress);
    return v === undefined ? undefined : decodeAddress(v);
  }
  get alternateServer(): TransportAddress | undefined {
    const v = this.get(StunAttr.AlternateServer);
    return v === undefined ? undefined : decodeAddress(v);
  }
  private xorAddr(type: number): TransportAddress | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeXorAddress(v, this.transactionId);
  }
  get xorMappedAddress(): TransportAddress | undefined {
    return this.xorAddr(StunAttr.XorMappedAddress);
  }
  get xorRelayedAddress(): TransportAddress | undefined {
    return this.xorAddr(StunAttr.XorRelayedAddress);
  }
  get xorRelayedAddresses(): TransportAddress[] {
    return this.getAll(StunAttr.XorRelayedAddress).map((v) => decodeXorAddress(v, this.transactionId));
  }
  get xorPeerAddress(): TransportAddress | undefined {
    return this.xorAddr(StunAttr.XorPeerAddress);
  }
  get xorPeerAddresses(): TransportAddress[] {
    return this.getAll(StunAttr.XorPeerAddress).map((v) => decodeXorAddress(v, this.transactionId));
  }
  private u32(type: number): number | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeU32(v);
  }
  get priority(): number | undefined {
    return this.u32(StunAttr.Priority);
  }
  get lifetime(): number | undefined {
    return this.u32(StunAttr.Lifetime);
  }
  get channelNumber(): number | undefined {
    const v = this.u32(StunAttr.ChannelNumber);
    return v === undefined ? undefined : v >>> 16;
  }
  get requestedTransport(): number | undefined {
    const v = this.u32(StunAttr.RequestedTransport);
    return v === undefined ? undefined : v >>> 24;
  }
  get useCandidate(): boolean {
    return this.has(StunAttr.UseCandidate);
  }
  get iceControlling(): bigint | undefined {
    const v = this.get(StunAttr.IceControlling);
    return v === undefined ? undefined : decodeU64(v);
  }
  get iceControlled(): bigint | undefined {
    const v = this.get(StunAttr.IceControlled);
    return v === undefined ? undefined : decodeU64(v);
  }
  get data(): Uint8Array | undefined {
    return this.get(StunAttr.Data);
  }

  setString(type: number, value: string): this {
    return this.add(type, encodeString(value));
  }
  setUsername(v: string): this {
    return this.setString(StunAttr.Username, v);
  }
  setRealm(v: string): this {
    return this.setString(StunAttr.Realm, v);
  }
  setNonce(v: string): this {
    return this.setString(StunAttr.Nonce, v);
  }
  setSoftware(v: string): this {
    return this.setString(StunAttr.Software, v);
  }
  setErrorCode(code: number, reason?: string): this {
    return this.add(StunAttr.ErrorCode, encodeErrorCode(code, reason));
  }
  setUnknownAttributes(types: readonly number[]): this {
    return this.add(StunAttr.UnknownAttributes, encodeUnknownAttributes(types));
  }
  setMappedAddress(a: TransportAddress): this {
    return this.add(StunAttr.MappedAddress, encodeAddress(a));
  }
  setAlternateServer(a: TransportAddress): this {
    return this.add(StunAttr.AlternateServer, encodeAddress(a));
  }
  setXorAddress(type: number, a: TransportAddress): this {
    return this.add(type, encodeXorAddress(a, this.transactionId));
  }
  setXorMappedAddress(a: TransportAddress): this {
    return this.setXorAddress(StunAttr.XorMappedAddress, a);
  }
  setXorPeerAddress(a: TransportAddress): this {
    return this.setXorAddress(StunAttr.XorPeerAddress, a);
  }
  setXorRelayedAddress(a: TransportAddress): this {
    return this.setXorAddress(StunAttr.XorRelayedAddress, a);
  }
  setPriority(v: number): this {
    return this.add(StunAttr.Priority, encodeU32(v));
  }
  setLifetime(seconds: number): this {
    return this.add(StunAttr.Lifetime, encodeU32(seconds));
  }
  setChannelNumber(channel: number): this {
    return this.add(StunAttr.ChannelNumber, encodeU32((channel << 16) >>> 0));
  }
  setRequestedTransport(protocol: number): this {
    return this.add(StunAttr.RequestedTransport, encodeU32((protocol << 24) >>> 0));
  }
  setUseCandidate(): this {
    return this.add(StunAttr.UseCandidate);
  }
  setIceControlling(tieBreaker: bigint): this {
    return this.add(StunAttr.IceControlling, encodeU64(tieBreaker));
  }
  setIceControlled(tieBreaker: bigint): this {
    return this.add(StunAttr.IceControlled, encodeU64(tieBreaker));
  }
  setData(data: Uint8Array): this {
    return this.add(StunAttr.Data, data);
  }

  // ---- serialization

  serialize(options: SerializeOptions = {}): Uint8Array {
    const w = new ByteWriter(
      HEADER_LENGTH + 64 + this.attributes.reduce((n, a) => n + 4 + a.value.byteLength, 0),
    );
    w.u16(typeFromMethodClass(this.method, this.messageClass))
      .u16(0)
      .u32(MAGIC_COOKIE)
      .bytes(this.transactionId);
    for (const a of this.attributes) {
      if (
        a.type === StunAttr.MessageIntegrity ||
        a.type === StunAttr.MessageIntegritySha256 ||
        a.type === StunAttr.Fingerprint
      ) {
        continue; // recomputed below
      }
      writeAttribute(w, a.type, a.value, options.paddingByte);
    }
    if (options.integrityKey) {
      w.setU16(2, w.offset - HEADER_LENGTH + 24);
      const mac = hmacSha1(options.integrityKey, w.finish());
      writeAttribute(w, StunAttr.MessageIntegrity, mac);
    }
    if (options.integritySha256Key) {
      w.setU16(2, w.offset - HEADER_LENGTH + 36);
      const mac = hmacSha256(options.integritySha256Key, w.finish());
      writeAttribute(w, StunAttr.MessageIntegritySha256, mac);
    }
    if (options.fingerprint) {
      w.setU16(2, w.offset - HEADER_LENGTH + 8);
      const crc = (crc32(w.finish()) ^ FINGERPRINT_XOR) >>> 0;
      writeAttribute(w, StunAttr.Fingerprint, encodeU32(crc));
    }
    w.setU16(2, w.offset - HEADER_LENGTH);
    return w.finish().slice();
  }

  // ---- verification of parsed messages

  /** Verify MESSAGE-INTEGRITY (HMAC-SHA1) with `key`. False when absent, malformed or wrong. */
  verifyIntegrity(key: Uint8Array): boolean {
    return this.verifyMac(StunAttr.MessageIntegrity, 20, key, hmacSha1);
  }

  /** Verify MESSAGE-INTEGRITY-SHA256 with `key`. */
  verifyIntegritySha256(key: Uint8Array): boolean {
    return this.verifyMac(StunAttr.MessageIntegritySha256, 32, key, hmacSha256);
  }

  private verifyMac(
    type: number,
    size: number,
    key: Uint8Array,
    mac: (key: Uint8Array, data: Uint8Array) => Uint8Array,
  ): boolean {
    const raw = this.raw;
    const attr = this.attributes.find((a) => a.type === type);
    if (!raw || !attr || attr.offset === undefined || attr.value.byteLength < size) return false;
    // HMAC over the header (length covering up to the end of this attribute) and every attribute before it.
    const covered = copyBytes(raw, 0, attr.offset);
    new DataView(covered.buffer).setUint16(2, attr.offset - HEADER_LENGTH + 4 + attr.value.byteLength);
    return timingSafeEqualBytes(mac(key, covered).subarray(0, size), attr.value.subarray(0, size));
  }

  /** True when FINGERPRINT is present and correct. */
  verifyFingerprint(): boolean {
    const raw = this.raw;
    const attr = this.attributes.find((a) => a.type === StunAttr.Fingerprint);
    if (!raw || !attr || attr.offset === undefined || attr.value.byteLength !== 4) return false;
    const covered = copyBytes(raw, 0, attr.offset);
    new DataView(covered.buffer).setUint16(2, attr.offset - HEADER_LENGTH + 8);
    return (crc32(covered) ^ FINGERPRINT_XOR) >>> 0 === decodeU32(attr.value);
  }

  /** A response with the same method and transaction id. */
  createResponse(cls: 'success' | 'error'): StunMessage {
    return new StunMessage(this.method, cls, this.transactionId);
  }

  get transactionKey(): string {
    return transactionKey(this.transactionId);
  }
}

export function transactionKey(transactionId: Uint8Array): string {
  return Buffer.from(transactionId.buffer, transactionId.byteOffset, transactionId.byteLength).toString(
    'hex',
  );
}

function writeAttribute(w: ByteWriter, type: number, value: Uint8Array, paddingByte = 0): void {
  if (value.byteLength > 0xffff) throw new RangeError(`STUN attribute 0x${type.toString(16)} too long`);
  w.u16(type).u16(value.byteLength).bytes(value);
  const pad = (4 - (value.byteLength & 3)) & 3;
  for (let i = 0; i < pad; i++) w.u8(paddingByte);
}

export { StunParseError };

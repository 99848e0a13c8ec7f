/**
 * RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions. `parse` returns views over the datagram:
 * the payload, CSRC-free header fields and extension data all share the caller's memory.
 */
import { ProtocolError } from '../common/errors.js';
import {
  extensionBlockLength,
  fitsOneByteForm,
  isOneByteProfile,
  isTwoByteProfile,
  ONE_BYTE_PROFILE,
  parseExtensionElements,
  type RtpHeaderExtension,
  TWO_BYTE_PROFILE,
  writeExtensionElements,
} from './header-extensions.js';

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;

export interface RtpPacketInit {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  csrcs?: number[];
  payload?: Uint8Array;
  /** Number of padding bytes to append (0 = none, else 1–255, the last one holding the count). */
  padding?: number;
  extensions?: RtpHeaderExtension[];
  /** 0xBEDE, 0x100X, or another profile whose raw body is in `extensionData`. */
  extensionProfile?: number;
  extensionData?: Uint8Array;
}

export class RtpPacket {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  csrcs: number[];
  payload: Uint8Array;
  /** Count of padding bytes after the payload (0 when the P bit is clear). */
  padding: number;
  /** RFC 8285 elements (empty for no extension or a non-RFC 8285 profile). */
  extensions: RtpHeaderExtension[];
  /** Profile of the extension block, or undefined when the X bit is clear. */
  extensionProfile: number | undefined;
  /** Raw body of a non-RFC 8285 extension block (kept as is). */
  extensionData: Uint8Array | undefined;

  constructor(init: RtpPacketInit) {
    this.payloadType = init.payloadType;
    this.sequenceNumber = init.sequenceNumber;
    this.timestamp = init.timestamp;
    this.ssrc = init.ssrc;
    this.marker = init.marker ?? false;
    this.csrcs = init.csrcs ?? [];
    this.payload = init.payload ?? new Uint8Array(0);
    this.padding = init.padding ?? 0;
    this.extensions = init.extensions ?? [];
    this.extensionProfile = init.extensionProfile ?? (this.extensions.length ? ONE_BYTE_PROFILE : undefined);
    this.extensionData = init.extensionData;
  }

  /** Parse a datagram; throws ProtocolError when malformed. Fields are views into `data`. */
  static parse(data: Uint8Array): RtpPacket {
    const len = data.byteLength;
    if (len < RTP_HEADER_SIZE) throw new ProtocolError('RTP packet shorter than its fixed header');
    const b0 = data[0]!;
    if (b0 >> 6 !== RTP_VERSION) throw new ProtocolError('RTP version is not 2');
    const cc = b0 & 0x0f;
    let at = RTP_HEADER_SIZE + cc * 4;
    if (at > len) throw new ProtocolError('RTP CSRC list overruns the packet');
    const view = new DataView(data.buffer, data.byteOffset, len);
    const csrcs: number[] = [];
    for (let i = 0; i < cc; i++) csrcs.push(view.getUint32(RTP_HEADER_SIZE + i * 4));
    let extensionProfile: number | undefined;
    let extensions: RtpHeaderExtension[] = [];
    let extensionData: Uint8Array | undefined;
    if (b0 & 0x10) {
      if (at + 4 > len) throw new ProtocolError('RTP extension header overruns the packet');
      extensionProfile = view.getUint16(at);
      const bodyLen = view.getUint16(at + 2) * 4;
      at += 4;
      if (at + bodyLen > len) throw new ProtocolError('RTP extension length overruns the packet');
      const body = data.subarray(at, at + bodyLen);
      if (isOneByteProfile(extensionProfile) || isTwoByteProfile(extensionProfile)) {
        extensions = parseExtensionElements(extensionProfile, body);
      } else {
        extensionData = body;
      }
      at += bodyLen;
    }
    let end = len;
    let padding = 0;
    if (b0 & 0x20) {
      padding = data[len - 1]!;
      if (padding === 0 || at + padding > len) throw new ProtocolError('RTP padding count is invalid');
      end -= padding;
    }
    const packet = new RtpPacket({
      payloadType: data[1]! & 0x7f,
      sequenceNumber: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      marker: (data[1]! & 0x80) !== 0,
      csrcs,
      payload: data.subarray(at, end),
      padding,
      extensions,
    });
    packet.extensionProfile = extensionProfile;
    packet.extensionData = extensionData;
    return packet;
  }

  /** Parse, or undefined when malformed. */
  static tryParse(data: Uint8Array): RtpPacket | undefined {
    try {
      return RtpPacket.parse(data);
    } catch (e) {
      if (e instanceof ProtocolError) return undefined;
      throw e;
    }
  }

  /** The extension element with this id (a view), if present. */
  getExtension(id: number): Uint8Array | undefined {
    for (const e of this.extensions) if (e.id === id) return e.data;
    return undefined;
  }

  /** Add or replace an element. */
  setExtension(id: number, data: Uint8Array): void {
    for (const e of this.extensions) {
      if (e.id === id) {
        e.data = data;
        return;
      }
    }
    this.extensions.push({ id, data });
    if (this.extensionProfile === undefined || this.extensionData !== undefined) {
      this.extensionProfile = ONE_BYTE_PROFILE;
      this.extensionData = undefined;
    }
  }

  removeExtension(id: number): boolean {
    const i = this.extensions.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.extensions.splice(i, 1);
    return true;
  }

  /** Bytes of everything before the payload. */
  get headerLength(): number {
    let n = RTP_HEADER_SIZE + this.csrcs.length * 4;
    const form = this.extensionForm();
    if (form === 'raw') n += 4 + this.extensionData!.byteLength;
    else if (form !== 'none') n += 4 + extensionBlockLength(this.extensions, form === 'one-byte');
    return n;
  }

  get serializedLength(): number {
    return this.headerLength + this.payload.byteLength + this.padding;
  }

  /** Which form the extension block is written in: keeps the parsed form when the elements still fit it. */
  private extensionForm(): 'none' | 'raw' | 'one-byte' | 'two-byte' {
    if (this.extensionData !== undefined && this.extensionProfile !== undefined) return 'raw';
    if (this.extensionProfile !== undefined && isTwoByteProfile(this.extensionProfile)) return 'two-byte';
    if (this.extensions.length === 0) return this.extensionProfile === undefined ? 'none' : 'one-byte';
    return fitsOneByteForm(this.extensions) ? 'one-byte' : 'two-byte';
  }

  /** Write into `out` at `offset`; returns bytes written. Throws RangeError when `out` is too small. */
  serializeTo(out: Uint8Array, offset = 0): number {
    const total = this.serializedLength;
    if (offset + total > out.byteLength) throw new RangeError(`RTP packet needs ${total} bytes`);
    if (this.csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
    if (this.padding < 0 || this.padding > 255) throw new RangeError('padding must be 0–255');
    const view = new DataView(out.buffer, out.byteOffset + offset, total);
    const form = this.extensionForm();
    view.setUint8(
      0,
      (RTP_VERSION << 6) | (this.padding ? 0x20 : 0) | (form !== 'none' ? 0x10 : 0) | this.csrcs.length,
    );
    view.setUint8(1, (this.marker ? 0x80 : 0) | (this.payloadType & 0x7f));
    view.setUint16(2, this.sequenceNumber & 0xffff);
    view.setUint32(4, this.timestamp >>> 0);
    view.setUint32(8, this.ssrc >>> 0);
    let at = RTP_HEADER_SIZE;
    for (const c of this.csrcs) {
      view.setUint32(at, c >>> 0);
      at += 4;
    }
    if (form === 'raw') {
      const body = this.extensionData!;
      view.setUint16(at, this.extensionProfile!);
      view.setUint16(at + 2, body.byteLength >> 2);
      out.set(body, offset + at + 4);
      at += 4 + body.byteLength;
    } else if (form !== 'none') {
      const oneByte = form === 'one-byte';
      const profile = oneByte
        ? ONE_BYTE_PROFILE
        : this.extensionProfile !== undefined && isTwoByteProfile(this.extensionProfile)
          ? this.extensionProfile
          : TWO_BYTE_PROFILE;
      const bodyLen = writeExtensionElements(this.extensions, oneByte, out, offset + at + 4);
      view.setUint16(at, profile);
      view.setUint16(at + 2, bodyLen >> 2);
      at += 4 + bodyLen;
    }
    out.set(this.payload, offset + at);
    at += this.payload.byteLength;
    if (this.padding) {
      out.fill(0, offset + at, offset + at + this.padding - 1);
      at += this.padding;
      view.setUint8(at - 1, this.padding);
    }
    return at;
  }

  serialize(): Uint8Array {
    // from Node's buffer pool (fully overwritten below), exposed as a plain Uint8Array so slice() copies
    const pooled = Buffer.allocUnsafe(this.serializedLength);
    const out = new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength);
    this.serializeTo(out, 0);
    return out;
  }

  clone(): RtpPacket {
    const copy = new RtpPacket({
      payloadType: this.payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      marker: this.marker,
      csrcs: [...this.csrcs],
      payload: this.payload,
      padding: this.padding,
      extensions: this.extensions.map((e) => ({ id: e.id, data: e.data })),
    });
    copy.extensionProfile = this.extensionProfile;
    copy.extensionData = this.extensionData;
    return copy;
  }
}

/** RFC 7983 demultiplexing: an RTP or RTCP packet starts with a byte in 128–191. */
export function isRtpOrRtcp(data: Uint8Array): boolean {
  return data.byteLength >= 1 && data[0]! >= 128 && data[0]! <= 191;
}

/** RFC 5761 §4: payload types 64–95 (marker bit included: bytes 192–223) are RTCP packet types. */
export function isRtcp(data: Uint8Array): boolean {
  return data.byteLength >= 2 && data[1]! >= 192 && data[1]! <= 223;
}

/**
 * Encoders and decoders for SCTP control chunks. Decoders read from a bounds-checked ByteReader over
 * the chunk body and throw TruncatedError / ProtocolError on malformed input; the association catches,
 * counts and drops. DATA and I-DATA are read inline by the receiver (hot path).
 */
import { ByteReader, ByteWriter } from '../common/bytes.js';
import { ProtocolError } from '../common/errors.js';
import { ChunkType, ParamType, ZERO_CHECKSUM_METHOD_DTLS } from './constants.js';

export interface InitChunk {
  initiateTag: number;
  advertisedReceiverWindow: number;
  outboundStreams: number;
  inboundStreams: number;
  initialTsn: number;
  /** INIT-ACK only. */
  stateCookie: Uint8Array | undefined;
  forwardTsn: boolean;
  reconfig: boolean;
  interleaving: boolean;
  zeroChecksum: boolean;
  /** Unrecognized parameters whose type asks to be reported (INIT-ACK lists them back). */
  unrecognized: Uint8Array[];
}

export interface SackChunk {
  cumulativeTsnAck: number;
  advertisedReceiverWindow: number;
  /** Gap ack blocks as [start, end] offsets from the cumulative TSN, flattened. */
  gaps: number[];
  duplicates: number;
}

export interface ForwardTsnStream {
  streamId: number;
  unordered: boolean;
  /** SSN (FORWARD-TSN) or MID (I-FORWARD-TSN). */
  sequence: number;
}

export interface ForwardTsnChunk {
  newCumulativeTsn: number;
  streams: ForwardTsnStream[];
}

/** Start a chunk: type, flags, a length filled in by `endChunk`. */
function beginChunk(type: number, flags = 0, capacity = 64): ByteWriter {
  return new ByteWriter(capacity).u8(type).u8(flags).u16(0);
}

function endChunk(w: ByteWriter): Uint8Array {
  w.setU16(2, w.offset);
  return w.finish();
}

function param(w: ByteWriter, type: number, body: Uint8Array | undefined): void {
  const length = 4 + (body?.byteLength ?? 0);
  w.u16(type).u16(length);
  if (body) w.bytes(body);
  const pad = ((length + 3) & ~3) - length;
  if (pad) w.zeros(pad);
}

export function encodeInit(
  type: typeof ChunkType.INIT | typeof ChunkType.INIT_ACK,
  c: InitChunk,
): Uint8Array {
  const w = beginChunk(type, 0, 128 + (c.stateCookie?.byteLength ?? 0));
  w.u32(c.initiateTag).u32(c.advertisedReceiverWindow).u16(c.outboundStreams).u16(c.inboundStreams);
  w.u32(c.initialTsn);
  if (c.stateCookie) param(w, ParamType.STATE_COOKIE, c.stateCookie);
  const extensions: number[] = [];
  if (c.reconfig) extensions.push(ChunkType.RECONFIG);
  if (c.forwardTsn) extensions.push(ChunkType.FORWARD_TSN);
  if (c.interleaving) extensions.push(ChunkType.I_DATA, ChunkType.I_FORWARD_TSN);
  if (extensions.length) param(w, ParamType.SUPPORTED_EXTENSIONS, Uint8Array.from(extensions));
  if (c.forwardTsn) param(w, ParamType.FORWARD_TSN_SUPPORTED, undefined);
  if (c.zeroChecksum) {
    param(w, ParamType.ZERO_CHECKSUM_ACCEPTABLE, new ByteWriter(4).u32(ZERO_CHECKSUM_METHOD_DTLS).finish());
  }
  for (const u of c.unrecognized) param(w, ParamType.UNRECOGNIZED_PARAMETER, u);
  return endChunk(w);
}

export function decodeInit(r: ByteReader): InitChunk {
  const c: InitChunk = {
    initiateTag: r.u32(),
    advertisedReceiverWindow: r.u32(),
    outboundStreams: r.u16(),
    inboundStreams: r.u16(),
    initialTsn: r.u32(),
    stateCookie: undefined,
    forwardTsn: false,
    reconfig: false,
    interleaving: false,
    zeroChecksum: false,
    unrecognized: [],
  };
  let iData = false;
  let iForward = false;
  while (r.remaining >= 4) {
    const start = r.offset;
    const type = r.u16();
    const length = r.u16();
    if (length < 4) throw new ProtocolError(`INIT parameter ${type} with length ${length}`);
    const body = r.bytes(length - 4);
    const pad = Math.min(((length + 3) & ~3) - length, r.remaining);
    r.skip(pad);
    switch (type) {
      case ParamType.STATE_COOKIE:
        c.stateCookie = body;
        break;
      case ParamType.FORWARD_TSN_SUPPORTED:
        c.forwardTsn = true;
        break;
      case ParamType.SUPPORTED_EXTENSIONS:
        for (const t of body) {
          if (t === ChunkType.RECONFIG) c.reconfig = true;
          else if (t === ChunkType.FORWARD_TSN) c.forwardTsn = true;
          else if (t === ChunkType.I_DATA) iData = true;
          else if (t === ChunkType.I_FORWARD_TSN) iForward = true;
        }
        break;
      case ParamType.ZERO_CHECKSUM_ACCEPTABLE:
        c.zeroChecksum = body.byteLength >= 4 && new ByteReader(body).u32() === ZERO_CHECKSUM_METHOD_DTLS;
        break;
      default:
        // RFC 9260 §3.2.1: the two high bits say whether to skip and whether to report.
        if ((type & 0x4000) !== 0) c.unrecognized.push(r.data.slice(start, start + length));
        if ((type & 0x8000) === 0) return c;
    }
  }
  // RFC 8260 §2.2: I-DATA is used only together with I-FORWARD-TSN.
  c.interleaving = iData && iForward;
  return c;
}

export function encodeSack(
  cumulativeTsnAck: number,
  window: number,
  gaps: readonly number[],
  duplicates: readonly number[],
): Uint8Array {
  const w = beginChunk(ChunkType.SACK, 0, 16 + gaps.length * 2 + duplicates.length * 4);
  w.u32(cumulativeTsnAck)
    .u32(window)
    .u16(gaps.length / 2)
    .u16(duplicates.length);
  for (let i = 0; i < gaps.length; i++) w.u16(gaps[i]!);
  for (let i = 0; i < duplicates.length; i++) w.u32(duplicates[i]!);
  return endChunk(w);
}

export function decodeSack(r: ByteReader): SackChunk {
  const cumulativeTsnAck = r.u32();
  const advertisedReceiverWindow = r.u32();
  const gapCount = r.u16();
  const duplicates = r.u16();
  const gaps: number[] = new Array(gapCount * 2);
  for (let i = 0; i < gapCount * 2; i++) gaps[i] = r.u16();
  return { cumulativeTsnAck, advertisedReceiverWindow, gaps, duplicates };
}

export function encodeForwardTsn(interleaved: boolean, c: ForwardTsnChunk): Uint8Array {
  const w = beginChunk(
    interleaved ? ChunkType.I_FORWARD_TSN : ChunkType.FORWARD_TSN,
    0,
    8 + c.streams.length * 8,
  );
  w.u32(c.newCumulativeTsn);
  for (const s of c.streams) {
    if (interleaved)
      w.u16(s.streamId)
        .u16(s.unordered ? 1 : 0)
        .u32(s.sequence);
    else w.u16(s.streamId).u16(s.sequence);
  }
  return endChunk(w);
}

export function decodeForwardTsn(r: ByteReader, interleaved: boolean): ForwardTsnChunk {
  const newCumulativeTsn = r.u32();
  const streams: ForwardTsnStream[] = [];
  const entry = interleaved ? 8 : 4;
  while (r.remaining >= entry) {
    if (interleaved) {
      const streamId = r.u16();
      const unordered = (r.u16() & 1) === 1;
      streams.push({ streamId, unordered, sequence: r.u32() });
    } else {
      streams.push({ streamId: r.u16(), unordered: false, sequence: r.u16() });
    }
  }
  return { newCumulativeTsn, streams };
}

/** A chunk whose body is one parameter (HEARTBEAT / HEARTBEAT-ACK carry Heartbeat Info). */
export function encodeHeartbeat(type: number, info: Uint8Array): Uint8Array {
  const w = beginChunk(type, 0, 8 + info.byteLength);
  param(w, ParamType.HEARTBEAT_INFO, info);
  return endChunk(w);
}

/** Returns the Heartbeat Info body. */
export function decodeHeartbeat(r: ByteReader): Uint8Array {
  const type = r.u16();
  const length = r.u16();
  if (type !== ParamType.HEARTBEAT_INFO || length < 4) throw new ProtocolError('HEARTBEAT without info');
  return r.bytes(length - 4);
}

export function encodeSimple(type: number, flags = 0, body?: Uint8Array): Uint8Array {
  const w = beginChunk(type, flags, 4 + (body?.byteLength ?? 0));
  if (body) w.bytes(body);
  return endChunk(w);
}

/** An error cause (ERROR and ABORT bodies hold a list of them). */
export function encodeCause(code: number, info?: Uint8Array): Uint8Array {
  const w = new ByteWriter(8 + (info?.byteLength ?? 0));
  param(w, code, info);
  return w.finish();
}

export function encodeShutdown(cumulativeTsnAck: number): Uint8Array {
  return endChunk(beginChunk(ChunkType.SHUTDOWN, 0, 8).u32(cumulativeTsnAck));
}

/** The first cause code in an ERROR/ABORT body, if any (for diagnostics). */
export function firstCause(r: ByteReader): number | undefined {
  return r.remaining >= 4 ? r.u16() : undefined;
}

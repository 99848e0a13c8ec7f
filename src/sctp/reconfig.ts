/**
 * RE-CONFIG chunk parameters (RFC 6525): outgoing/incoming SSN reset requests, add-streams requests and
 * responses. The association keeps the request sequence numbers and decides; this file only codes.
 */
import { type ByteReader, ByteWriter } from '../common/bytes.js';
import { ChunkType, ParamType } from './constants.js';

export type ReconfigParam =
  | {
      type: 'outgoing-reset';
      requestSeq: number;
      responseSeq: number;
      senderLastTsn: number;
      streams: number[];
    }
  | { type: 'incoming-reset'; requestSeq: number; streams: number[] }
  | { type: 'ssn-tsn-reset'; requestSeq: number }
  | { type: 'add-outgoing'; requestSeq: number; count: number }
  | { type: 'add-incoming'; requestSeq: number; count: number }
  | { type: 'response'; responseSeq: number; result: number }
  | { type: 'unknown'; code: number };

/** At most this many stream ids are read from one request (a chunk can hold about 32k). */
const MAX_STREAMS_PER_REQUEST = 65_535;

export function decodeReconfig(r: ByteReader): ReconfigParam[] {
  const out: ReconfigParam[] = [];
  // RFC 6525 §3.1: one or two parameters.
  while (r.remaining >= 4 && out.length < 2) {
    const type = r.u16();
    const length = r.u16();
    if (length < 4) break;
    const body = r.sub(length - 4);
    r.skip(Math.min(((length + 3) & ~3) - length, r.remaining));
    switch (type) {
      case ParamType.OUTGOING_SSN_RESET: {
        const requestSeq = body.u32();
        const responseSeq = body.u32();
        const senderLastTsn = body.u32();
        out.push({
          type: 'outgoing-reset',
          requestSeq,
          responseSeq,
          senderLastTsn,
          streams: streamList(body),
        });
        break;
      }
      case ParamType.INCOMING_SSN_RESET:
        out.push({ type: 'incoming-reset', requestSeq: body.u32(), streams: streamList(body) });
        break;
      case ParamType.SSN_TSN_RESET:
        out.push({ type: 'ssn-tsn-reset', requestSeq: body.u32() });
        break;
      case ParamType.ADD_OUTGOING_STREAMS:
        out.push({ type: 'add-outgoing', requestSeq: body.u32(), count: body.u16() });
        break;
      case ParamType.ADD_INCOMING_STREAMS:
        out.push({ type: 'add-incoming', requestSeq: body.u32(), count: body.u16() });
        break;
      case ParamType.RECONFIG_RESPONSE:
        out.push({ type: 'response', responseSeq: body.u32(), result: body.u32() });
        break;
      default:
        out.push({ type: 'unknown', code: type });
    }
  }
  return out;
}

function streamList(r: ByteReader): number[] {
  const ids: number[] = [];
  while (r.remaining >= 2 && ids.length < MAX_STREAMS_PER_REQUEST) ids.push(r.u16());
  return ids;
}

function chunk(build: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(64).u8(ChunkType.RECONFIG).u8(0).u16(0);
  build(w);
  w.setU16(2, w.offset);
  return w.finish();
}

function param(w: ByteWriter, type: number, body: (w: ByteWriter) => void): void {
  const start = w.offset;
  w.u16(type).u16(0);
  body(w);
  const length = w.offset - start;
  w.setU16(start + 2, length);
  const pad = ((length + 3) & ~3) - length;
  if (pad) w.zeros(pad);
}

export function encodeOutgoingReset(
  requestSeq: number,
  responseSeq: number,
  senderLastTsn: number,
  streams: readonly number[],
): Uint8Array {
  return chunk((w) =>
    param(w, ParamType.OUTGOING_SSN_RESET, (p) => {
      p.u32(requestSeq).u32(responseSeq).u32(senderLastTsn);
      for (const s of streams) p.u16(s);
    }),
  );
}

export function encodeAddOutgoingStreams(requestSeq: number, count: number): Uint8Array {
  return chunk((w) => param(w, ParamType.ADD_OUTGOING_STREAMS, (p) => p.u32(requestSeq).u16(count).u16(0)));
}

export function encodeReconfigResponse(responseSeq: number, result: number): Uint8Array {
  return chunk((w) => param(w, ParamType.RECONFIG_RESPONSE, (p) => p.u32(responseSeq).u32(result)));
}

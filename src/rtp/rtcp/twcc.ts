/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
 * Parsing allocates only for packets reported received (each backed by delta bytes); runs of "not
 * received" are skipped arithmetically, so a lying status count cannot inflate memory.
 */
import type { ByteReader, ByteWriter } from '../../common/bytes.js';
import { ProtocolError } from '../../common/errors.js';
import { RTPFB_FMT } from './feedback.js';
import { beginPacket, endPacket } from './header.js';
import { RTCP_PT, type RtcpTransportWideCc } from './types.js';

const NOT_RECEIVED = 0;
const SMALL_DELTA = 1;
const LARGE_DELTA = 2;
const DELTA_UNIT_US = 250;

export function parseTwcc(r: ByteReader, senderSsrc: number, mediaSsrc: number): RtcpTransportWideCc {
  const baseSequenceNumber = r.u16();
  const packetStatusCount = r.u16();
  const referenceTime = (r.u24() << 8) >> 8;
  const fbPktCount = r.u8();
  // pass 1: read chunks into (status, run) pairs; every chunk is 2 bytes, so this is backed by the packet
  const statuses: number[] = []; // flat: status, runLength, status, runLength...
  let described = 0;
  while (described < packetStatusCount) {
    const chunk = r.u16();
    if ((chunk & 0x8000) === 0) {
      const run = Math.min(chunk & 0x1fff, packetStatusCount - described);
      statuses.push((chunk >> 13) & 3, run);
      described += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let i = 13; i >= 0 && described < packetStatusCount; i--, described++)
        statuses.push((chunk >> i) & 1, 1);
    } else {
      for (let i = 6; i >= 0 && described < packetStatusCount; i--, described++)
        statuses.push((chunk >> (i * 2)) & 3, 1);
    }
  }
  // pass 2: deltas for received packets
  const received: RtcpTransportWideCc['received'] = [];
  let seq = baseSequenceNumber;
  for (let i = 0; i < statuses.length; i += 2) {
    const status = statuses[i]!;
    const run = statuses[i + 1]!;
    if (status === NOT_RECEIVED || status === 3) {
      seq = (seq + run) & 0xffff;
      continue;
    }
    if (run * status > r.remaining) throw new ProtocolError('TWCC receive deltas overrun the packet');
    for (let k = 0; k < run; k++) {
      const delta = status === SMALL_DELTA ? r.u8() : (r.u16() << 16) >> 16;
      received.push({ sequenceNumber: seq, deltaUs: delta * DELTA_UNIT_US });
      seq = (seq + 1) & 0xffff;
    }
  }
  return {
    type: 'twcc',
    senderSsrc,
    mediaSsrc,
    baseSequenceNumber,
    packetStatusCount,
    referenceTime,
    fbPktCount,
    received,
  };
}

export function writeTwcc(w: ByteWriter, p: RtcpTransportWideCc): void {
  const count = p.packetStatusCount;
  // status per packet offset from base, and the deltas in order
  const status = new Uint8Array(count);
  const deltas: number[] = [];
  for (const rcv of p.received) {
    const offset = (rcv.sequenceNumber - p.baseSequenceNumber) & 0xffff;
    if (offset >= count) throw new RangeError('TWCC received packet outside the status count');
    const ticks = Math.round(rcv.deltaUs / DELTA_UNIT_US);
    if (ticks < -32768 || ticks > 32767) throw new RangeError('TWCC receive delta out of range');
    status[offset] = ticks >= 0 && ticks <= 255 ? SMALL_DELTA : LARGE_DELTA;
    deltas.push(ticks);
  }
  const start = beginPacket(w, RTPFB_FMT.TWCC, RTCP_PT.RTPFB);
  w.u32(p.senderSsrc).u32(p.mediaSsrc);
  w.u16(p.baseSequenceNumber)
    .u16(count)
    .u24(p.referenceTime & 0xffffff)
    .u8(p.fbPktCount & 0xff);
  let i = 0;
  while (i < count) {
    let run = 1;
    while (i + run < count && status[i + run] === status[i] && run < 0x1fff) run++;
    if (run >= 7) {
      w.u16((status[i]! << 13) | run);
      i += run;
      continue;
    }
    let twoBit = false;
    for (let k = i; k < Math.min(count, i + 14); k++) if (status[k]! > 1) twoBit = true;
    if (!twoBit) {
      let chunk = 0x8000;
      for (let k = 0; k < 14; k++) if (i + k < count) chunk |= status[i + k]! << (13 - k);
      w.u16(chunk);
      i += 14;
    } else {
      let chunk = 0xc000;
      for (let k = 0; k < 7; k++) if (i + k < count) chunk |= status[i + k]! << ((6 - k) * 2);
      w.u16(chunk);
      i += 7;
    }
  }
  for (const d of deltas) {
    if (d >= 0 && d <= 255) w.u8(d);
    else w.u16(d & 0xffff);
  }
  endPacket(w, start);
}

/**
 * Outgoing flights (RFC 6347 §4.2.4): the messages of one flight, cut into handshake fragments that fit
 * the path MTU and packed several records to a datagram, re-sealed with fresh record numbers on every
 * retransmission; and the retransmission timer with exponential backoff.
 */
import { ContentType, HANDSHAKE_HEADER_LENGTH, RECORD_HEADER_LENGTH } from './constants.js';
import { writeFragmentHeader } from './handshake-reassembly.js';

export type FlightEntry =
  | {
      readonly kind: 'handshake';
      readonly type: number;
      readonly seq: number;
      readonly body: Uint8Array;
      readonly epoch: number;
    }
  | { readonly kind: 'changeCipherSpec'; readonly epoch: number };

/** Seals one record in the given epoch with the next record number of that epoch. */
export interface RecordSealer {
  seal(type: number, epoch: number, payload: Uint8Array): Uint8Array;
  /** Bytes a record of `epoch` grows by beyond its header. */
  overhead(epoch: number): number;
}

const CCS_BODY = new Uint8Array([1]);

/** Every record of a flight, as datagrams no larger than `mtu` (records never span datagrams). */
export function packFlight(entries: readonly FlightEntry[], mtu: number, sealer: RecordSealer): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let currentLength = 0;
  const push = (record: Uint8Array): void => {
    if (currentLength > 0 && currentLength + record.byteLength > mtu) {
      datagrams.push(join(current, currentLength));
      current = [];
      currentLength = 0;
    }
    current.push(record);
    currentLength += record.byteLength;
  };
  for (const e of entries) {
    if (e.kind === 'changeCipherSpec') {
      push(sealer.seal(ContentType.changeCipherSpec, e.epoch, CCS_BODY));
      continue;
    }
    const room = mtu - RECORD_HEADER_LENGTH - HANDSHAKE_HEADER_LENGTH - sealer.overhead(e.epoch);
    // Fill what is left of the current datagram first when a useful piece fits there.
    let offset = 0;
    do {
      const free =
        mtu - currentLength - RECORD_HEADER_LENGTH - HANDSHAKE_HEADER_LENGTH - sealer.overhead(e.epoch);
      const budget = free >= Math.min(64, e.body.byteLength - offset) && free > 0 ? free : room;
      const n = Math.max(0, Math.min(budget, e.body.byteLength - offset));
      const payload = new Uint8Array(HANDSHAKE_HEADER_LENGTH + n);
      writeFragmentHeader(payload, 0, e.type, e.body.byteLength, e.seq, offset, n);
      payload.set(e.body.subarray(offset, offset + n), HANDSHAKE_HEADER_LENGTH);
      push(sealer.seal(ContentType.handshake, e.epoch, payload));
      offset += n;
    } while (offset < e.body.byteLength);
  }
  if (currentLength > 0) datagrams.push(join(current, currentLength));
  return datagrams;
}

function join(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Retransmission schedule: starts at `initial` ms and doubles up to `max` ms (RFC 6347 §4.2.4.1). */
export class RetransmitTimer {
  private deadline: number | undefined;
  private interval: number;
  retransmissions = 0;

  constructor(
    private readonly initial: number,
    private readonly max: number,
  ) {
    this.interval = initial;
  }

  /** A new flight went out: restart from the initial interval. */
  start(now: number): void {
    this.interval = this.initial;
    this.retransmissions = 0;
    this.deadline = now + this.interval;
  }

  /** The flight was retransmitted on timeout: back off. */
  backoff(now: number): void {
    this.interval = Math.min(this.interval * 2, this.max);
    this.retransmissions++;
    this.deadline = now + this.interval;
  }

  stop(): void {
    this.deadline = undefined;
  }

  get expiry(): number | undefined {
    return this.deadline;
  }
}

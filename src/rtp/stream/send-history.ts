/**
 * The packets a send stream has sent, kept for retransmission (NACK → RTX or plain): a ring indexed by
 * sequence number modulo its size, so a lookup is one array access and a NACK for a packet long gone costs
 * one comparison. Bounded by packet count and by age (a packet older than `maxAgeMs` is not resent: the
 * receiver has given up on it by then).
 */

export interface SentPacket {
  sequenceNumber: number;
  /** The plain (unprotected) packet as first sent, header extensions included. */
  packet: Uint8Array;
  /** RTP header length in `packet`. */
  headerLength: number;
  sentAt: number;
  /** Last time it was retransmitted (limits repeats for NACKs that cross a retransmission in flight). */
  resentAt: number | undefined;
  resends: number;
}

export class SendHistory {
  private readonly ring: (SentPacket | undefined)[];
  /** Bytes held, for stats and bounds checks. */
  bytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxAgeMs: number,
  ) {
    // a power of two divides 65536, so slots stay in sequence order across a sequence number wrap
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x8000 || capacity & (capacity - 1))
      throw new RangeError('send history capacity must be a power of two, 1–32768 packets');
    this.ring = new Array(capacity);
  }

  store(sequenceNumber: number, packet: Uint8Array, headerLength: number, now: number): void {
    const slot = sequenceNumber % this.capacity;
    const old = this.ring[slot];
    if (old) this.bytes -= old.packet.byteLength;
    this.ring[slot] = { sequenceNumber, packet, headerLength, sentAt: now, resentAt: undefined, resends: 0 };
    this.bytes += packet.byteLength;
  }

  /** The packet with this sequence number, if still held and not older than maxAgeMs. */
  get(sequenceNumber: number, now: number): SentPacket | undefined {
    const entry = this.ring[(sequenceNumber & 0xffff) % this.capacity];
    if (!entry || entry.sequenceNumber !== (sequenceNumber & 0xffff)) return undefined;
    return now - entry.sentAt <= this.maxAgeMs ? entry : undefined;
  }

  /** Number of packets held. */
  get size(): number {
    let n = 0;
    for (const e of this.ring) if (e) n++;
    return n;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.bytes = 0;
  }
}

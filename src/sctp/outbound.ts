/**
 * Outgoing messages and streams. A message stays one object from send() until its last fragment is
 * acknowledged; fragments are views into its bytes, so nothing is copied until the packet is written.
 */

export interface OutboundMessage {
  readonly streamId: number;
  readonly ppid: number;
  readonly data: Uint8Array;
  readonly unordered: boolean;
  /** PR-SCTP limits (RFC 3758): at most this many retransmissions / give up at this time. */
  readonly maxRetransmits: number | undefined;
  readonly expiresAt: number | undefined;
  /** Bytes already cut into chunks. */
  offset: number;
  /** SSN (DATA) or MID (I-DATA), assigned with the first fragment; -1 before. */
  sequence: number;
  nextFsn: number;
  abandoned: boolean;
  /** The sent fragments, kept only for partially reliable messages (to abandon them together). */
  sent: SentChunk[] | undefined;
}

export interface SentChunk {
  readonly tsn: number;
  readonly message: OutboundMessage;
  readonly flags: number;
  readonly fsn: number;
  readonly payload: Uint8Array;
  sentAt: number;
  transmissions: number;
  /** Acknowledged by a gap block (the cumulative ack removes chunks outright). */
  acked: boolean;
  /** Counted in the flight size. */
  inFlight: boolean;
  retransmit: boolean;
  missIndications: number;
  /** Fast-retransmitted once already; later losses are left to T3 (RFC 9260 §7.2.4). */
  fastRetransmitted: boolean;
  abandoned: boolean;
}

export class OutboundStream {
  private queue: Array<OutboundMessage | undefined> = [];
  private head = 0;
  nextSsn = 0;
  nextMidOrdered = 0;
  nextMidUnordered = 0;
  /** Bytes queued and not yet cut into chunks (the data channel's bufferedAmount). */
  buffered = 0;
  /** An outgoing reset was asked for and waits for the queue to drain. */
  resetRequested = false;
  /** A reset request is on the wire; no new data until it completes. */
  resetInFlight = false;
  /** Scheduler bookkeeping: is this stream in the round-robin list. */
  scheduled = false;

  constructor(readonly id: number) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  push(m: OutboundMessage): void {
    this.queue.push(m);
    this.buffered += m.data.byteLength;
  }

  peek(): OutboundMessage | undefined {
    return this.head < this.queue.length ? this.queue[this.head] : undefined;
  }

  /** Remove the head message (fully fragmented or dropped). */
  shift(): void {
    this.queue[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Assign the SSN/MID of a message when its first fragment is sent. */
  assignSequence(m: OutboundMessage, interleaved: boolean): void {
    if (interleaved) {
      if (m.unordered) {
        m.sequence = this.nextMidUnordered;
        this.nextMidUnordered = (this.nextMidUnordered + 1) >>> 0;
      } else {
        m.sequence = this.nextMidOrdered;
        this.nextMidOrdered = (this.nextMidOrdered + 1) >>> 0;
      }
    } else {
      m.sequence = m.unordered ? 0 : this.nextSsn;
      if (!m.unordered) this.nextSsn = (this.nextSsn + 1) & 0xffff;
    }
  }

  /** Drop every queued message (association closing). */
  clear(): void {
    this.queue = [];
    this.head = 0;
    this.buffered = 0;
  }

  resetSequences(): void {
    this.nextSsn = 0;
    this.nextMidOrdered = 0;
    this.nextMidUnordered = 0;
  }
}

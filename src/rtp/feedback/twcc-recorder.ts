/**
 * Transport-wide congestion control feedback for incoming media (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01): records each packet's transport-wide sequence number and arrival time, and about every
 * `intervalMs` (100 ms, as Chromium's receive side) turns the unreported range into feedback packets, from
 * which the sender estimates its bandwidth.
 *
 * Bounded: at most `maxPackets` arrivals are held and one feedback covers at most MAX_STATUS_SPAN sequence
 * numbers, so a peer jumping its sequence numbers around cannot make either large.
 */
import type { RtcpTransportWideCc } from '../rtcp/types.js';

/** Sequence numbers one feedback series may span; older unreported ones are given up. */
const MAX_STATUS_SPAN = 4096;
/** Received packets per feedback message, so one stays well under an MTU (≤ 2 bytes each + chunks). */
const MAX_RECEIVED_PER_MESSAGE = 400;
/** Receive deltas are signed 16-bit counts of 250 µs. */
const MAX_DELTA_TICKS = 0x7fff;
const MIN_DELTA_TICKS = -0x8000;

export interface TwccRecorderStats {
  packetsRecorded: number;
  /** Arrivals for sequence numbers already reported, duplicates, or beyond the bound. */
  packetsIgnored: number;
  feedbackSent: number;
}

export class TwccRecorder {
  readonly stats: TwccRecorderStats = { packetsRecorded: 0, packetsIgnored: 0, feedbackSent: 0 };
  /** Unwrapped sequence number → arrival time (ms). */
  private readonly arrivals = new Map<number, number>();
  private highest: number | undefined;
  /** First sequence number not yet reported. */
  private nextBase: number | undefined;
  private feedbackCount = 0;
  private dueAt: number | undefined;
  private lastFeedbackAt: number | undefined;
  private mediaSsrc = 0;

  constructor(
    readonly intervalMs = 100,
    readonly maxPackets = 8192,
  ) {}

  /** Arrivals waiting to be reported. */
  get pending(): number {
    return this.arrivals.size;
  }

  record(now: number, transportSequenceNumber: number, mediaSsrc: number): void {
    const seq =
      this.highest === undefined
        ? transportSequenceNumber
        : this.highest + ((((transportSequenceNumber - this.highest) & 0xffff) << 16) >> 16);
    if ((this.nextBase !== undefined && seq < this.nextBase) || this.arrivals.has(seq)) {
      this.stats.packetsIgnored++;
      return;
    }
    if (this.arrivals.size >= this.maxPackets) {
      this.stats.packetsIgnored++;
      return;
    }
    this.arrivals.set(seq, now);
    this.stats.packetsRecorded++;
    this.mediaSsrc = mediaSsrc;
    if (this.highest === undefined || seq > this.highest) this.highest = seq;
    this.nextBase ??= seq;
    if (seq < this.nextBase) this.nextBase = seq;
    // periodic while media flows (every interval from the last feedback), else an interval from now
    if (this.dueAt === undefined) {
      const last = this.lastFeedbackAt;
      this.dueAt =
        last !== undefined && now - last < 2 * this.intervalMs
          ? Math.max(now, last + this.intervalMs)
          : now + this.intervalMs;
    }
  }

  /** When feedback is due, or undefined when nothing is waiting. */
  pollTimeout(): number | undefined {
    return this.dueAt;
  }

  /** Feedback messages for everything recorded since the last call (none when nothing is new). */
  takeFeedback(now: number, senderSsrc: number): RtcpTransportWideCc[] {
    this.dueAt = undefined;
    this.lastFeedbackAt = now;
    if (this.highest === undefined || this.nextBase === undefined || this.arrivals.size === 0) return [];
    let base = Math.max(this.nextBase, this.highest - MAX_STATUS_SPAN + 1);
    const end = this.highest + 1;
    const out: RtcpTransportWideCc[] = [];
    while (base < end) {
      const message = this.message(base, end, senderSsrc);
      if (!message) break;
      out.push(message.feedback);
      base = message.next;
    }
    for (const seq of this.arrivals.keys()) if (seq < end) this.arrivals.delete(seq);
    this.nextBase = end;
    this.stats.feedbackSent += out.length;
    return out;
  }

  /** One message from `base`: up to MAX_RECEIVED_PER_MESSAGE packets and deltas that fit 16 bits. */
  private message(
    base: number,
    end: number,
    senderSsrc: number,
  ): { feedback: RtcpTransportWideCc; next: number } | undefined {
    // the reference time comes from the first received packet; losses before it are reported as such
    let first = base;
    while (first < end && !this.arrivals.has(first)) first++;
    if (first >= end) return undefined;
    const referenceTime = Math.floor(this.arrivals.get(first)! / 64);
    let previousTicks = referenceTime * 256; // 64 ms in 250 µs ticks
    const received: RtcpTransportWideCc['received'] = [];
    let seq = base;
    for (; seq < end && received.length < MAX_RECEIVED_PER_MESSAGE; seq++) {
      const at = this.arrivals.get(seq);
      if (at === undefined) continue;
      const ticks = Math.round(at * 4);
      const delta = ticks - previousTicks;
      if (delta > MAX_DELTA_TICKS || delta < MIN_DELTA_TICKS) break; // the next message takes it
      received.push({ sequenceNumber: seq & 0xffff, deltaUs: delta * 250 });
      previousTicks = ticks;
    }
    const feedback: RtcpTransportWideCc = {
      type: 'twcc',
      senderSsrc,
      mediaSsrc: this.mediaSsrc,
      baseSequenceNumber: base & 0xffff,
      packetStatusCount: seq - base,
      referenceTime: referenceTime & 0xffffff,
      fbPktCount: this.feedbackCount,
      received,
    };
    this.feedbackCount = (this.feedbackCount + 1) & 0xff;
    return { feedback, next: seq };
  }
}

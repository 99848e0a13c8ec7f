/**
 * Reception statistics of one remote SSRC (RFC 3550 appendix A.1, A.3, A.8): extended highest sequence
 * number with wraps, cumulative and interval loss, interarrival jitter, and the report block built from
 * them. Sequence validation follows A.1 without probation (SRTP has already authenticated the packet): a
 * jump beyond MAX_DROPOUT is believed only when the next packet continues from it (a restarted sender).
 * The verdict is for the statistics only: the jitter buffer judges the packet for playout itself.
 */
import type { RtcpReportBlock } from '../rtcp/types.js';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export class ReceiveStatistics {
  /** Packets received (duplicates and retransmissions included, as RFC 3550 counts them). */
  packetsReceived = 0;
  bytesReceived = 0;
  headerBytesReceived = 0;
  /** Packets refused as a sequence jump not (yet) confirmed. */
  packetsDiscarded = 0;
  /** Interarrival jitter in timestamp units (RFC 3550 A.8), kept as a float. */
  jitter = 0;

  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  /** The sequence number after a large jump that the next packet must follow to be believed. */
  private badSeq = RTP_SEQ_MOD + 1;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private counted = 0; // packets counted towards `expected` (not the refused ones)
  private lastTransit: number | undefined;

  constructor(readonly clockRate: number) {}

  /** The extended highest sequence number received (cycles × 65536 + max). */
  get extendedHighest(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.started ? this.extendedHighest - this.baseSeq + 1 : 0;
  }

  /** Cumulative packets lost (may be negative with duplicates), clamped to the 24-bit signed field. */
  get packetsLost(): number {
    return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.counted));
  }

  /**
   * Account one packet; `arrivalMs` is the local receive time. Returns false when the packet is refused
   * (an unconfirmed jump: a stream restart is believed from its second packet).
   */
  update(
    sequenceNumber: number,
    timestamp: number,
    arrivalMs: number,
    size: number,
    headerSize: number,
  ): boolean {
    this.packetsReceived++;
    this.bytesReceived += size - headerSize;
    this.headerBytesReceived += headerSize;
    let inOrder = true;
    if (!this.started) {
      this.restart(sequenceNumber);
      this.started = true;
    } else {
      const delta = (sequenceNumber - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
      if (delta === 0) {
        inOrder = false; // a duplicate (or a plain retransmission of the newest packet)
      } else if (delta < MAX_DROPOUT) {
        if (sequenceNumber < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
        this.maxSeq = sequenceNumber;
      } else if (delta <= RTP_SEQ_MOD - MAX_MISORDER) {
        // a very large jump: believe it only if the next packet follows it (RFC 3550 A.1)
        if (sequenceNumber === this.badSeq) {
          this.restart(sequenceNumber);
        } else {
          this.badSeq = (sequenceNumber + 1) & 0xffff;
          this.packetsDiscarded++;
          return false;
        }
      } else {
        inOrder = false; // a duplicate, reordered or retransmitted packet within MAX_MISORDER behind
      }
    }
    this.counted++;
    // jitter from packets in order only (as libwebrtc): a late retransmission says nothing about the path
    if (inOrder) this.updateJitter(timestamp, arrivalMs);
    return true;
  }

  private restart(sequenceNumber: number): void {
    this.baseSeq = sequenceNumber;
    this.maxSeq = sequenceNumber;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.counted = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.lastTransit = undefined;
  }

  /** RFC 3550 A.8, with the arrival time converted to timestamp units; retransmissions are not passed in. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    // transit modulo 2^32, as a signed difference, so a timestamp wrap does not disturb it
    const transit = arrival - timestamp;
    if (this.lastTransit !== undefined) {
      let d = Math.abs(transit - this.lastTransit);
      d %= 0x100000000;
      if (d > 0x80000000) d = 0x100000000 - d;
      // a jump of more than ten seconds is a timestamp jump, not network jitter
      if (d < this.clockRate * 10) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  /** A report block for this source; advances the interval counters (call once per report sent). */
  reportBlock(ssrc: number, lastSr: number, delaySinceLastSr: number): RtcpReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.counted - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.counted;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    return {
      ssrc,
      fractionLost,
      packetsLost: this.packetsLost,
      highestSequence: this.extendedHighest >>> 0,
      jitter: Math.min(0xffffffff, Math.floor(this.jitter)) >>> 0,
      lastSr,
      delaySinceLastSr,
    };
  }

  /** Packets received since the last report block. */
  get receivedSinceReport(): number {
    return this.counted - this.receivedPrior;
  }
}

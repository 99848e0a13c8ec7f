/**
 * The send side of transport-wide congestion control: every packet we send with a transport-wide sequence
 * number is recorded (size, send time, which stream), and the peer's TWCC feedback is matched against these
 * records into per-packet results (received or lost, and the remote arrival time). This is the input a
 * bandwidth estimator (GCC, the congestion-control issue) reads; today the session raises it as an event.
 */
import type { RtcpTransportWideCc } from '../rtcp/types.js';

/** Records kept: a power of two, about 4 s of video at 1,000 packets/s. */
const RING = 4096;

export interface SentPacketRecord {
  transportSequenceNumber: number;
  ssrc: number;
  sequenceNumber: number;
  /** Bytes on the wire (protected). */
  size: number;
  sentAt: number;
  retransmission: boolean;
  /** The probe cluster it was sent in, if any (bandwidth estimation). */
  probeClusterId?: number;
  /** A padding-only packet (probing), no media. */
  padding?: boolean;
}

export interface PacketResult {
  transportSequenceNumber: number;
  ssrc: number;
  sequenceNumber: number;
  size: number;
  sentAt: number;
  retransmission: boolean;
  probeClusterId?: number;
  padding?: boolean;
  /**
   * Arrival time on the peer's clock (ms, from the feedback's reference time and deltas): only differences
   * between packets mean anything. Undefined when reported lost.
   */
  receivedAt: number | undefined;
}

export class TransportFeedbackLog {
  private readonly ring: (SentPacketRecord | undefined)[] = new Array(RING);
  private next: number;
  feedbackReceived = 0;

  constructor(firstSequenceNumber = 1) {
    this.next = firstSequenceNumber & 0xffff;
  }

  /** The next transport-wide sequence number to write into a packet. */
  allocate(): number {
    const seq = this.next;
    this.next = (this.next + 1) & 0xffff;
    return seq;
  }

  record(record: SentPacketRecord): void {
    this.ring[record.transportSequenceNumber & (RING - 1)] = record;
  }

  /** Match feedback to what we sent; statuses for packets we hold no record of are skipped. */
  onFeedback(feedback: RtcpTransportWideCc): PacketResult[] {
    this.feedbackReceived++;
    const arrival = new Map<number, number>();
    let at = feedback.referenceTime * 64;
    for (const r of feedback.received) {
      at += r.deltaUs / 1000;
      arrival.set(r.sequenceNumber, at);
    }
    const out: PacketResult[] = [];
    const count = Math.min(feedback.packetStatusCount, RING);
    for (let i = 0; i < count; i++) {
      const seq = (feedback.baseSequenceNumber + i) & 0xffff;
      const record = this.ring[seq & (RING - 1)];
      if (!record || record.transportSequenceNumber !== seq) continue;
      out.push({ ...record, receivedAt: arrival.get(seq) });
    }
    return out;
  }
}

/**
 * Answering generic NACKs (RFC 4585 §6.2.1) from a send stream's history. A NACK storm for packets long
 * gone costs one ring lookup per sequence number and sends nothing; a packet is resent at most once per
 * `minResendIntervalMs` (about an RTT: a NACK that crossed our retransmission in flight is not answered
 * twice), and at most `maxPerWindow` packets per `windowMs` leave per stream whatever the NACKs ask.
 */
import type { SendHistory, SentPacket } from '../stream/send-history.js';

/** Sequence numbers looked at per NACK packet (a 1,500-byte NACK expands to at most ~6,000). */
const MAX_LOOKUPS_PER_NACK = 2048;

export interface NackResponderOptions {
  /** Retransmissions per window per stream at most (default 150 per 100 ms). */
  maxPerWindow?: number;
  windowMs?: number;
}

export interface NackResponderStats {
  nackPacketsReceived: number;
  /** Sequence numbers asked for. */
  packetsRequested: number;
  /** Retransmissions sent. */
  packetsResent: number;
  /** Asked for but no longer (or never) in the history. */
  packetsUnknown: number;
  /** Asked for again too soon after a retransmission. */
  packetsTooSoon: number;
  /** Refused by the per-window budget. */
  packetsOverBudget: number;
}

export class NackResponder {
  readonly stats: NackResponderStats = {
    nackPacketsReceived: 0,
    packetsRequested: 0,
    packetsResent: 0,
    packetsUnknown: 0,
    packetsTooSoon: 0,
    packetsOverBudget: 0,
  };
  private readonly maxPerWindow: number;
  private readonly windowMs: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private sentInWindow = 0;

  constructor(options: NackResponderOptions = {}) {
    this.maxPerWindow = options.maxPerWindow ?? 150;
    this.windowMs = options.windowMs ?? 100;
  }

  /** The packets to retransmit now for one NACK's lost list, marked as resent. */
  select(
    now: number,
    lost: readonly number[],
    history: SendHistory,
    minResendIntervalMs: number,
  ): SentPacket[] {
    this.stats.nackPacketsReceived++;
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.sentInWindow = 0;
    }
    const out: SentPacket[] = [];
    const n = Math.min(lost.length, MAX_LOOKUPS_PER_NACK);
    this.stats.packetsRequested += lost.length;
    this.stats.packetsUnknown += lost.length - n;
    for (let i = 0; i < n; i++) {
      const entry = history.get(lost[i]!, now);
      if (!entry) {
        this.stats.packetsUnknown++;
        continue;
      }
      if (entry.resentAt !== undefined && now - entry.resentAt < minResendIntervalMs) {
        this.stats.packetsTooSoon++;
        continue;
      }
      if (this.sentInWindow >= this.maxPerWindow) {
        this.stats.packetsOverBudget++;
        continue;
      }
      if (out.includes(entry)) continue; // the same number twice in one NACK
      this.sentInWindow++;
      entry.resentAt = now;
      entry.resends++;
      this.stats.packetsResent++;
      out.push(entry);
    }
    return out;
  }
}

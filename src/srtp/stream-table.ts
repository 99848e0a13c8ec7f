/**
 * Per-SSRC state, created on demand and bounded in number.
 *
 * Inbound (state only after a packet authenticates): when full, the least recently used stream is evicted.
 * Recency is a counter bumped on use, so lookups never reorder the map; eviction scans, which only happens
 * when a new SSRC arrives at the limit.
 *
 * Outbound: sender state (ROC, SRTCP index) is never evicted or forgotten while the key lives, since a
 * forgotten index would be used again and repeat keystream (AES-CM) or nonces (AES-GCM). A new SSRC beyond
 * the limit is refused with a RangeError: senders are local and few, so this is a programming error (or
 * a sign the session must be re-keyed), never something a peer can cause.
 */
import { KeystreamBatch } from './aes-cm.js';
import { ReplayWindow } from './replay-window.js';

export interface SrtpStreamState {
  /** Highest RTP packet index (ROC × 65536 + SEQ) seen, or -1. */
  rtpHighest: number;
  rtpReplay: ReplayWindow | undefined;
  /** RTP keystream precomputed for the indices after the last packet. */
  rtpKeystream: KeystreamBatch;
  /** Next SRTCP index to send. */
  rtcpNextIndex: number;
  rtcpReplay: ReplayWindow | undefined;
  lastUsed: number;
}

export class StreamTable {
  private readonly streams = new Map<number, SrtpStreamState>();
  private tick = 0;
  evicted = 0;

  constructor(
    readonly maxStreams: number,
    private readonly replayWindowSize: number,
    /** Outbound: never evict, refuse new SSRCs at the limit, keep the indices of removed SSRCs. */
    private readonly outbound = false,
  ) {
    if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new RangeError('maxStreams must be ≥ 1');
  }

  get size(): number {
    return this.streams.size;
  }

  get(ssrc: number): SrtpStreamState | undefined {
    const s = this.streams.get(ssrc);
    if (s) s.lastUsed = ++this.tick;
    return s;
  }

  /** Get or create; `withReplay` allocates the replay windows (inbound contexts). */
  obtain(ssrc: number, withReplay: boolean): SrtpStreamState {
    const existing = this.get(ssrc);
    if (existing) return existing;
    if (this.streams.size >= this.maxStreams) {
      if (this.outbound)
        throw new RangeError(
          `SRTP sender state for ${this.maxStreams} SSRCs already held: refusing SSRC ${ssrc} (an evicted ` +
            'sender would reuse keystream); re-key the session to send on more SSRCs',
        );
      this.evictOldest();
    }
    const s: SrtpStreamState = {
      rtpHighest: -1,
      rtpReplay: withReplay ? new ReplayWindow(this.replayWindowSize) : undefined,
      rtpKeystream: new KeystreamBatch(),
      rtcpNextIndex: 0,
      rtcpReplay: withReplay ? new ReplayWindow(this.replayWindowSize) : undefined,
      lastUsed: ++this.tick,
    };
    this.streams.set(ssrc, s);
    return s;
  }

  /**
   * Forget an SSRC. Outbound, only its keystream batch is released: the indices stay, so a sender that
   * comes back on the same SSRC continues where it stopped instead of reusing indices.
   */
  delete(ssrc: number): boolean {
    if (!this.outbound) return this.streams.delete(ssrc);
    const s = this.streams.get(ssrc);
    if (s) s.rtpKeystream = new KeystreamBatch();
    return s !== undefined;
  }

  private evictOldest(): void {
    let victim: number | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [ssrc, s] of this.streams) {
      if (s.lastUsed < oldest) {
        oldest = s.lastUsed;
        victim = ssrc;
      }
    }
    if (victim !== undefined) {
      this.streams.delete(victim);
      this.evicted++;
    }
  }
}

/**
 * RFC 3711 §3.3.1 / appendix A: the index of a received sequence number, given the highest index so far.
 * Returns a negative number when the packet would precede index 0.
 */
export function estimateIndex(highest: number, seq: number): number {
  if (highest < 0) return seq;
  const roc = Math.floor(highest / 0x10000);
  const sl = highest - roc * 0x10000;
  let v = roc;
  if (sl < 0x8000) {
    if (seq - sl > 0x8000) v = roc - 1;
  } else if (sl - 0x8000 > seq) {
    v = roc + 1;
  }
  return v * 0x10000 + seq;
}

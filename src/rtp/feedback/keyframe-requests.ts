/**
 * Keyframe requests (RFC 4585 PLI, RFC 5104 FIR), both ways.
 *
 * Incoming (we send media): a PLI or FIR for one of our streams becomes one keyframe-request event, at most
 * one per `minIntervalMs` per stream, so a PLI flood costs the encoder one keyframe per interval. A FIR entry
 * repeating the last sequence number of the same requester is a retransmission of a request already seen
 * (RFC 5104 §4.3.1.2) and is ignored.
 *
 * Outgoing (we receive media): the jitter buffer or the decoder asks; we send a PLI when `nack pli` was
 * negotiated, else a FIR (with its command sequence number) when `ccm fir` was, else nothing.
 */
import type { RtcpFullIntraRequest, RtcpPictureLossIndication } from '../rtcp/types.js';
import type { RtcpFeedbackConfig } from '../session-config.js';

/** FIR requesters remembered per stream (a peer has one or two; a hostile one cannot grow this). */
const MAX_FIR_REQUESTERS = 16;

export interface KeyframeRequestStats {
  pliReceived: number;
  firReceived: number;
  /** Requests passed on to the encoder. */
  requestsForwarded: number;
  /** Requests dropped by the rate limit or as FIR retransmissions. */
  requestsSuppressed: number;
}

/** Incoming PLI/FIR for one send stream. */
export class KeyframeRequestFilter {
  readonly stats: KeyframeRequestStats = {
    pliReceived: 0,
    firReceived: 0,
    requestsForwarded: 0,
    requestsSuppressed: 0,
  };
  private lastForwardedAt: number | undefined;
  private readonly firSequence = new Map<number, number>();

  constructor(private readonly minIntervalMs: number) {}

  /** A PLI arrived; true when a keyframe-request event should be raised. */
  onPli(now: number): boolean {
    this.stats.pliReceived++;
    return this.pass(now);
  }

  /** A FIR entry for this stream arrived from `requester`; true when a keyframe-request should be raised. */
  onFir(now: number, requester: number, sequenceNumber: number): boolean {
    this.stats.firReceived++;
    const last = this.firSequence.get(requester);
    if (last === sequenceNumber) {
      this.stats.requestsSuppressed++;
      return false;
    }
    if (last === undefined && this.firSequence.size >= MAX_FIR_REQUESTERS) this.firSequence.clear();
    this.firSequence.set(requester, sequenceNumber);
    return this.pass(now);
  }

  private pass(now: number): boolean {
    if (this.lastForwardedAt !== undefined && now - this.lastForwardedAt < this.minIntervalMs) {
      this.stats.requestsSuppressed++;
      return false;
    }
    this.lastForwardedAt = now;
    this.stats.requestsForwarded++;
    return true;
  }
}

/** Outgoing keyframe requests for one receive stream. */
export class KeyframeRequester {
  pliSent = 0;
  firSent = 0;
  private firSequence = 0;

  /** The request to send for `mediaSsrc` given what was negotiated, or undefined when neither was. */
  request(
    senderSsrc: number,
    mediaSsrc: number,
    feedback: RtcpFeedbackConfig,
  ): RtcpPictureLossIndication | RtcpFullIntraRequest | undefined {
    if (feedback.pli) {
      this.pliSent++;
      return { type: 'pli', senderSsrc, mediaSsrc };
    }
    if (feedback.fir) {
      this.firSent++;
      const sequenceNumber = this.firSequence;
      this.firSequence = (this.firSequence + 1) & 0xff;
      // RFC 5104 §4.3.1.2: the media source SSRC of the common header is 0; the FCI names the stream
      return { type: 'fir', senderSsrc, mediaSsrc: 0, entries: [{ ssrc: mediaSsrc, sequenceNumber }] };
    }
    return undefined;
  }
}

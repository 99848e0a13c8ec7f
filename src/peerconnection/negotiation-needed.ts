/**
 * The W3C "update the negotiation-needed flag" steps (webrtc-pc §4.7.3): whether the local description
 * still describes what the application asked for, and when the `negotiationneeded` event may fire (a task
 * after the last change, only while stable and no operation is pending, at most once per change).
 */
import type { MediaDirection, SessionDescription } from '../sdp/types.js';
import type { RTCRtpTransceiver } from './transceiver.js';
import { isRejected } from './transceiver-set.js';

export interface NegotiationState {
  readonly closed: boolean;
  readonly stable: boolean;
  /** An operation (createOffer, setLocalDescription, …) is queued or running. */
  readonly busy: boolean;
  readonly restartPending: boolean;
  readonly wantsData: boolean;
  readonly weAreOfferer: boolean | undefined;
  readonly currentLocal: SessionDescription | undefined;
  readonly transceivers: readonly RTCRtpTransceiver[];
}

/** W3C "check if negotiation is needed". */
export function isNegotiationNeeded(s: NegotiationState): boolean {
  if (s.restartPending) return true;
  const local = s.currentLocal;
  if (s.wantsData && !local?.media.some((m) => m.kind === 'application' && !isRejected(m))) return true;
  for (const t of s.transceivers) {
    if (t.stopped) {
      if (t.mid !== null && local?.media.some((m) => m.mid === t.mid && !isRejected(m))) return true;
      continue;
    }
    if (t.mid === null) return true;
    const m = local?.media.find((x) => x.mid === t.mid);
    if (!m) return true;
    const offered = m.direction ?? 'sendrecv';
    if (
      (t.direction === 'sendrecv' || t.direction === 'sendonly') &&
      !sameStreams(m.msids, t.sender.streamIds)
    )
      return true; // setStreams() changed what a=msid must say
    if (s.weAreOfferer && offered !== t.direction) return true;
    if (!s.weAreOfferer && t.direction !== 'stopped' && !answerAllows(offered, t.direction)) return true;
  }
  return false;
}

/** The stream ids the section's a=msid lines name (`-` means none) are the sender's. */
function sameStreams(msids: readonly { streamId: string }[], streamIds: readonly string[]): boolean {
  const announced = new Set(msids.map((m) => m.streamId).filter((id) => id !== '-'));
  return announced.size === new Set(streamIds).size && streamIds.every((id) => announced.has(id));
}

function answerAllows(answered: MediaDirection, wanted: string): boolean {
  const send = wanted === 'sendrecv' || wanted === 'sendonly';
  const answeredSend = answered === 'sendrecv' || answered === 'sendonly';
  return send === answeredSend || !send;
}

/**
 * The W3C [[NegotiationNeeded]] flag and its event. `update()` after every change, after every operation
 * that empties the chain and after every return to stable: a task then re-checks, and the event fires only
 * when the flag goes from false to true — once per need, not once per change.
 */
export class NegotiationNeeded {
  /** W3C [[NegotiationNeeded]]. */
  private needed = false;
  private queued = false;
  /** W3C [[UpdateNegotiationNeededFlagOnEmptyChain]]: an update found the operations chain busy. */
  private updateOnEmptyChain = false;

  constructor(
    private readonly state: () => NegotiationState,
    private readonly queueTask: (fn: () => void) => void,
    private readonly fire: () => void,
  ) {}

  update(): void {
    if (this.queued || this.state().closed) return;
    this.queued = true;
    this.queueTask(() => {
      this.queued = false;
      const s = this.state();
      if (s.closed) return;
      // Busy: the chain's end updates again. Not stable: the return to stable updates again.
      if (s.busy) {
        this.updateOnEmptyChain = true;
        return;
      }
      if (!s.stable) return;
      if (!isNegotiationNeeded(s)) {
        this.needed = false;
        return;
      }
      if (this.needed) return;
      this.needed = true;
      this.fire();
    });
  }

  /** The operations chain became empty: update only if an update was put off because it was busy (W3C). */
  chainEmptied(): void {
    if (!this.updateOnEmptyChain) return;
    this.updateOnEmptyChain = false;
    this.update();
  }
}

/**
 * Drive an RTCPeerConnection's offer/answer over a Signaling, as aiortc's examples do: `sendLocalDescription`
 * (non-trickle waits for gathering so the SDP carries every candidate, like aiortc; trickle sends at once and
 * then each candidate) and `consumeSignaling` (apply descriptions, answer offers, add candidates, stop on BYE).
 */
import type { RTCIceCandidate } from '../../ice/candidate.js';
import type { RTCPeerConnection } from '../../peerconnection/peer-connection.js';
import { RTCSessionDescription } from '../../peerconnection/session-description.js';
import type { Signaling } from './signaling.js';
import { SignalingBye, SignalingError } from './wire.js';

export interface NegotiationOptions {
  /** Send candidates as they come instead of waiting for gathering to complete (default false). */
  trickle?: boolean;
  /** Called for each refused message (malformed, oversized); the default writes it to stderr. */
  onSignalingError?: (error: SignalingError) => void;
}

/**
 * The sending half. With trickle, candidates found before the description went out are held back so the
 * remote party never gets a candidate before the description it belongs to.
 */
export class DescriptionSender {
  private held: RTCIceCandidate[] | undefined = [];

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly signaling: Signaling,
    private readonly trickle: boolean,
  ) {
    if (trickle) {
      pc.addEventListener('icecandidate', (e) => {
        const candidate = e.candidate;
        if (!candidate || candidate.candidate === '') return;
        if (this.held) this.held.push(candidate);
        else void this.signaling.send(candidate).catch(() => undefined);
      });
    }
  }

  /** Send `pc.localDescription` (after gathering completes unless trickling), then any held candidates. */
  async send(): Promise<void> {
    if (!this.trickle) await gatheringComplete(this.pc);
    const description = this.pc.localDescription;
    if (!description) throw new Error('sendLocalDescription: no local description');
    await this.signaling.send(new RTCSessionDescription({ type: description.type, sdp: description.sdp }));
    const held = this.held ?? [];
    this.held = undefined;
    for (const candidate of held) await this.signaling.send(candidate);
  }
}

export function gatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * Receive until BYE: set remote descriptions (answering an offer through `sender`), add candidates (held until
 * a remote description exists), report refused messages and carry on. Resolves when BYE arrives or the channel
 * ends; `stop` ends it early. Rejects with the SignalingError of a channel that failed to connect or broke.
 */
export async function consumeSignaling(
  pc: RTCPeerConnection,
  signaling: Signaling,
  sender: DescriptionSender,
  options: NegotiationOptions & { stop?: Promise<void> } = {},
): Promise<void> {
  const report =
    options.onSignalingError ??
    ((e: SignalingError) => process.stderr.write(`signaling: ${e.message} (ignored)\n`));
  const early: RTCIceCandidate[] = [];
  let stopped = false;
  const stop = options.stop?.then(() => {
    stopped = true;
  });
  while (!stopped) {
    let obj: Awaited<ReturnType<Signaling['receive']>> | undefined;
    try {
      obj = await (stop
        ? Promise.race([signaling.receive(), stop.then(() => undefined)])
        : signaling.receive());
    } catch (e) {
      // A bad message is skipped; a channel that could not connect or broke stays broken (receive() would
      // reject again at once, forever).
      if (!(e instanceof SignalingError) || e.code === 'connection') throw e;
      report(e);
      continue;
    }
    if (obj === undefined || obj instanceof SignalingBye) return;
    try {
      await apply(pc, obj, sender, early);
    } catch (e) {
      // A description or candidate our peer connection refuses is the remote party's fault: report, go on.
      const what = obj instanceof RTCSessionDescription ? obj.type : 'candidate';
      report(new SignalingError(`remote ${what} refused: ${(e as Error).message}`, 'malformed'));
    }
  }
}

async function apply(
  pc: RTCPeerConnection,
  obj: RTCSessionDescription | RTCIceCandidate,
  sender: DescriptionSender,
  early: RTCIceCandidate[],
): Promise<void> {
  if (obj instanceof RTCSessionDescription) {
    await pc.setRemoteDescription(obj);
    for (const candidate of early.splice(0)) await pc.addIceCandidate(candidate);
    if (obj.type === 'offer') {
      await pc.setLocalDescription();
      await sender.send();
    }
  } else if (pc.remoteDescription) await pc.addIceCandidate(obj);
  else if (early.length < 1000) early.push(obj);
}

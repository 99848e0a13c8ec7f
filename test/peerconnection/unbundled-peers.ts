/**
 * Helpers for connections without BUNDLE between tsrtc peers in virtual time: SDP munging (drop the BUNDLE
 * group, as a peer with bundle-policy none writes), a media clock on the simulated world, frame collection,
 * and what a description says about its transports.
 */
import type { MediaClock } from '../../src/media/clock.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { parseSdp } from '../../src/sdp/parse.js';
import type { SimWorld } from '../sim/runtime.js';

/** The description without its `a=group:BUNDLE` line: every m-line then has a transport of its own. */
export function withoutBundle(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=group:BUNDLE'))
    .join('\r\n');
}

/** Tracks paced on the simulated world's clock (frames every 20 ms / 33 ms of virtual time). */
export function simMediaClock(world: SimWorld): MediaClock {
  const timers = world.runtime({ address: '192.0.2.250', seed: 99 }).timers;
  return {
    now: () => world.now,
    sleep: (ms) => new Promise<void>((resolve) => void timers.at(world.now + Math.max(0, ms), resolve)),
  };
}

/** Pull frames from a track into an array until `stop()` (the array fills as the world runs). */
export function collectFrames<T>(track: MediaStreamTrack): { frames: T[]; stop(): void } {
  const frames: T[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        frames.push((await track.recv()) as T);
      } catch {
        return;
      }
    }
  })();
  return {
    frames,
    stop: () => {
      stopped = true;
    },
  };
}

/** Per m-line of a description: mid, port, ICE ufrag and the ports of the candidates it lists. */
export function transportsOf(
  sdp: string,
): { mid: string; port: number; ufrag: string; candidates: number; candidatePorts: string }[] {
  const d = parseSdp(sdp);
  return d.media.map((m) => ({
    mid: m.mid ?? '',
    port: m.port,
    ufrag: m.iceUfrag ?? d.iceUfrag ?? '',
    candidates: m.candidates.length,
    candidatePorts: m.candidates.map((c) => c.port).join(','),
  }));
}

/** How many different transports the sections listing candidates show (by their candidates' ports). */
export function distinctCandidateSets(sdp: string): number {
  const sets = transportsOf(sdp)
    .filter((s) => s.candidates > 0)
    .map((s) => s.candidatePorts);
  return new Set(sets).size;
}

/** Offer from `a` (munged by `editOffer`), answer from `b` (munged by `editAnswer`). */
export async function negotiateEdited(
  a: RTCPeerConnection,
  b: RTCPeerConnection,
  edit: { offer?: (sdp: string) => string; answer?: (sdp: string) => string } = {},
): Promise<void> {
  await a.setLocalDescription();
  const offer = a.localDescription!.sdp;
  await b.setRemoteDescription({ type: 'offer', sdp: edit.offer ? edit.offer(offer) : offer });
  await b.setLocalDescription();
  const answer = b.localDescription!.sdp;
  await a.setRemoteDescription({ type: 'answer', sdp: edit.answer ? edit.answer(answer) : answer });
}

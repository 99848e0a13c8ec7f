/** Helpers for simulcast and forwarding tests between tsrtc peers on loopback. */
import type { MediaStreamTrack } from '../../src/media/track.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import type { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { RTCSessionDescriptionInit } from '../../src/peerconnection/session-description.js';
import type { RTCStats, RTCStatsReport } from '../../src/peerconnection/stats.js';
import { looksLikeQuadrants } from '../media/sources.js';
import { trickleBothWays } from './trickle.js';

export const config = { iceLoopbackOnly: true };

/** Offer from `a`, answer from `b`; `editAnswer` may rewrite the answer's SDP before `a` applies it. */
export async function connect(
  a: RTCPeerConnection,
  b: RTCPeerConnection,
  editAnswer?: (sdp: string) => string,
): Promise<void> {
  trickleBothWays(a, b);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  const answer: RTCSessionDescriptionInit = b.localDescription!.toJSON();
  await a.setRemoteDescription(editAnswer ? { type: 'answer', sdp: editAnswer(answer.sdp!) } : answer);
}

/** The next frame of a track, or an error after `ms`. */
export async function recvWithin<T>(track: MediaStreamTrack, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return (await Promise.race([
      track.recv(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
      }),
    ])) as T;
  } finally {
    clearTimeout(timer);
  }
}

/** Read video frames until one has the size and the four colours, within `ms`; returns it. */
export async function pictureOfSize(
  track: MediaStreamTrack,
  width: number,
  height: number,
  ms = 20_000,
  tolerance = 40,
): Promise<VideoFrame> {
  const deadline = Date.now() + ms;
  let last: VideoFrame | undefined;
  while (Date.now() < deadline) {
    last = await recvWithin<VideoFrame>(track, Math.max(1, deadline - Date.now()));
    if (last.width === width && last.height === height && looksLikeQuadrants(last, tolerance)) return last;
  }
  throw new Error(
    `no ${width}×${height} picture with the colours within ${ms} ms (last ${last?.width}×${last?.height})`,
  );
}

export function statsOf(report: RTCStatsReport, type: string): RTCStats[] {
  return [...report.values()].filter((s) => s.type === type);
}

/**
 * Trickle ICE between two tsrtc peers of one process: each candidate `from` finds goes straight to `to`.
 * A candidate that reaches `to` after the test closed it is refused (InvalidStateError): expected once the
 * test's cleanup ran, so dropped. Any refusal while `to` is open is a real failure and surfaces as one.
 */
import type { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

export function trickle(from: RTCPeerConnection, to: RTCPeerConnection): void {
  from.onicecandidate = (e) =>
    void to.addIceCandidate(e.candidate).catch((error: unknown) => {
      if (to.connectionState !== 'closed') throw error;
    });
}

/** `trickle` in both directions. */
export function trickleBothWays(a: RTCPeerConnection, b: RTCPeerConnection): void {
  trickle(a, b);
  trickle(b, a);
}

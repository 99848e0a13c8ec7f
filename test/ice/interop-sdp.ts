/**
 * Just enough SDP to hand our agent's ICE parameters and candidates to a real WebRTC stack (which needs a
 * full media section to accept them). Only ICE is exercised: the fingerprint is well-formed but belongs to no
 * certificate, so the peer's DTLS never completes.
 */
import assert from 'node:assert/strict';
import type { IceAgent } from '../../src/ice/agent.js';

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

export function sdpValue(sdp: string, name: string): string {
  const m = new RegExp(`^a=${name}:(.+)$`, 'm').exec(sdp);
  assert.ok(m, `SDP has a=${name}`);
  return m[1]!.trim();
}

/** The `a=candidate:` lines of an SDP, without the `a=` prefix. */
export function sdpCandidates(sdp: string): string[] {
  return [...sdp.matchAll(/^a=(candidate:.+)$/gm)].map((m) => m[1]!.trim());
}

export function describeAgent(agent: IceAgent, mid: string, setup: 'active' | 'actpass'): string {
  const p = agent.localParameters;
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mid}`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=mid:${mid}`,
    `a=ice-ufrag:${p.usernameFragment}`,
    `a=ice-pwd:${p.password}`,
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    `a=setup:${setup}`,
    'a=sctp-port:5000',
    ...agent.getLocalCandidates().map((c) => `a=${c.candidate}`),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

export async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

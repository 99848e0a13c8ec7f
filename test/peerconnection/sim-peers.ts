/**
 * Two (or more) RTCPeerConnections on a SimWorld: hosts on documentation addresses, certificates made once,
 * trickle wiring, offer/answer helpers and a log of every event with its virtual time.
 */
import { RTCCertificate } from '../../src/dtls/certificate.js';
import type { RTCConfiguration } from '../../src/peerconnection/configuration.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import type { SimHostOptions, SimWorld } from '../sim/runtime.js';

let certificates: Promise<RTCCertificate[]> | undefined;

/** Certificates are generated once per process (real crypto is not virtual time). */
export function simCertificates(): Promise<RTCCertificate[]> {
  certificates ??= Promise.all([RTCCertificate.generateCertificate(), RTCCertificate.generateCertificate()]);
  return certificates;
}

export interface SimPeer {
  readonly pc: RTCPeerConnection;
  readonly name: string;
  /** `time name event detail` lines, for determinism checks and failure messages. */
  readonly log: string[];
}

const LOGGED = [
  'signalingstatechange',
  'iceconnectionstatechange',
  'connectionstatechange',
  'icegatheringstatechange',
  'negotiationneeded',
  'datachannel',
  'track',
] as const;

export async function simPeers(
  world: SimWorld,
  options: { seed?: number; config?: RTCConfiguration; hosts?: [SimHostOptions, SimHostOptions] } = {},
): Promise<[SimPeer, SimPeer]> {
  const [ca, cb] = await simCertificates();
  const seed = options.seed ?? 1;
  const hosts = options.hosts ?? [
    { address: '198.51.100.1', seed: seed * 2 + 1 },
    { address: '203.0.113.1', seed: seed * 2 + 2 },
  ];
  const make = (name: string, cert: RTCCertificate, host: SimHostOptions): SimPeer => {
    const pc = new RTCPeerConnection(
      { ...options.config, certificates: [cert] },
      { runtime: world.runtime(host) },
    );
    const log: string[] = [];
    const peer = { pc, name, log };
    for (const type of LOGGED) {
      pc.addEventListener(type, () => {
        const detail =
          type === 'signalingstatechange'
            ? pc.signalingState
            : type === 'iceconnectionstatechange'
              ? pc.iceConnectionState
              : type === 'connectionstatechange'
                ? pc.connectionState
                : type === 'icegatheringstatechange'
                  ? pc.iceGatheringState
                  : '';
        log.push(`${world.now.toFixed(1)} ${name} ${type} ${detail}`);
      });
    }
    return peer;
  };
  const a = make('a', ca!, hosts[0]);
  const b = make('b', cb!, hosts[1]);
  // Trickle: candidates cross through signaling instantly (the network under test is the media path).
  a.pc.onicecandidate = (e) => void b.pc.addIceCandidate(e.candidate).catch(() => undefined);
  b.pc.onicecandidate = (e) => void a.pc.addIceCandidate(e.candidate).catch(() => undefined);
  return [a, b];
}

/** One offer/answer round, `offerer` first. */
export async function negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection): Promise<void> {
  await offerer.setLocalDescription();
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription();
  await offerer.setRemoteDescription(answerer.localDescription!);
}

export function connected(...pcs: RTCPeerConnection[]): boolean {
  return pcs.every((pc) => pc.connectionState === 'connected');
}

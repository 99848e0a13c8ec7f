/**
 * Drives IceAgents on the simulated network: a SimParticipant per agent (one host socket per address),
 * a tiny STUN server for server-reflexive candidates, and signaling helpers.
 */
import { addressKey, type TransportAddress } from '../../src/common/engine.js';
import type { RTCIceTransportState } from '../../src/common/transport.js';
import { IceAgent, type IceAgentEvent, type IceAgentOptions } from '../../src/ice/agent.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidateFoundation, candidatePriority } from '../../src/ice/priority.js';
import { StunMethod } from '../../src/stun/constants.js';
import { StunMessage } from '../../src/stun/message.js';
import { type Datagram, Prng, type SimNetwork, type SimParticipant } from '../sim/network.js';

export interface SimHost {
  readonly id: string;
  readonly address: TransportAddress;
}

export function isStun(data: Uint8Array): boolean {
  return data.byteLength >= 20 && data[0]! < 4;
}

export class SimIcePeer implements SimParticipant {
  readonly agent: IceAgent;
  readonly hosts: SimHost[];
  readonly events: IceAgentEvent[] = [];
  readonly states: RTCIceTransportState[] = [];
  readonly received: Uint8Array[] = [];
  /** Every datagram this peer put on the wire, with the time (for pacing checks). */
  readonly sentLog: { at: number; datagram: Datagram }[] = [];
  private readonly outbox: Datagram[] = [];
  private readonly srflxQueries = new Map<string, SimHost>();

  constructor(
    readonly name: string,
    hostAddresses: readonly string[],
    options: Partial<IceAgentOptions> & { seed?: number } = {},
  ) {
    const prng = new Prng(options.seed ?? 7);
    this.agent = new IceAgent({ role: 'controlling', random: prng, ...options });
    this.hosts = hostAddresses.map((address, i) => ({
      id: `${name}-sock${i}`,
      address: { address, port: 5000 + i },
    }));
  }

  get addresses(): TransportAddress[] {
    return this.hosts.map((h) => h.address);
  }

  get state(): RTCIceTransportState {
    return this.agent.state;
  }

  /** Announce one host candidate per socket. */
  addHostCandidates(): RTCIceCandidate[] {
    return this.hosts.map((h, i) => {
      const c = new RTCIceCandidate({
        foundation: candidateFoundation('host', h.address.address),
        component: 1,
        priority: candidatePriority('host', 65535 - i, 1),
        address: h.address.address,
        port: h.address.port,
        protocol: 'udp',
        type: 'host',
        usernameFragment: this.agent.localParameters.usernameFragment,
      });
      this.agent.addLocalCandidate(c, h.id);
      return c;
    });
  }

  /** Ask a STUN server for each socket's mapped address; srflx candidates are added when answers come. */
  querySrflx(server: TransportAddress): void {
    for (const h of this.hosts) {
      const req = new StunMessage(StunMethod.Binding, 'request');
      this.srflxQueries.set(req.transactionKey, h);
      this.outbox.push({
        source: h.address,
        destination: server,
        data: req.serialize({ fingerprint: true }),
      });
    }
  }

  sendData(data: Uint8Array): boolean {
    const t = this.agent.send(data);
    if (!t) return false;
    const host = this.hosts.find((h) => h.id === t.meta!.baseId)!;
    this.outbox.push({ source: host.address, destination: t.destination, data: t.data });
    return true;
  }

  deliver(now: number, d: Datagram): void {
    const host = this.hosts.find((h) => addressKey(h.address) === addressKey(d.destination));
    if (!host) return;
    if (!isStun(d.data)) {
      this.received.push(d.data);
      return;
    }
    const msg = StunMessage.tryParse(d.data);
    const query = msg && this.srflxQueries.get(msg.transactionKey);
    if (msg && query && msg.messageClass === 'success') {
      this.srflxQueries.delete(msg.transactionKey);
      const mapped = msg.xorMappedAddress!;
      const c = new RTCIceCandidate({
        foundation: candidateFoundation('srflx', query.address.address, 'udp', 'stun'),
        component: 1,
        priority: candidatePriority('srflx', 65535, 1),
        address: mapped.address,
        port: mapped.port,
        protocol: 'udp',
        type: 'srflx',
        relatedAddress: query.address.address,
        relatedPort: query.address.port,
      });
      this.agent.addLocalCandidate(c, query.id);
      return;
    }
    this.agent.handleStun(now, host.id, d.source, d.data);
  }

  drain(_now: number): Datagram[] {
    for (let e = this.agent.pollEvent(); e; e = this.agent.pollEvent()) {
      this.events.push(e);
      if (e.type === 'statechange') this.states.push(e.state);
    }
    const out = this.outbox.splice(0);
    for (let t = this.agent.pollTransmit(); t; t = this.agent.pollTransmit()) {
      const host = this.hosts.find((h) => h.id === t.meta!.baseId);
      if (host) out.push({ source: host.address, destination: t.destination, data: t.data });
    }
    for (const d of out) this.sentLog.push({ at: _now, datagram: d });
    return out;
  }

  pollTimeout(): number | undefined {
    return this.agent.pollTimeout();
  }

  handleTimeout(now: number): void {
    this.agent.handleTimeout(now);
  }
}

/** A STUN server that answers Binding requests with the source it saw. */
export class SimStunServer implements SimParticipant {
  private readonly outbox: Datagram[] = [];
  constructor(readonly address: TransportAddress) {}
  get addresses(): TransportAddress[] {
    return [this.address];
  }
  deliver(_now: number, d: Datagram): void {
    const msg = StunMessage.tryParse(d.data);
    if (msg?.messageClass !== 'request') return;
    const res = msg.createResponse('success').setXorMappedAddress(d.source).serialize({ fingerprint: true });
    this.outbox.push({ source: this.address, destination: d.source, data: res });
  }
  drain(): Datagram[] {
    return this.outbox.splice(0);
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(): void {}
}

/** Give `to` the parameters and (optionally) candidates of `from`, as signaling would. */
export function signal(
  net: SimNetwork,
  from: SimIcePeer,
  to: SimIcePeer,
  options: { candidates?: boolean; endOfCandidates?: boolean } = {},
): void {
  to.agent.setRemoteParameters(net.now, from.agent.localParameters);
  if (options.candidates !== false) {
    // Candidates are tagged with the current ufrag, as a gatherer re-announcing them after a restart does.
    const ufrag = from.agent.localParameters.usernameFragment;
    for (const c of from.agent.getLocalCandidates()) {
      const p = c.parsed!;
      to.agent.addRemoteCandidate(
        net.now,
        new RTCIceCandidate({ ...p, component: p.componentId, usernameFragment: ufrag }),
      );
    }
  }
  if (options.endOfCandidates !== false) to.agent.addRemoteCandidate(net.now, null);
}

export function connected(...peers: SimIcePeer[]): boolean {
  return peers.every((p) => p.state === 'connected' || p.state === 'completed');
}

/** Both agents selected the same path (each one's remote is the other's local address). */
export function samePath(a: SimIcePeer, b: SimIcePeer): boolean {
  const pa = a.agent.getSelectedPair();
  const pb = b.agent.getSelectedPair();
  if (!pa || !pb) return false;
  return pa.remote.port === pb.local.port || pb.remote.port === pa.local.port;
}

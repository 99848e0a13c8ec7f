/** Drives DtlsEngines over the simulated network (test helper, not a test file). */
import type { TransportAddress } from '../../src/common/engine.js';
import { RTCCertificate } from '../../src/dtls/certificate.js';
import { DtlsEngine, type DtlsEngineEvent, type DtlsEngineOptions } from '../../src/dtls/engine.js';
import { matchesFingerprint } from '../../src/dtls/fingerprint.js';
import { type Datagram, type LinkConditions, SimNetwork, type SimParticipant } from '../sim/network.js';

export class DtlsPeer implements SimParticipant {
  readonly addresses: readonly TransportAddress[];
  readonly events: DtlsEngineEvent[] = [];
  readonly received: Uint8Array[] = [];

  constructor(
    readonly engine: DtlsEngine,
    readonly address: TransportAddress,
    public remote: TransportAddress,
  ) {
    this.addresses = [address];
    engine.onApplicationData = (data) => this.received.push(data.slice());
  }

  deliver(now: number, datagram: Datagram): void {
    this.engine.handleInput(now, datagram.data);
    this.collectEvents();
  }

  drain(): Datagram[] {
    const out: Datagram[] = [];
    for (let d = this.engine.pollTransmit(); d; d = this.engine.pollTransmit()) {
      out.push({ source: this.address, destination: this.remote, data: d });
    }
    return out;
  }

  pollTimeout(): number | undefined {
    return this.engine.pollTimeout();
  }

  handleTimeout(now: number): void {
    this.engine.handleTimeout(now);
    this.collectEvents();
  }

  collectEvents(): void {
    for (let e = this.engine.pollEvent(); e; e = this.engine.pollEvent()) this.events.push(e);
  }
}

let cached: Promise<{ ecdsa: RTCCertificate; rsa: RTCCertificate; p384: RTCCertificate }> | undefined;

/** Certificates shared by the tests of one process (RSA key generation is slow). */
export function testCertificates(): Promise<{
  ecdsa: RTCCertificate;
  rsa: RTCCertificate;
  p384: RTCCertificate;
}> {
  cached ??= (async () => ({
    ecdsa: await RTCCertificate.generateCertificate(),
    rsa: await RTCCertificate.generateCertificate({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 }),
    p384: await RTCCertificate.generateCertificate({ name: 'ECDSA', namedCurve: 'P-384' }),
  }))();
  return cached;
}

export type EngineOverrides = Partial<Omit<DtlsEngineOptions, 'role' | 'credential' | 'verifyPeer'>>;

export interface PairOptions {
  seed?: number;
  conditions?: Partial<LinkConditions>;
  clientCert: RTCCertificate;
  serverCert: RTCCertificate;
  /** Fingerprints each side expects (defaults: the other side's real certificate). */
  clientExpects?: RTCCertificate;
  serverExpects?: RTCCertificate;
  client?: EngineOverrides;
  server?: EngineOverrides;
}

export function enginePair(o: PairOptions): { net: SimNetwork; client: DtlsPeer; server: DtlsPeer } {
  const net = new SimNetwork({ seed: o.seed ?? 1, conditions: o.conditions });
  const a = { address: '203.0.113.101', port: 5000 };
  const b = { address: '203.0.113.102', port: 5000 };
  const clientExpects = (o.clientExpects ?? o.serverCert).getFingerprints();
  const serverExpects = (o.serverExpects ?? o.clientCert).getFingerprints();
  const client = new DtlsPeer(
    new DtlsEngine({
      role: 'client',
      credential: o.clientCert,
      verifyPeer: (chain) => matchesFingerprint(chain[0]!, clientExpects),
      ...o.client,
    }),
    a,
    b,
  );
  const server = new DtlsPeer(
    new DtlsEngine({
      role: 'server',
      credential: o.serverCert,
      verifyPeer: (chain) => matchesFingerprint(chain[0]!, serverExpects),
      ...o.server,
    }),
    b,
    a,
  );
  net.add(client);
  net.add(server);
  server.engine.start(net.now);
  client.engine.start(net.now);
  return { net, client, server };
}

export function bothConnected(client: DtlsPeer, server: DtlsPeer): boolean {
  return client.engine.state === 'connected' && server.engine.state === 'connected';
}

/**
 * RTCIceGatherer (ORTC, as aiortc has it): binds the host sockets, learns server-reflexive candidates from
 * STUN servers and relayed ones from TURN servers, and owns every "base" a candidate is sent from. The
 * RTCIceTransport built on it attaches a sink for what arrives and sends through `sendFrom()`.
 */
import type { TransportAddress } from '../common/engine.js';
import { ipFamily } from '../common/engine.js';
import { invalidState } from '../common/errors.js';
import { type EventHandler, RtcEventTarget } from '../common/events.js';
import { createLogger } from '../common/logger.js';
import { randomBytes, randomIceString } from '../common/random.js';
import type { HostAddressOptions } from '../net/interfaces.js';
import { type DatagramSocket, nodeRuntime, type Runtime, type RuntimeOptions } from '../net/runtime.js';
import { TurnConnection } from '../net/turn-connection.js';
import { type WakeRegistration, WakeScheduler } from '../net/wake-scheduler.js';
import { StunMethod } from '../stun/constants.js';
import { isStunMessage, StunMessage } from '../stun/message.js';
import { StunTransactions } from '../stun/transaction.js';
import type { RTCIceCandidate } from './candidate.js';
import { buildCandidate } from './candidate-factory.js';
import { type ParsedIceServerUrl, parseIceServers, type RTCIceServer } from './ice-server.js';

const log = createLogger('ice:gather');

export type RTCIceGathererState = 'new' | 'gathering' | 'complete' | 'closed';
export type RTCIceTransportPolicy = 'all' | 'relay';

export interface RTCIceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

export interface RTCIceGatherOptions extends HostAddressOptions, RuntimeOptions {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Extra host addresses to offer (e.g. '127.0.0.1'), as werift's option of the same name. */
  iceAdditionalHostAddresses?: string[];
  /** Fixed local credentials (aiortc's local_username / local_password); random when absent. */
  localParameters?: Partial<RTCIceParameters>;
  /** Verify the certificate of `turns:` servers (default true; tests with a self-signed server set false). */
  turnRejectUnauthorized?: boolean;
}

/** Fired for each candidate; `candidate` is null once gathering is complete (W3C shape). */
export class RTCIceGathererEvent extends Event {
  constructor(
    type: 'icecandidate',
    readonly candidate: RTCIceCandidate | null,
    readonly url: string | null = null,
  ) {
    super(type);
  }
}

/** W3C RTCPeerConnectionIceErrorEvent. */
export class RTCPeerConnectionIceErrorEvent extends Event {
  readonly address: string | null;
  readonly port: number | null;
  readonly url: string;
  readonly errorCode: number;
  readonly errorText: string;
  constructor(init: {
    address: string | null;
    port: number | null;
    url: string;
    errorCode: number;
    errorText: string;
  }) {
    super('icecandidateerror');
    this.address = init.address;
    this.port = init.port;
    this.url = init.url;
    this.errorCode = init.errorCode;
    this.errorText = init.errorText;
  }
}

/** What the gatherer hands up: STUN for the agent, everything else for the layer above. */
export interface GathererSink {
  onStun(baseId: string, source: TransportAddress, data: Uint8Array): void;
  /** `receivedAt`: when the datagram reached the host, where the socket knows it (see DatagramSocket). */
  onData(baseId: string, source: TransportAddress, data: Uint8Array, receivedAt?: number): void;
}

interface Base {
  send(destination: TransportAddress, data: Uint8Array): void;
  /** Relayed bases: install a permission for a remote candidate before checks reach it. */
  permit?(peer: TransportAddress): void;
  close(): void;
}

interface HostSocket {
  readonly baseId: string;
  readonly socket: DatagramSocket;
  readonly localIndex: number;
}

interface GathererEventMap {
  statechange: Event;
  icecandidate: RTCIceGathererEvent;
  icecandidateerror: RTCPeerConnectionIceErrorEvent;
}

/** STUN Binding to a server: 5 sends over ~4.75 s, like aiortc's 5 s gathering limit per server. */
const SRFLX_TIMING = { rto: 250, maxSends: 5, finalWaitFactor: 4, reliable: false, reliableTimeout: 0 };

export class RTCIceGatherer extends RtcEventTarget<GathererEventMap> {
  private _state: RTCIceGathererState = 'new';
  private readonly local: RTCIceParameters;
  private readonly candidates: RTCIceCandidate[] = [];
  private readonly bases = new Map<string, Base>();
  private readonly hostSockets: HostSocket[] = [];
  private readonly servers: ParsedIceServerUrl[];
  private readonly policy: RTCIceTransportPolicy;
  private readonly stun = new StunTransactions<{ host: HostSocket; url: string; done: () => void }>(
    SRFLX_TIMING,
  );
  private readonly stunTimer: WakeRegistration;
  /** The clock, timers, randomness and network this gatherer (and the transports above it) use. */
  readonly runtime: Runtime;
  /** The single timer of the connection this gatherer belongs to. */
  readonly wakes: WakeScheduler;
  private sink: GathererSink | undefined;
  private gathering: Promise<void> | undefined;
  private nextBase = 0;
  /** The base each local candidate is sent from. */
  private readonly candidateBase = new Map<RTCIceCandidate, string>();

  constructor(private readonly options: RTCIceGatherOptions = {}) {
    super();
    this.runtime = options.runtime ?? nodeRuntime;
    this.wakes = options.wakes ?? new WakeScheduler(this.runtime);
    // URLs and credentials are validated now, as the W3C constructor does (SyntaxError / InvalidAccessError).
    this.servers = parseIceServers(options.iceServers ?? []);
    this.policy = options.iceTransportPolicy ?? 'all';
    if (this.policy !== 'all' && this.policy !== 'relay') {
      throw new TypeError(`iceTransportPolicy must be 'all' or 'relay', not '${String(this.policy)}'`);
    }
    const lp = options.localParameters ?? {};
    this.local = {
      usernameFragment: lp.usernameFragment ?? randomIceString(8, this.runtime.random),
      password: lp.password ?? randomIceString(24, this.runtime.random),
      iceLite: false,
    };
    if (this.local.usernameFragment.length < 4 || this.local.password.length < 22) {
      throw new TypeError('an ICE usernameFragment needs at least 4 characters and a password at least 22');
    }
    this.stunTimer = this.wakes.register(
      () => this.stun.pollTimeout(),
      (t) => {
        this.stun.handleTimeout(t);
        this.pumpStun();
      },
    );
  }

  get state(): RTCIceGathererState {
    return this._state;
  }
  get onstatechange(): EventHandler<Event> {
    return this.getHandler('statechange');
  }
  set onstatechange(h: EventHandler<Event>) {
    this.setHandler('statechange', h);
  }
  get onicecandidate(): EventHandler<RTCIceGathererEvent> {
    return this.getHandler('icecandidate');
  }
  set onicecandidate(h: EventHandler<RTCIceGathererEvent>) {
    this.setHandler('icecandidate', h);
  }
  get onicecandidateerror(): EventHandler<RTCPeerConnectionIceErrorEvent> {
    return this.getHandler('icecandidateerror');
  }
  set onicecandidateerror(h: EventHandler<RTCPeerConnectionIceErrorEvent>) {
    this.setHandler('icecandidateerror', h);
  }

  getLocalParameters(): RTCIceParameters {
    return { ...this.local };
  }

  getLocalCandidates(): RTCIceCandidate[] {
    return [...this.candidates];
  }

  /** Gathers every candidate; resolves when gathering is complete. Server failures become icecandidateerror. */
  gather(): Promise<void> {
    if (this._state === 'closed') return Promise.reject(invalidState('RTCIceGatherer is closed'));
    this.gathering ??= this.runGathering();
    return this.gathering;
  }

  private setState(state: RTCIceGathererState): void {
    if (this._state === state) return;
    this._state = state;
    this.dispatchEvent(new Event('statechange'));
  }

  private async runGathering(): Promise<void> {
    this.setState('gathering');
    const addresses = this.runtime.network.hostAddresses({
      ...this.options,
      additional: [...(this.options.additional ?? []), ...(this.options.iceAdditionalHostAddresses ?? [])],
    });
    for (const address of addresses) {
      let socket: DatagramSocket;
      try {
        socket = await this.runtime.network.bindUdp(address);
      } catch (err) {
        log.debug(`cannot bind ${address}: ${(err as Error).message}`);
        continue;
      }
      if (this._state === 'closed') {
        socket.close();
        return;
      }
      const host: HostSocket = {
        baseId: `udp${this.nextBase++}`,
        socket,
        localIndex: this.hostSockets.length,
      };
      this.hostSockets.push(host);
      this.bases.set(host.baseId, { send: (d, data) => socket.send(data, d), close: () => socket.close() });
      socket.onMessage = (data, source, receivedAt) => this.onHostMessage(host, data, source, receivedAt);
      if (this.policy === 'all') {
        const c = buildCandidate({
          type: 'host',
          address: socket.local,
          baseAddress: socket.local,
          localIndex: host.localIndex,
        });
        this.addCandidate(c, host.baseId);
      }
    }
    const work: Promise<void>[] = [];
    for (const server of this.servers) {
      if (server.kind === 'stun' && this.policy === 'all') work.push(this.gatherReflexive(server));
      if (server.kind === 'turn') work.push(this.gatherRelayed(server));
    }
    await Promise.all(work);
    if (this._state === 'closed') return;
    this.setState('complete');
    this.dispatchEvent(new RTCIceGathererEvent('icecandidate', null));
  }

  private resolve(host: string): Promise<string | undefined> {
    return this.runtime.network.resolve(host);
  }

  private async gatherReflexive(server: ParsedIceServerUrl): Promise<void> {
    const ip = await this.resolve(server.host);
    if (!ip) {
      this.reportError(server.url, null, 701, `cannot resolve STUN server ${server.host}`);
      return;
    }
    const destination = { address: ip, port: server.port };
    const hosts = this.hostSockets.filter((h) => ipFamily(h.socket.local.address) === ipFamily(ip));
    await Promise.all(
      hosts.map(
        (host) =>
          new Promise<void>((done) => {
            const req = new StunMessage(StunMethod.Binding, 'request', randomBytes(12, this.runtime.random));
            this.stun.start(
              this.runtime.clock.now(),
              req,
              req.serialize({ fingerprint: true }),
              destination,
              {
                host,
                url: server.url,
                done,
              },
            );
            this.pumpStun();
          }),
      ),
    );
  }

  private pumpStun(): void {
    for (let t = this.stun.pollTransmit(); t; t = this.stun.pollTransmit()) {
      t.meta?.host.socket.send(t.data, t.destination);
    }
    for (let e = this.stun.pollEvent(); e; e = this.stun.pollEvent()) {
      const { host, url, done } = e.meta;
      if (e.type === 'timeout') {
        this.reportError(url, host.socket.local, 701, 'STUN server did not answer');
      } else if (e.response.messageClass === 'error') {
        const err = StunMessage.tryParse(e.response.raw ?? new Uint8Array())?.errorCode;
        this.reportError(url, host.socket.local, err?.code ?? 701, err?.reason ?? 'STUN error response');
      } else {
        this.addReflexive(host, url, e.response);
      }
      done();
    }
    this.stunTimer.schedule();
  }

  private addReflexive(host: HostSocket, url: string, response: StunMessage): void {
    let mapped: TransportAddress | undefined;
    try {
      mapped = response.xorMappedAddress ?? response.mappedAddress;
    } catch {
      mapped = undefined;
    }
    if (!mapped) return;
    // A reflexive address equal to a host address adds nothing (no NAT on the way).
    if (this.candidates.some((c) => c.address === mapped.address && c.port === mapped.port)) return;
    const c = buildCandidate({
      type: 'srflx',
      address: mapped,
      baseAddress: host.socket.local,
      related: host.socket.local,
      server: url,
      localIndex: host.localIndex,
    });
    this.addCandidate(c, host.baseId);
  }

  private async gatherRelayed(server: ParsedIceServerUrl): Promise<void> {
    const ip = await this.resolve(server.host);
    if (!ip) {
      this.reportError(server.url, null, 701, `cannot resolve TURN server ${server.host}`);
      return;
    }
    if (server.transport !== 'udp' && !this.runtime.network.streams) {
      this.reportError(server.url, null, 701, `TURN over ${server.transport} needs a stream network`);
      return;
    }
    const relay = new TurnConnection({
      runtime: this.runtime,
      wakes: this.wakes,
      server: { address: ip, port: server.port },
      transport: server.transport,
      username: server.username ?? '',
      credential: server.credential ?? '',
      servername: server.host,
      rejectUnauthorized: this.options.turnRejectUnauthorized ?? true,
    });
    const baseId = `relay${this.nextBase++}`;
    this.bases.set(baseId, {
      send: (d, data) => relay.sendTo(d, data),
      permit: (peer) => relay.createPermission(peer),
      close: () => relay.close(),
    });
    try {
      const { relayed, mapped } = await relay.allocate();
      if (this._state === 'closed') return;
      relay.onData = (peer, data) => this.dispatchToSink(baseId, peer, data);
      // An allocation lost later (refresh refused, server gone) is reported like a gathering failure.
      relay.onError = (err) => {
        if (this._state === 'closed') return;
        this.bases.delete(baseId);
        this.reportError(server.url, null, err.code || 701, `TURN allocation lost: ${err.message}`);
      };
      const c = buildCandidate({
        type: 'relay',
        address: relayed,
        baseAddress: relayed,
        related: mapped,
        server: server.url,
        localIndex: this.nextBase,
        relayProtocol: server.transport,
      });
      this.addCandidate(c, baseId);
    } catch (err) {
      this.bases.delete(baseId);
      relay.close();
      this.reportError(server.url, null, errorCodeOf(err), (err as Error).message);
    }
  }

  private reportError(
    url: string,
    local: TransportAddress | null,
    errorCode: number,
    errorText: string,
  ): void {
    log.debug(`candidate error ${errorCode} from ${url}: ${errorText}`);
    this.dispatchEvent(
      new RTCPeerConnectionIceErrorEvent({
        address: local?.address ?? null,
        port: local?.port ?? null,
        url,
        errorCode,
        errorText,
      }),
    );
  }

  private addCandidate(candidate: RTCIceCandidate, baseId: string): void {
    this.candidates.push(candidate);
    this.candidateBase.set(candidate, baseId);
    this.dispatchEvent(new RTCIceGathererEvent('icecandidate', candidate));
  }

  private onHostMessage(
    host: HostSocket,
    data: Uint8Array,
    source: TransportAddress,
    receivedAt: number | undefined,
  ): void {
    if (data.byteLength > 0 && data[0]! < 4 && isStunMessage(data)) {
      const msg = StunMessage.tryParse(data);
      if (!msg) return;
      if (
        (msg.messageClass === 'success' || msg.messageClass === 'error') &&
        this.stun.handleResponse(this.runtime.clock.now(), msg)
      ) {
        this.pumpStun();
        return;
      }
      this.sink?.onStun(host.baseId, source, data);
      return;
    }
    this.sink?.onData(host.baseId, source, data, receivedAt);
  }

  private dispatchToSink(baseId: string, source: TransportAddress, data: Uint8Array): void {
    if (data.byteLength > 0 && data[0]! < 4 && isStunMessage(data)) this.sink?.onStun(baseId, source, data);
    else this.sink?.onData(baseId, source, data);
  }

  /** @internal The base a local candidate is sent from. */
  baseOf(candidate: RTCIceCandidate): string | undefined {
    return this.candidateBase.get(candidate);
  }

  /** @internal RTCIceTransport attaches here. */
  attach(sink: GathererSink | undefined): void {
    this.sink = sink;
  }

  /** @internal Send from a base (host socket or TURN allocation). */
  sendFrom(baseId: string, destination: TransportAddress, data: Uint8Array): void {
    this.bases.get(baseId)?.send(destination, data);
  }

  /** @internal Ask relayed bases for a permission towards a remote candidate. */
  permit(peer: TransportAddress): void {
    for (const b of this.bases.values()) b.permit?.(peer);
  }

  close(): void {
    if (this._state === 'closed') return;
    this.setState('closed');
    this.stunTimer.close();
    for (let e = this.stun.pollEvent(); e; e = this.stun.pollEvent()) e.meta.done();
    for (const meta of this.stun.cancelAll()) meta.done();
    for (const b of this.bases.values()) b.close();
    this.bases.clear();
    this.sink = undefined;
  }
}

function errorCodeOf(err: unknown): number {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code >= 300 && code <= 799 ? code : 701;
}

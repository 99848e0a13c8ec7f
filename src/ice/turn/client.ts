/**
 * A sans-I/O TURN client (RFC 8656): one instance per allocation on one server. It allocates with the
 * long-term credential mechanism (401 → realm/nonce → retry; 438 → new nonce → retry; 300 → alternate
 * server), refreshes the allocation before it expires, creates and refreshes permissions, binds and
 * refreshes channels, and carries application data as Send/Data indications or ChannelData. Over TCP/TLS
 * the input is a byte stream that it frames itself (§11.5).
 */
import { addressKey, type SansIoEngine, type Transmit, type TransportAddress } from '../../common/engine.js';
import { createLogger } from '../../common/logger.js';
import { cryptoRandom, type RandomSource, randomBytes } from '../../common/random.js';
import type { StunMessage } from '../../stun/message.js';
import { DEFAULT_TIMING, StunTransactions, type TransactionTiming } from '../../stun/transaction.js';
import { encodeChannelData } from './channel-data.js';
import { classifyFrame, responseIntegrityOk } from './inbound.js';
import { MAX_QUEUED_PER_PEER, PeerBindings, type Permission } from './peer-bindings.js';
import { buildRequest, type Credentials, nextCredentials, type RequestPurpose } from './requests.js';
import { encodeSendIndication } from './send-indication.js';
import { StreamFramer } from './stream-framer.js';
import {
  MAX_STALE_NONCE_RETRIES,
  newStats,
  type RequestMeta,
  TURN_UNREACHABLE,
  type TurnClientEvent,
  type TurnClientOptions,
  type TurnClientState,
  type TurnClientStats,
} from './types.js';

const log = createLogger('turn');

export class TurnClient implements SansIoEngine<TurnClientEvent> {
  state: TurnClientState = 'new';
  relayedAddress: TransportAddress | undefined;
  mappedAddress: TransportAddress | undefined;
  /** Lifetime (s) the server granted in its last Allocate or Refresh response. */
  lifetime = 0;
  readonly stats: TurnClientStats = newStats();
  private serverAddress: TransportAddress;
  private readonly options: TurnClientOptions;
  private readonly transactions: StunTransactions<RequestMeta>;
  private readonly bindings = new PeerBindings();
  private readonly framer: StreamFramer | undefined;
  private readonly transmits: Transmit[] = [];
  private readonly events: TurnClientEvent[] = [];
  private credentials: Credentials | undefined;
  private redirects = 0;
  private refreshAt: number | undefined;
  private expiresAt: number | undefined;
  private readonly random: RandomSource;
  private readonly indicationIdBase: Uint8Array;
  private indicationCounter = 0;

  constructor(options: TurnClientOptions) {
    this.options = options;
    this.random = options.random ?? cryptoRandom;
    this.indicationIdBase = randomBytes(12, this.random);
    this.serverAddress = options.server;
    const reliable = options.transport !== 'udp';
    this.transactions = new StunTransactions<RequestMeta>({
      ...DEFAULT_TIMING,
      ...options.timing,
      reliable,
    });
    this.framer = reliable ? new StreamFramer() : undefined;
  }

  private allocatePurpose(): RequestPurpose {
    const { lifetime = 600, relayFamily } = this.options;
    return relayFamily === undefined
      ? { kind: 'allocate', lifetime }
      : { kind: 'allocate', lifetime, family: relayFamily };
  }

  /** The server currently in use (changes after a 300 Try-Alternate). */
  get server(): TransportAddress {
    return this.serverAddress;
  }

  allocate(now: number): void {
    if (this.state !== 'new') throw new Error(`TurnClient.allocate() in state ${this.state}`);
    this.state = 'allocating';
    this.request(now, this.allocatePurpose(), 0);
    this.pump(now);
  }

  /** Send `data` to `peer` through the relay; permission and channel are set up on first use. */
  sendTo(now: number, peer: TransportAddress, data: Uint8Array): void {
    if (this.state !== 'new' && this.state !== 'allocating' && this.state !== 'allocated') {
      this.stats.droppedSends++;
      return;
    }
    const channel = this.bindings.channelForPeer(peer);
    if (channel?.state === 'bound' && now < channel.expiresAt) {
      this.transmit(encodeChannelData(channel.number, data, this.framer !== undefined));
      return;
    }
    const permission = this.bindings.permission(peer.address) ?? this.openPermission(now, peer.address);
    if (permission.state === 'granted') {
      this.sendIndication(now, peer, data);
    } else if (permission.state === 'failed') {
      this.stats.droppedSends++;
    } else {
      if (permission.queue.length >= MAX_QUEUED_PER_PEER) {
        permission.queue.shift();
        this.stats.droppedSends++;
      }
      permission.queue.push({ peer, data });
    }
    this.pump(now);
  }

  /** Install a permission for the peer's IP ahead of traffic (ICE does this for remote candidates). */
  createPermission(now: number, peer: TransportAddress): void {
    if (this.state === 'closing' || this.state === 'closed' || this.state === 'failed') return;
    if (!this.bindings.permission(peer.address)) this.openPermission(now, peer.address);
    this.pump(now);
  }

  hasPermission(ip: string): boolean {
    return this.bindings.permission(ip)?.state === 'granted';
  }

  /** The bound channel number for `peer`, if any. */
  channelFor(peer: TransportAddress): number | undefined {
    const c = this.bindings.channelForPeer(peer);
    return c?.state === 'bound' ? c.number : undefined;
  }

  /** Deallocate (Refresh with LIFETIME 0); emits 'closed' once the server answers or gives up. */
  close(now: number): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.transactions.cancelAll();
    for (const p of this.bindings.permissions.values()) this.stats.droppedSends += p.queue.length;
    this.bindings.clear();
    this.refreshAt = undefined;
    if (this.state === 'allocated') {
      this.state = 'closing';
      // A short schedule: closing should not hang on a server that went away.
      const timing = this.framer ? { reliableTimeout: 5_000 } : { maxSends: 3, finalWaitFactor: 4 };
      this.request(now, { kind: 'refresh', lifetime: 0 }, 0, timing);
    } else {
      this.finish();
    }
    this.pump(now);
  }

  /** The runtime lost its connection to the server (TCP reset, TLS failure, ICMP unreachable). */
  transportFailed(now: number, reason: string): void {
    if (this.state === 'closing') this.finish();
    else this.fail(TURN_UNREACHABLE, reason);
    this.pump(now);
  }

  handleInput(now: number, data: Uint8Array): void {
    if (this.framer) {
      for (const frame of this.framer.push(data)) this.handleFrame(now, frame);
      if (this.framer.corrupt) this.transportFailed(now, 'TURN stream out of step (bad framing)');
    } else {
      this.handleFrame(now, data);
    }
    this.pump(now);
  }

  pollTimeout(): number | undefined {
    let min = this.transactions.pollTimeout();
    const consider = (t: number | undefined): void => {
      if (t !== undefined && (min === undefined || t < min)) min = t;
    };
    if (this.state === 'allocated') {
      consider(this.refreshAt);
      consider(this.expiresAt);
      consider(this.bindings.nextDeadline());
    }
    return min;
  }

  handleTimeout(now: number): void {
    this.transactions.handleTimeout(now);
    this.pump(now);
    if (this.state !== 'allocated') return;
    if (this.expiresAt !== undefined && now >= this.expiresAt) {
      this.fail(TURN_UNREACHABLE, 'TURN allocation expired without a successful refresh');
      return;
    }
    if (this.refreshAt !== undefined && now >= this.refreshAt) {
      this.refreshAt = undefined;
      this.request(now, { kind: 'refresh', lifetime: this.options.lifetime ?? 600 }, 0);
    }
    for (const purpose of this.bindings.takeDue(now)) this.request(now, purpose, 0);
    this.pump(now);
  }

  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  pollEvent(): TurnClientEvent | undefined {
    return this.events.shift();
  }

  // ---- internals

  private openPermission(now: number, ip: string): Permission {
    const allocated = this.state === 'allocated';
    const p = this.bindings.addPermission(ip, allocated ? 'pending' : 'waiting');
    if (allocated) this.request(now, { kind: 'permission', ip }, 0);
    return p;
  }

  private sendIndication(now: number, peer: TransportAddress, data: Uint8Array): void {
    this.transmit(encodeSendIndication(this.nextIndicationId(), peer, data));
    if (this.options.useChannels !== false && this.bindings.canBindChannel(peer)) {
      const channel = this.bindings.reserveChannel(peer);
      this.request(now, { kind: 'channel', number: channel.number, peer }, 0);
    }
  }

  /**
   * Indications need a transaction id but no unpredictability (nothing answers them), so a random base
   * with a counter saves a CSPRNG call per relayed datagram.
   */
  private nextIndicationId(): Uint8Array {
    this.indicationCounter = (this.indicationCounter + 1) >>> 0;
    const id = this.indicationIdBase.slice();
    new DataView(id.buffer).setUint32(8, this.indicationCounter);
    return id;
  }

  private transmit(data: Uint8Array): void {
    this.transmits.push({ destination: this.serverAddress, data });
  }

  private request(
    now: number,
    purpose: RequestPurpose,
    staleRetries: number,
    timing?: Partial<TransactionTiming>,
  ): void {
    const message = buildRequest(purpose, this.credentials, this.options.software, this.random);
    const bytes = message.serialize(
      this.credentials ? { integrityKey: this.credentials.key, fingerprint: true } : { fingerprint: true },
    );
    this.transactions.start(now, message, bytes, this.serverAddress, { purpose, staleRetries }, timing);
  }

  /** Move transaction output into ours and act on finished transactions (which may start new ones). */
  private pump(now: number): void {
    for (;;) {
      for (let t = this.transactions.pollTransmit(); t; t = this.transactions.pollTransmit()) {
        this.transmits.push({ destination: t.destination, data: t.data });
      }
      const e = this.transactions.pollEvent();
      if (!e) return;
      try {
        if (e.type === 'timeout') this.onTimeout(now, e.meta.purpose);
        else this.onResponse(now, e.meta, e.response);
      } catch (err) {
        // A typed getter met a malformed attribute in a response that passed integrity.
        this.stats.malformed++;
        log.debug('bad TURN response', err);
        if (e.meta.purpose.kind === 'allocate') this.fail(500, 'malformed Allocate response');
      }
    }
  }

  private handleFrame(now: number, frame: Uint8Array): void {
    const inbound = classifyFrame(frame, (n) => this.bindings.channelByNumber(n)?.peer);
    switch (inbound.kind) {
      case 'data':
        if (this.state === 'allocated')
          this.events.push({ type: 'data', peer: inbound.peer, data: inbound.data });
        return;
      case 'malformed':
      case 'unknownChannel':
        this.stats[inbound.kind]++;
        return;
      case 'ignored':
        return;
      case 'response': {
        const msg = inbound.message;
        if (!this.transactions.has(msg.transactionKey)) this.stats.unmatched++;
        else if (!responseIntegrityOk(msg, this.credentials)) this.stats.integrityFailures++;
        else this.transactions.handleResponse(now, msg);
      }
    }
  }

  private onTimeout(now: number, purpose: RequestPurpose): void {
    if (purpose.kind === 'refresh' && this.state === 'closing') {
      this.finish();
    } else if (purpose.kind === 'refresh' && this.expiresAt !== undefined && now < this.expiresAt) {
      // A lossy path can eat a whole transaction; the allocation is only lost once it has expired.
      this.request(now, purpose, 0);
    } else {
      const reason = `TURN server ${addressKey(this.serverAddress)} did not answer`;
      this.onError(now, purpose, TURN_UNREACHABLE, reason);
    }
  }

  private onResponse(now: number, meta: RequestMeta, res: StunMessage): void {
    const { purpose } = meta;
    if (res.messageClass === 'error') {
      const error = res.errorCode ?? { code: 400, reason: 'error response without ERROR-CODE' };
      if (error.code === 438 && res.nonce !== undefined && meta.staleRetries < MAX_STALE_NONCE_RETRIES) {
        this.setCredentials(res.realm ?? this.credentials?.realm ?? '', res.nonce);
        this.request(now, purpose, meta.staleRetries + 1);
        return;
      }
      if (error.code === 401 && !this.credentials && res.realm !== undefined && res.nonce !== undefined) {
        this.setCredentials(res.realm, res.nonce);
        this.request(now, purpose, meta.staleRetries);
        return;
      }
      if (error.code === 300 && purpose.kind === 'allocate') {
        this.redirect(now, res);
        return;
      }
      this.onError(now, purpose, error.code, error.reason);
      return;
    }
    switch (purpose.kind) {
      case 'allocate':
        this.onAllocated(now, res);
        return;
      case 'refresh':
        if (this.state === 'closing') {
          this.finish();
          return;
        }
        this.setLifetime(now, res.lifetime ?? purpose.lifetime);
        this.events.push({ type: 'refreshed', lifetime: this.lifetime });
        return;
      case 'permission':
        this.onPermissionGranted(now, purpose.ip);
        return;
      case 'channel':
        this.bindings.bindChannel(purpose.number, now);
        // A ChannelBind also installs or refreshes the permission for the peer's IP (§12.2).
        if (this.bindings.permission(purpose.peer.address)?.state === 'granted') {
          this.bindings.grant(purpose.peer.address, now);
        }
        return;
    }
  }

  private onError(now: number, purpose: RequestPurpose, code: number, reason: string): void {
    switch (purpose.kind) {
      case 'allocate':
        this.fail(code, code === 401 ? `wrong TURN username or credential (${reason})` : reason);
        return;
      case 'refresh':
        if (this.state === 'closing') this.finish();
        else this.fail(code, `TURN refresh failed: ${reason}`);
        return;
      case 'permission':
        this.stats.droppedSends += this.bindings.refuse(purpose.ip, now);
        return;
      case 'channel':
        this.bindings.channelFailed(purpose.number, now);
        return;
    }
  }

  private onAllocated(now: number, res: StunMessage): void {
    const relayed = res.xorRelayedAddress;
    if (!relayed) {
      this.fail(500, 'Allocate response without XOR-RELAYED-ADDRESS');
      return;
    }
    this.relayedAddress = relayed;
    this.mappedAddress = res.xorMappedAddress;
    this.state = 'allocated';
    this.setLifetime(now, res.lifetime ?? this.options.lifetime ?? 600);
    this.events.push({ type: 'allocated', relayed, mapped: this.mappedAddress, lifetime: this.lifetime });
    for (const ip of this.bindings.startWaiting()) this.request(now, { kind: 'permission', ip }, 0);
  }

  private setLifetime(now: number, seconds: number): void {
    this.lifetime = seconds;
    this.expiresAt = now + seconds * 1000;
    // Refresh a minute before expiry, or at half-life for short lifetimes.
    this.refreshAt = now + Math.max(seconds * 1000 - 60_000, (seconds * 1000) / 2);
  }

  private onPermissionGranted(now: number, ip: string): void {
    const p = this.bindings.grant(ip, now);
    if (!p) return;
    const queued = p.queue;
    p.queue = [];
    for (const q of queued) this.sendIndication(now, q.peer, q.data);
  }

  private redirect(now: number, res: StunMessage): void {
    const alternate = res.alternateServer;
    if (!alternate || this.redirects >= (this.options.maxRedirects ?? 2)) {
      this.fail(300, alternate ? 'too many TURN redirects' : 'Try Alternate without ALTERNATE-SERVER');
      return;
    }
    this.redirects++;
    this.serverAddress = alternate;
    this.credentials = undefined; // the new server challenges with its own realm and nonce
    this.framer?.reset();
    this.events.push({ type: 'redirected', server: alternate });
    this.request(now, this.allocatePurpose(), 0);
  }

  private setCredentials(realm: string, nonce: string): void {
    const { username, credential } = this.options;
    this.credentials = nextCredentials(this.credentials, username, credential, realm, nonce);
  }

  private fail(code: number, reason: string): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    log.debug(`allocation failed: ${code} ${reason}`);
    this.transactions.cancelAll();
    this.bindings.clear();
    this.refreshAt = undefined;
    this.state = 'failed';
    const url = this.options.url;
    this.events.push(
      url === undefined ? { type: 'error', code, reason } : { type: 'error', code, reason, url },
    );
  }

  private finish(): void {
    this.transactions.cancelAll();
    this.refreshAt = undefined;
    this.state = 'closed';
    this.events.push({ type: 'closed' });
  }
}

/**
 * A tiny TURN server (RFC 8656) for the simulated network: long-term credentials with nonces that go
 * stale, allocations with lifetimes and a quota, permissions and channel bindings that expire, Send/Data
 * indications and ChannelData, 300 Try-Alternate, and a stream mode that frames TCP input and chops its
 * output into random chunks. Only what the client tests need; it trusts nothing it receives.
 */
import { addressKey, type TransportAddress } from '../../src/common/engine.js';
import { encodeChannelData, isChannelData, parseChannelData } from '../../src/ice/turn/channel-data.js';
import { StreamFramer } from '../../src/ice/turn/stream-framer.js';
import { StunMethod, TRANSPORT_UDP } from '../../src/stun/constants.js';
import { longTermKey } from '../../src/stun/integrity.js';
import { StunMessage } from '../../src/stun/message.js';
import type { Datagram, Prng, SimNetwork, SimParticipant } from '../sim/network.js';

export interface MiniTurnOptions {
  address: TransportAddress;
  relayIp: string;
  users: Record<string, string>;
  realm?: string;
  /** A nonce older than this (ms) is answered with 438. */
  nonceLifetime?: number;
  maxAllocations?: number;
  /** Answer every Allocate with 300 pointing here. */
  alternate?: TransportAddress;
  /** Cap on granted lifetime, seconds. */
  maxLifetime?: number;
  /** Answer ChannelBind with 403 (a server that allows no channels). */
  refuseChannels?: boolean;
  /** TCP mode: input is a byte stream per client; output is cut into random chunks with `chunker`. */
  stream?: Prng;
}

interface Allocation {
  readonly client: TransportAddress;
  readonly relayed: TransportAddress;
  readonly key: Uint8Array;
  expiresAt: number;
  readonly permissions: Map<string, number>;
  readonly channels: Map<number, { peer: TransportAddress; expiresAt: number }>;
}

export class MiniTurnServer implements SimParticipant {
  readonly addresses: TransportAddress[];
  readonly counts = {
    allocate: 0,
    refresh: 0,
    createPermission: 0,
    channelBind: 0,
    unauthorized: 0,
    stale: 0,
    deallocated: 0,
    sendIndications: 0,
    channelDataIn: 0,
    dataIndicationsOut: 0,
    channelDataOut: 0,
    droppedNoPermission: 0,
    malformed: 0,
  };
  readonly allocations = new Map<string, Allocation>();
  private readonly byRelay = new Map<string, Allocation>();
  private readonly nonces = new Map<string, number>();
  private readonly framers = new Map<string, StreamFramer>();
  /** Responses by transaction id, so a retransmitted request gets the same answer (RFC 8489 §6.3.1). */
  private readonly answered = new Map<string, Uint8Array>();
  private out: Datagram[] = [];
  private nextNonce = 1;
  private nextPort = 50_000;
  private readonly realm: string;

  constructor(
    private readonly net: SimNetwork,
    private readonly options: MiniTurnOptions,
  ) {
    this.addresses = [options.address];
    this.realm = options.realm ?? 'sim.test';
  }

  deliver(now: number, d: Datagram): void {
    this.expire(now);
    const relay = this.byRelay.get(addressKey(d.destination));
    if (relay) {
      this.fromPeer(relay, d);
      return;
    }
    let frames = [d.data];
    if (this.options.stream) {
      const key = addressKey(d.source);
      const framer = this.framers.get(key) ?? new StreamFramer();
      this.framers.set(key, framer);
      frames = framer.push(d.data);
    }
    for (const f of frames) this.fromClient(now, d.source, f);
  }

  drain(): Datagram[] {
    const out = this.out;
    this.out = [];
    const chunker = this.options.stream;
    if (!chunker) return out;
    // A stream delivers bytes, not messages: regroup each client's output into random-sized chunks.
    const result: Datagram[] = [];
    const byClient = new Map<string, Datagram[]>();
    for (const d of out) {
      if (this.byRelay.has(addressKey(d.source))) result.push(d);
      else byClient.set(addressKey(d.destination), [...(byClient.get(addressKey(d.destination)) ?? []), d]);
    }
    for (const list of byClient.values()) {
      const all = Buffer.concat(list.map((d) => d.data));
      for (let at = 0; at < all.byteLength; ) {
        const size = 1 + chunker.int(Math.min(200, all.byteLength - at));
        result.push({ ...list[0]!, data: all.subarray(at, at + size) });
        at += size;
      }
    }
    return result;
  }

  pollTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(): void {}

  private expire(now: number): void {
    for (const [key, a] of this.allocations) {
      if (a.expiresAt > now) continue;
      this.allocations.delete(key);
      this.byRelay.delete(addressKey(a.relayed));
    }
  }

  private send(from: TransportAddress, to: TransportAddress, data: Uint8Array): void {
    this.out.push({ source: from, destination: to, data });
  }

  private fromPeer(a: Allocation, d: Datagram): void {
    const permitted = a.permissions.get(d.source.address);
    if (permitted === undefined || permitted <= this.net.now) {
      this.counts.droppedNoPermission++;
      return;
    }
    for (const [number, c] of a.channels) {
      if (addressKey(c.peer) === addressKey(d.source) && c.expiresAt > this.net.now) {
        this.counts.channelDataOut++;
        this.send(this.options.address, a.client, encodeChannelData(number, d.data, !!this.options.stream));
        return;
      }
    }
    this.counts.dataIndicationsOut++;
    const ind = new StunMessage(StunMethod.Data, 'indication').setXorPeerAddress(d.source).setData(d.data);
    this.send(this.options.address, a.client, ind.serialize());
  }

  private fromClient(now: number, client: TransportAddress, frame: Uint8Array): void {
    const a = this.allocations.get(addressKey(client));
    if (isChannelData(frame)) {
      const m = parseChannelData(frame);
      const c = m && a?.channels.get(m.channel);
      if (!a || !m || !c || c.expiresAt <= now) return;
      this.counts.channelDataIn++;
      this.relay(a, c.peer, m.data);
      return;
    }
    const msg = StunMessage.tryParse(frame);
    if (!msg) {
      this.counts.malformed++;
      return;
    }
    try {
      if (msg.messageClass === 'indication' && msg.method === StunMethod.Send) {
        const peer = msg.xorPeerAddress;
        const data = msg.data;
        if (a && peer && data) {
          this.counts.sendIndications++;
          this.relay(a, peer, data);
        }
        return;
      }
      if (msg.messageClass !== 'request') return;
      const cached = this.answered.get(msg.transactionKey);
      if (cached) this.send(this.options.address, client, cached);
      else this.request(now, client, msg, a);
    } catch {
      this.counts.malformed++;
    }
  }

  private relay(a: Allocation, peer: TransportAddress, data: Uint8Array): void {
    const permitted = a.permissions.get(peer.address);
    if (permitted === undefined || permitted <= this.net.now) {
      this.counts.droppedNoPermission++;
      return;
    }
    this.send(a.relayed, peer, data);
  }

  private newNonce(now: number): string {
    const nonce = `nonce-${this.nextNonce++}`;
    this.nonces.set(nonce, now);
    return nonce;
  }

  private reply(client: TransportAddress, res: StunMessage, key?: Uint8Array): boolean {
    const bytes = res.serialize(key ? { integrityKey: key, fingerprint: true } : {});
    this.answered.set(res.transactionKey, bytes);
    this.send(this.options.address, client, bytes);
    return true;
  }

  private error(
    client: TransportAddress,
    req: StunMessage,
    code: number,
    now?: number,
    key?: Uint8Array,
  ): boolean {
    const res = req.createResponse('error').setErrorCode(code);
    if (now !== undefined) res.setRealm(this.realm).setNonce(this.newNonce(now));
    return this.reply(client, res, key);
  }

  private request(
    now: number,
    client: TransportAddress,
    req: StunMessage,
    a: Allocation | undefined,
  ): boolean {
    if (req.method === StunMethod.Allocate && this.options.alternate) {
      this.reply(
        client,
        req.createResponse('error').setErrorCode(300).setAlternateServer(this.options.alternate),
      );
      return true;
    }
    const username = req.username;
    const password = username === undefined ? undefined : this.options.users[username];
    if (username === undefined || req.realm === undefined || req.nonce === undefined) {
      this.counts.unauthorized++;
      return this.error(client, req, 401, now);
    }
    const key = longTermKey(username, req.realm, password ?? '');
    if (password === undefined || req.realm !== this.realm || !req.verifyIntegrity(key)) {
      this.counts.unauthorized++;
      return this.error(client, req, 401, now);
    }
    const issued = this.nonces.get(req.nonce);
    if (issued === undefined || now - issued > (this.options.nonceLifetime ?? Number.POSITIVE_INFINITY)) {
      this.counts.stale++;
      return this.error(client, req, 438, now);
    }
    const ok = req.createResponse('success');
    switch (req.method) {
      case StunMethod.Allocate: {
        this.counts.allocate++;
        if (a) return this.error(client, req, 437, undefined, key);
        if (this.allocations.size >= (this.options.maxAllocations ?? Number.POSITIVE_INFINITY)) {
          return this.error(client, req, 486, undefined, key);
        }
        if (req.requestedTransport !== TRANSPORT_UDP) return this.error(client, req, 442, undefined, key);
        const lifetime = Math.min(req.lifetime ?? 600, this.options.maxLifetime ?? 3600);
        const relayed = { address: this.options.relayIp, port: this.nextPort++ };
        const alloc: Allocation = {
          client,
          relayed,
          key,
          expiresAt: now + lifetime * 1000,
          permissions: new Map(),
          channels: new Map(),
        };
        this.allocations.set(addressKey(client), alloc);
        this.byRelay.set(addressKey(relayed), alloc);
        this.net.bind(this, relayed);
        ok.setXorRelayedAddress(relayed).setXorMappedAddress(client).setLifetime(lifetime);
        return this.reply(client, ok, key);
      }
      case StunMethod.Refresh: {
        this.counts.refresh++;
        if (!a) return this.error(client, req, 437, undefined, key);
        const lifetime = Math.min(req.lifetime ?? 600, this.options.maxLifetime ?? 3600);
        if (lifetime === 0) {
          this.counts.deallocated++;
          this.allocations.delete(addressKey(client));
          this.byRelay.delete(addressKey(a.relayed));
        } else a.expiresAt = now + lifetime * 1000;
        return this.reply(client, ok.setLifetime(lifetime), key);
      }
      case StunMethod.CreatePermission: {
        this.counts.createPermission++;
        const peers = req.xorPeerAddresses;
        if (!a || peers.length === 0) return this.error(client, req, a ? 400 : 437, undefined, key);
        for (const p of peers) a.permissions.set(p.address, now + 300_000);
        return this.reply(client, ok, key);
      }
      case StunMethod.ChannelBind: {
        this.counts.channelBind++;
        const number = req.channelNumber;
        const peer = req.xorPeerAddress;
        if (this.options.refuseChannels) return this.error(client, req, 403, undefined, key);
        if (!a || number === undefined || !peer || number < 0x4000 || number > 0x4fff) {
          return this.error(client, req, a ? 400 : 437, undefined, key);
        }
        a.channels.set(number, { peer, expiresAt: now + 600_000 });
        a.permissions.set(peer.address, now + 300_000);
        return this.reply(client, ok, key);
      }
      default:
        return this.error(client, req, 400, undefined, key);
    }
  }
}

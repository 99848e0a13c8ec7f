/**
 * The client's view of its TURN permissions (per peer IP, RFC 8656 §9) and channel bindings (per peer
 * transport address, §12), with the times they must be refreshed. Pure bookkeeping: no I/O, no clock.
 */
import { addressKey, type TransportAddress } from '../../common/engine.js';
import { CHANNEL_MAX, CHANNEL_MIN } from './channel-data.js';
import type { RequestPurpose } from './requests.js';

/** A permission lasts 300 s on the server (RFC 8656 §9); refresh a minute early. */
export const PERMISSION_LIFETIME = 300_000;
export const PERMISSION_REFRESH = 240_000;
/** A channel binding lasts 600 s (§12); refresh a minute early. */
export const CHANNEL_LIFETIME = 600_000;
export const CHANNEL_REFRESH = 540_000;
/** After a refused or unanswered permission, wait this long before asking again for the same IP. */
export const PERMISSION_RETRY = 5_000;
/** Datagrams held per peer IP while its permission is pending; older ones are dropped past this. */
export const MAX_QUEUED_PER_PEER = 64;

export interface QueuedDatagram {
  readonly peer: TransportAddress;
  readonly data: Uint8Array;
}

export type PermissionState = 'waiting' | 'pending' | 'granted' | 'failed';

export interface Permission {
  readonly ip: string;
  /** waiting = not sent yet (allocation pending); pending = request in flight. */
  state: PermissionState;
  /** When to send the next CreatePermission (refresh or retry); undefined while one is in flight. */
  nextRequestAt: number | undefined;
  expiresAt: number;
  queue: QueuedDatagram[];
}

/** failed = the server refused or never confirmed it: not sent on, but still understood on receipt. */
export type ChannelState = 'pending' | 'bound' | 'failed';

export interface Channel {
  readonly number: number;
  readonly peer: TransportAddress;
  state: ChannelState;
  nextRequestAt: number | undefined;
  expiresAt: number;
}

export class PeerBindings {
  readonly permissions = new Map<string, Permission>();
  private readonly channelsByPeer = new Map<string, Channel>();
  private readonly channelsByNumber = new Map<number, Channel>();
  private nextChannel = CHANNEL_MIN;

  permission(ip: string): Permission | undefined {
    return this.permissions.get(ip);
  }

  addPermission(ip: string, state: PermissionState): Permission {
    const p: Permission = { ip, state, nextRequestAt: undefined, expiresAt: 0, queue: [] };
    this.permissions.set(ip, p);
    return p;
  }

  grant(ip: string, now: number): Permission | undefined {
    const p = this.permissions.get(ip);
    if (!p) return undefined;
    p.state = 'granted';
    p.expiresAt = now + PERMISSION_LIFETIME;
    p.nextRequestAt = now + PERMISSION_REFRESH;
    return p;
  }

  /**
   * The server refused (or never answered) a CreatePermission for `ip`. A permission still in force is
   * kept and asked for again soon; otherwise it fails for a while and its queue is dropped.
   * Returns how many queued datagrams were dropped.
   */
  refuse(ip: string, now: number): number {
    const p = this.permissions.get(ip);
    if (!p) return 0;
    p.nextRequestAt = now + PERMISSION_RETRY;
    if (p.state === 'granted' && now < p.expiresAt) return 0;
    const dropped = p.queue.length;
    p.queue = [];
    p.state = 'failed';
    return dropped;
  }

  /** Permissions asked for before the allocation existed: mark them pending and return their IPs. */
  startWaiting(): string[] {
    const ips: string[] = [];
    for (const p of this.permissions.values()) {
      if (p.state !== 'waiting') continue;
      p.state = 'pending';
      ips.push(p.ip);
    }
    return ips;
  }

  channelForPeer(peer: TransportAddress): Channel | undefined {
    return this.channelsByPeer.get(addressKey(peer));
  }

  channelByNumber(number: number): Channel | undefined {
    return this.channelsByNumber.get(number);
  }

  canBindChannel(peer: TransportAddress): boolean {
    const key = addressKey(peer);
    return !this.channelsByPeer.has(key) && this.nextChannel <= CHANNEL_MAX;
  }

  /** Reserve the next channel number for `peer` (state pending). */
  reserveChannel(peer: TransportAddress): Channel {
    const c: Channel = {
      number: this.nextChannel++,
      peer,
      state: 'pending',
      nextRequestAt: undefined,
      expiresAt: 0,
    };
    this.channelsByPeer.set(addressKey(peer), c);
    this.channelsByNumber.set(c.number, c);
    return c;
  }

  bindChannel(number: number, now: number): Channel | undefined {
    const c = this.channelsByNumber.get(number);
    if (!c) return undefined;
    c.state = 'bound';
    c.expiresAt = now + CHANNEL_LIFETIME;
    c.nextRequestAt = now + CHANNEL_REFRESH;
    return c;
  }

  /**
   * A ChannelBind was refused or went unanswered. A binding still in force is kept and asked for again
   * soon. Otherwise the peer stays on Send indications, but the number keeps mapping to the peer: the
   * server may have bound it even though its answer was lost, and may send ChannelData on it.
   */
  channelFailed(number: number, now: number): void {
    const c = this.channelsByNumber.get(number);
    if (!c) return;
    if (c.state === 'bound' && now < c.expiresAt) c.nextRequestAt = now + PERMISSION_RETRY;
    else c.state = 'failed';
  }

  /**
   * The CreatePermission and ChannelBind requests due at `now` (refreshes and retries), marked in flight.
   * A failed permission whose wait is over is forgotten instead, so the next send asks afresh.
   */
  takeDue(now: number): RequestPurpose[] {
    const due: RequestPurpose[] = [];
    for (const p of [...this.permissions.values()]) {
      if (p.nextRequestAt === undefined || now < p.nextRequestAt) continue;
      p.nextRequestAt = undefined;
      if (p.state === 'failed') this.permissions.delete(p.ip);
      else due.push({ kind: 'permission', ip: p.ip });
    }
    for (const c of this.channelsByNumber.values()) {
      if (c.nextRequestAt === undefined || now < c.nextRequestAt) continue;
      c.nextRequestAt = undefined;
      due.push({ kind: 'channel', number: c.number, peer: c.peer });
    }
    return due;
  }

  /** Earliest refresh or retry time over every permission and channel. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const p of this.permissions.values()) {
      if (p.nextRequestAt !== undefined && (min === undefined || p.nextRequestAt < min))
        min = p.nextRequestAt;
    }
    for (const c of this.channelsByNumber.values()) {
      if (c.nextRequestAt !== undefined && (min === undefined || c.nextRequestAt < min))
        min = c.nextRequestAt;
    }
    return min;
  }

  clear(): void {
    this.permissions.clear();
    this.channelsByPeer.clear();
    this.channelsByNumber.clear();
  }
}

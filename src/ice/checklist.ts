/**
 * Candidate pairs and the check list (RFC 8445 §6.1.2, §6.1.4): pair states, frozen/waiting by foundation,
 * the triggered-check queue, and a hard cap on pairs (§6.1.2.5) so a peer cannot grow it without bound.
 */
import { addressKey, type TransportAddress } from '../common/engine.js';
import type { ParsedCandidate, RTCIceCandidate } from './candidate.js';
import { pairPriority } from './priority.js';
import type { CandidatePairState, IceRole } from './types.js';

export interface LocalEntry {
  readonly candidate: RTCIceCandidate;
  readonly parsed: ParsedCandidate;
  readonly baseId: string;
}

export interface RemoteEntry {
  /** Mutable: a signalled candidate replaces a peer-reflexive one learned for the same address. */
  candidate: RTCIceCandidate;
  parsed: ParsedCandidate;
  readonly address: TransportAddress;
  readonly key: string;
}

export function pairKey(baseId: string, remote: TransportAddress): string {
  return `${baseId}|${addressKey(remote)}`;
}

export class CandidatePair {
  readonly key: string;
  readonly foundation: string;
  state: CandidatePairState = 'frozen';
  priority = 0n;
  nominated = false;
  /** Controlled side: USE-CANDIDATE arrived before our own check on this pair succeeded. */
  nominateOnSuccess = false;
  /**
   * The local candidate the peer sees, from our check's XOR-MAPPED-ADDRESS (§7.2.5.3.1): a srflx or prflx
   * candidate of the same base. Reported in stats and selection; sending still uses `local`'s base.
   */
  mappedLocal: RTCIceCandidate | undefined;
  requestsSent = 0;
  requestsReceived = 0;
  responsesSent = 0;
  responsesReceived = 0;
  consentRequestsSent = 0;
  currentRoundTripTime: number | undefined;
  totalRoundTripTime = 0;
  bytesSent = 0;
  packetsSent = 0;
  bytesReceived = 0;
  packetsReceived = 0;
  lastRequestTimestamp: number | undefined;
  lastResponseTimestamp: number | undefined;

  constructor(
    readonly local: LocalEntry,
    readonly remote: RemoteEntry,
    role: IceRole,
  ) {
    this.key = pairKey(local.baseId, remote.address);
    this.foundation = `${local.parsed.foundation}:${remote.parsed.foundation}`;
    this.updatePriority(role);
  }

  updatePriority(role: IceRole): void {
    const l = this.local.parsed.priority;
    const r = this.remote.parsed.priority;
    this.priority = role === 'controlling' ? pairPriority(l, r) : pairPriority(r, l);
  }

  /** The local candidate of the valid pair this check produced (RFC 8445 §7.2.5.3.2). */
  get validLocal(): RTCIceCandidate {
    return this.mappedLocal ?? this.local.candidate;
  }

  get valid(): boolean {
    return this.state === 'succeeded';
  }
}

const byPriority = (a: CandidatePair, b: CandidatePair): number =>
  a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0;

export class CheckList {
  private pairs: CandidatePair[] = [];
  private readonly byKey = new Map<string, CandidatePair>();
  private triggered: CandidatePair[] = [];

  constructor(private readonly maxPairs: number) {}

  get size(): number {
    return this.pairs.length;
  }

  all(): readonly CandidatePair[] {
    return this.pairs;
  }

  get(key: string): CandidatePair | undefined {
    return this.byKey.get(key);
  }

  /**
   * Add a pair (or return the existing one for the same base and remote address). When the list is full the
   * lowest-priority pair not yet checked makes room, if the new one outranks it; otherwise undefined.
   * `onEvict` hears about each pair removed that way.
   */
  add(
    local: LocalEntry,
    remote: RemoteEntry,
    role: IceRole,
    onEvict: (p: CandidatePair) => void,
  ): CandidatePair | undefined {
    const existing = this.byKey.get(pairKey(local.baseId, remote.address));
    if (existing) return existing;
    const pair = new CandidatePair(local, remote, role);
    if (this.pairs.length >= this.maxPairs) {
      let victim: CandidatePair | undefined;
      for (let i = this.pairs.length - 1; i >= 0; i--) {
        const p = this.pairs[i]!;
        if (p.state === 'frozen' || p.state === 'waiting' || p.state === 'failed') {
          victim = p;
          break;
        }
      }
      if (!victim || victim.priority >= pair.priority) return undefined;
      this.remove(victim);
      onEvict(victim);
    }
    // A new pair waits unless a pair of its foundation is already being worked on (§6.1.2.6, RFC 8838 §10).
    const busy = this.pairs.some(
      (p) => p.foundation === pair.foundation && (p.state === 'waiting' || p.state === 'in-progress'),
    );
    pair.state = busy ? 'frozen' : 'waiting';
    this.pairs.push(pair);
    this.pairs.sort(byPriority);
    this.byKey.set(pair.key, pair);
    return pair;
  }

  remove(pair: CandidatePair): void {
    this.pairs = this.pairs.filter((p) => p !== pair);
    this.triggered = this.triggered.filter((p) => p !== pair);
    this.byKey.delete(pair.key);
  }

  clear(): void {
    this.pairs = [];
    this.triggered = [];
    this.byKey.clear();
  }

  reprioritize(role: IceRole): void {
    for (const p of this.pairs) p.updatePriority(role);
    this.pairs.sort(byPriority);
  }

  /** Queue a triggered check (§7.3.1.4); it runs before ordinary checks at the next Ta tick. */
  trigger(pair: CandidatePair): void {
    if (pair.state !== 'in-progress' && pair.state !== 'succeeded') pair.state = 'waiting';
    if (!this.triggered.includes(pair)) this.triggered.push(pair);
  }

  /** The pair to check at this Ta tick: triggered first, then the best waiting, then the best frozen. */
  next(): CandidatePair | undefined {
    const t = this.triggered.shift();
    if (t) return t;
    for (const p of this.pairs) if (p.state === 'waiting') return p;
    for (const p of this.pairs) if (p.state === 'frozen') return p;
    return undefined;
  }

  hasWork(): boolean {
    return this.triggered.length > 0 || this.pairs.some((p) => p.state === 'waiting' || p.state === 'frozen');
  }

  /** Anything still unresolved (waiting, frozen, in progress or queued)? */
  hasPending(): boolean {
    return this.hasWork() || this.pairs.some((p) => p.state === 'in-progress');
  }

  /** After a success, pairs of the same foundation may proceed (§7.2.5.3.3). */
  unfreeze(foundation: string): void {
    for (const p of this.pairs) if (p.foundation === foundation && p.state === 'frozen') p.state = 'waiting';
  }

  /** Stop ordinary checks once nominated: waiting and frozen pairs are dropped from consideration. */
  cancelWaiting(): void {
    for (const p of this.pairs) if (p.state === 'waiting' || p.state === 'frozen') p.state = 'failed';
    this.triggered = [];
  }

  bestValid(): CandidatePair | undefined {
    for (const p of this.pairs) if (p.state === 'succeeded') return p;
    return undefined;
  }

  /** Is any pair that outranks `pair` still unresolved? */
  betterPending(pair: CandidatePair): boolean {
    for (const p of this.pairs) {
      if (p.priority <= pair.priority) return false;
      if (p.state === 'waiting' || p.state === 'frozen' || p.state === 'in-progress') return true;
    }
    return false;
  }

  allFailed(): boolean {
    return this.pairs.every((p) => p.state === 'failed') && this.triggered.length === 0;
  }
}

/**
 * The agent's local and remote candidates: which of them may be paired (RFC 8445 §6.1.2.2, §6.1.2.4),
 * peer-reflexive remote candidates learned from checks (§7.3.1.3), and a cap on remote candidates.
 */
import { addressKey, ipFamily } from '../common/engine.js';
import { isPairableAddress, RTCIceCandidate } from './candidate.js';
import type { LocalEntry, RemoteEntry } from './checklist.js';
import { candidateFoundation } from './priority.js';
import type { IceTransmitMeta } from './types.js';

export interface LocalCandidate extends LocalEntry {
  /** The transmit meta for this base, made once so `send()` allocates nothing for it. */
  readonly meta: IceTransmitMeta;
}

export class CandidateSet {
  readonly locals: LocalCandidate[] = [];
  /** Local peer-reflexive candidates learned from responses: reported, never announced or paired. */
  private readonly prflxLocals: LocalEntry[] = [];
  private remotes: RemoteEntry[] = [];
  private readonly remoteByKey = new Map<string, RemoteEntry>();

  constructor(private readonly maxRemote: number) {}

  /** Add a local candidate; undefined when it duplicates one already known. */
  addLocal(candidate: RTCIceCandidate, baseId: string): LocalCandidate | undefined {
    const parsed = candidate.parsed;
    if (!parsed) throw new TypeError('IceAgent: a local candidate needs a parsed candidate attribute');
    const dup = this.locals.some(
      (l) =>
        l.baseId === baseId &&
        l.parsed.type === parsed.type &&
        l.parsed.address === parsed.address &&
        l.parsed.port === parsed.port,
    );
    if (dup) return undefined;
    const entry: LocalCandidate = { candidate, parsed, baseId, meta: { baseId } };
    this.locals.push(entry);
    return entry;
  }

  /**
   * A server-reflexive candidate is checked from its base, so it is redundant when the host candidate of that
   * base is known (§6.1.2.4); it is only paired when the host candidate is not announced.
   */
  isPairableLocal(l: LocalEntry): boolean {
    if (l.parsed.protocol !== 'udp' || l.parsed.componentId !== 1 || !isPairableAddress(l.parsed.address))
      return false;
    if (l.parsed.type === 'srflx')
      return !this.locals.some((o) => o.baseId === l.baseId && o.parsed.type === 'host');
    return l.parsed.type !== 'prflx';
  }

  pairableLocals(): LocalCandidate[] {
    return this.locals.filter((l) => this.isPairableLocal(l));
  }

  /** The local candidate that stands for `baseId` when a check arrives on it. */
  localForBase(baseId: string): LocalCandidate | undefined {
    let fallback: LocalCandidate | undefined;
    for (const l of this.locals) {
      if (l.baseId !== baseId || l.parsed.protocol !== 'udp') continue;
      if (l.parsed.type === 'host' || l.parsed.type === 'relay') return l;
      fallback ??= l;
    }
    return fallback;
  }

  static canPair(local: LocalEntry, remote: RemoteEntry): boolean {
    return (
      remote.parsed.protocol === 'udp' &&
      remote.parsed.componentId === 1 &&
      remote.address.port > 0 &&
      isPairableAddress(remote.address.address) &&
      ipFamily(local.parsed.address) === ipFamily(remote.address.address)
    );
  }

  get remoteCount(): number {
    return this.remotes.length;
  }

  remoteCandidates(): RTCIceCandidate[] {
    return this.remotes.map((r) => r.candidate);
  }

  findRemote(address: { address: string; port: number }): RemoteEntry | undefined {
    return this.remoteByKey.get(addressKey(address));
  }

  /**
   * Add a signalled remote candidate. Returns the entry to pair, 'replaced' when it upgraded a peer-reflexive
   * one (priorities changed), or undefined when it was a duplicate or over the cap.
   */
  addRemote(candidate: RTCIceCandidate): RemoteEntry | 'replaced' | undefined {
    const parsed = candidate.parsed!;
    const address = { address: parsed.address, port: parsed.port };
    const key = `${parsed.protocol}|${addressKey(address)}`;
    const existing = this.remoteByKey.get(addressKey(address));
    if (existing && existing.parsed.protocol === parsed.protocol) {
      if (existing.parsed.type !== 'prflx') return undefined;
      // The signalled candidate supersedes what checks taught us (RFC 8838 §11.4): same pairs, its priority.
      existing.candidate = candidate;
      existing.parsed = parsed;
      return 'replaced';
    }
    if (this.remotes.length >= this.maxRemote) return undefined;
    const entry: RemoteEntry = { candidate, parsed, address, key };
    this.remotes.push(entry);
    if (parsed.protocol === 'udp') this.remoteByKey.set(addressKey(address), entry);
    return entry;
  }

  /** A peer-reflexive remote candidate from a check's source address and PRIORITY (§7.3.1.3). */
  learnPeerReflexive(
    source: { address: string; port: number },
    priority: number,
    usernameFragment: string | null,
  ): RemoteEntry | undefined {
    if (this.remotes.length >= this.maxRemote) return undefined;
    const candidate = new RTCIceCandidate({
      foundation: candidateFoundation('prflx', source.address),
      component: 1,
      priority,
      address: source.address,
      port: source.port,
      protocol: 'udp',
      type: 'prflx',
      usernameFragment,
    });
    const entry: RemoteEntry = {
      candidate,
      parsed: candidate.parsed!,
      address: { address: source.address, port: source.port },
      key: `udp|${addressKey(source)}`,
    };
    this.remotes.push(entry);
    this.remoteByKey.set(addressKey(source), entry);
    return entry;
  }

  /**
   * The local candidate a success response's mapped address names: a known candidate of that base, else a new
   * peer-reflexive one (§7.2.5.3.1). Undefined when it is the checked candidate itself or the cap is reached.
   */
  localForMapped(
    local: LocalEntry,
    mapped: { address: string; port: number },
    priority: number,
  ): RTCIceCandidate | undefined {
    if (local.parsed.address === mapped.address && local.parsed.port === mapped.port) return undefined;
    const known = [...this.locals, ...this.prflxLocals].find(
      (l) =>
        l.baseId === local.baseId && l.parsed.address === mapped.address && l.parsed.port === mapped.port,
    );
    if (known) return known.candidate;
    if (this.prflxLocals.length >= this.maxRemote) return undefined;
    const candidate = new RTCIceCandidate({
      foundation: candidateFoundation('prflx', local.parsed.address),
      component: 1,
      priority,
      address: mapped.address,
      port: mapped.port,
      protocol: 'udp',
      type: 'prflx',
      relatedAddress: local.parsed.address,
      relatedPort: local.parsed.port,
    });
    this.prflxLocals.push({ candidate, parsed: candidate.parsed!, baseId: local.baseId });
    return candidate;
  }

  clearRemotes(): void {
    this.remotes = [];
    this.remoteByKey.clear();
  }
}

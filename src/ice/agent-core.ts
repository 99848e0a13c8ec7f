/**
 * The ICE agent's core: its state, the check scheduler (Ta pacing over the check list), nomination, selection,
 * role switches and the RTCIceTransportState machine. Incoming STUN is in agent-checks.ts, the public API
 * in agent.ts.
 */
import type { Transmit, TransportAddress } from '../common/engine.js';
import { invalidState } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { cryptoRandom, randomBytes, randomIceString, randomUint64, randomUnit } from '../common/random.js';
import type { RTCIceTransportState } from '../common/transport.js';
import type { StunMessage } from '../stun/message.js';
import { StunTransactions, type TransactionEvent } from '../stun/transaction.js';
import { CandidateSet, type LocalCandidate } from './candidate-set.js';
import { type CandidatePair, CheckList, type RemoteEntry } from './checklist.js';
import { ConsentTracker } from './consent.js';
import { buildCheck, type Credentials, credentials, prflxPriority } from './stun-checks.js';
import type {
  IceAgentCounters,
  IceAgentEvent,
  IceAgentOptions,
  IceParameters,
  IceRole,
  IceTransmitMeta,
} from './types.js';

export const log = createLogger('ice');

export interface CheckMeta {
  readonly baseId: string;
  readonly pair: CandidatePair;
  readonly kind: 'check' | 'consent';
  readonly useCandidate: boolean;
  readonly role: IceRole;
  readonly local: Credentials;
  readonly remote: Credentials;
}

export type Settings = Required<Omit<IceAgentOptions, 'local' | 'tieBreaker' | 'role'>>;

export abstract class IceAgentCore {
  protected _role: IceRole;
  readonly tieBreaker: bigint;
  readonly counters: IceAgentCounters = {
    malformed: 0,
    unauthorized: 0,
    badRequest: 0,
    unknownAttributes: 0,
    roleConflicts: 0,
    unmatchedResponses: 0,
    ignoredCandidates: 0,
    prunedPairs: 0,
  };
  protected readonly settings: Settings;
  protected local: Credentials;
  /** The credentials before a restart, still accepted until a new pair is selected. */
  protected previousLocal: Credentials | undefined;
  protected remote: Credentials | undefined;
  protected remoteLite = false;
  protected _state: RTCIceTransportState = 'new';
  protected readonly candidates: CandidateSet;
  protected readonly checklist: CheckList;
  protected readonly transactions: StunTransactions<CheckMeta>;
  protected readonly pending = new Map<string, CheckMeta>();
  protected readonly transmits: Transmit<IceTransmitMeta>[] = [];
  protected readonly events: IceAgentEvent[] = [];
  protected localComplete = false;
  protected remoteComplete = false;
  protected nextCheckAt: number | undefined;
  protected lastCheckAt = Number.NEGATIVE_INFINITY;
  protected checkingSince: number | undefined;
  protected firstValidAt: number | undefined;
  protected nominating: CandidatePair | undefined;
  protected selected: CandidatePair | undefined;
  /** Credentials the selected pair was chosen under: consent checks keep using them across a restart. */
  protected consentCredentials: { local: Credentials; remote: Credentials } | undefined;
  protected readonly consent: ConsentTracker;
  protected lastNow = 0;
  protected closed = false;
  /**
   * Remote addresses (per local base) that proved they know the ICE credentials: an authenticated check
   * came from there, or a check of ours there was answered. Only they may send data up the stack.
   */
  private readonly validatedSources = new Set<string>();

  constructor(options: IceAgentOptions) {
    const random = options.random ?? cryptoRandom;
    this.settings = {
      nomination: options.nomination ?? 'regular',
      pacing: options.pacing ?? 50,
      consentInterval: options.consentInterval ?? 2500,
      consentTimeout: options.consentTimeout ?? 15_000,
      disconnectedTimeout: options.disconnectedTimeout ?? 5000,
      checklistTimeout: options.checklistTimeout ?? 30_000,
      nominationDelay: options.nominationDelay ?? 500,
      checkRto: options.checkRto ?? 500,
      maxPairs: options.maxPairs ?? 100,
      maxRemoteCandidates: options.maxRemoteCandidates ?? 100,
      random,
    };
    this._role = options.role;
    this.tieBreaker = options.tieBreaker ?? randomUint64(random);
    const local = options.local ?? {
      usernameFragment: randomIceString(8, random),
      password: randomIceString(24, random),
    };
    checkParameters(local, 'local');
    this.local = credentials(local.usernameFragment, local.password);
    this.candidates = new CandidateSet(this.settings.maxRemoteCandidates);
    this.checklist = new CheckList(this.settings.maxPairs);
    this.transactions = new StunTransactions<CheckMeta>();
    this.consent = new ConsentTracker(
      {
        interval: this.settings.consentInterval,
        timeout: this.settings.consentTimeout,
        disconnectedTimeout: this.settings.disconnectedTimeout,
      },
      () => randomUnit(random),
    );
  }

  get role(): IceRole {
    return this._role;
  }

  /** Set before checks start (the W3C role setter); a role conflict later switches it by itself. */
  set role(role: IceRole) {
    if (this._role === role) return;
    this._role = role;
    this.checklist.reprioritize(role);
  }

  protected abstract onResponse(now: number, meta: CheckMeta, response: StunMessage, rtt: number): void;

  // ---- internals: pairing and checks

  protected candidatesRemoteEntries(): RemoteEntry[] {
    const out: RemoteEntry[] = [];
    for (const c of this.candidates.remoteCandidates()) {
      const e = c.parsed && this.candidates.findRemote({ address: c.parsed.address, port: c.parsed.port });
      if (e) out.push(e);
    }
    return out;
  }

  protected pair(local: LocalCandidate, remote: RemoteEntry): CandidatePair | undefined {
    if (!CandidateSet.canPair(local, remote)) return undefined;
    const pair = this.checklist.add(local, remote, this.role, () => this.counters.prunedPairs++);
    if (!pair) this.counters.prunedPairs++;
    return pair;
  }

  /** Arm the Ta pacing timer when there is a check to send and none is scheduled. */
  protected schedule(now: number): void {
    if (this.nextCheckAt !== undefined || !this.remote || this.closed || !this.checklist.hasWork()) return;
    this.nextCheckAt = Math.max(now, this.lastCheckAt + this.settings.pacing);
  }

  protected startCheck(
    now: number,
    pair: CandidatePair,
    kind: 'check' | 'consent',
    useCandidate: boolean,
  ): void {
    const creds =
      kind === 'consent'
        ? this.consentCredentials
        : this.remote && { local: this.local, remote: this.remote };
    if (!creds) return;
    const { message, bytes } = buildCheck({
      local: creds.local,
      remote: creds.remote,
      priority: prflxPriority(pair.local.parsed.priority),
      role: this.role,
      tieBreaker: this.tieBreaker,
      useCandidate,
      transactionId: randomBytes(12, this.settings.random),
    });
    const meta: CheckMeta = {
      baseId: pair.local.baseId,
      pair,
      kind,
      useCandidate,
      role: this.role,
      ...creds,
    };
    const timing =
      kind === 'check'
        ? { rto: this.settings.checkRto, maxSends: 5, finalWaitFactor: 16 }
        : { rto: this.settings.checkRto, maxSends: 1, finalWaitFactor: 8 }; // consent resends by itself
    const key = this.transactions.start(now, message, bytes, pair.remote.address, meta, timing);
    this.pending.set(key, meta);
    pair.lastRequestTimestamp = now;
    if (kind === 'consent') pair.consentRequestsSent++;
    else {
      pair.requestsSent++;
      this.lastCheckAt = now;
      if (pair.state !== 'succeeded') pair.state = 'in-progress';
      if (this._state === 'new' || this._state === 'failed') this.setState('checking');
    }
  }

  protected flushTransactions(now: number): void {
    // Handling an event can start a transaction (a nomination right after a success): drain until quiet,
    // or that request would wait for the next timer tick.
    for (let round = 0; round < 100; round++) {
      let busy = false;
      for (let t = this.transactions.pollTransmit(); t; t = this.transactions.pollTransmit()) {
        busy = true;
        this.transmits.push({ destination: t.destination, data: t.data, meta: { baseId: t.meta!.baseId } });
      }
      for (let e = this.transactions.pollEvent(); e; e = this.transactions.pollEvent()) {
        busy = true;
        this.onTransaction(now, e);
      }
      if (!busy) return;
    }
  }

  protected onTransaction(now: number, e: TransactionEvent<CheckMeta>): void {
    this.pending.delete(e.key);
    const { pair, kind } = e.meta;
    if (e.type === 'timeout') {
      if (kind === 'check' && pair.state === 'in-progress' && !this.hasPendingCheck(pair))
        pair.state = 'failed';
      if (this.nominating === pair) this.nominating = undefined;
      return;
    }
    this.onResponse(now, e.meta, e.response, e.rtt);
  }

  protected hasPendingCheck(pair: CandidatePair): boolean {
    for (const m of this.pending.values()) if (m.pair === pair && m.kind === 'check') return true;
    return false;
  }

  protected resetChecks(): void {
    for (const [key, meta] of this.pending) {
      if (meta.kind !== 'check') continue;
      this.transactions.cancel(key);
      this.pending.delete(key);
    }
    this.checklist.clear();
    this.candidates.clearRemotes();
    this.remoteComplete = false;
    this.nextCheckAt = undefined;
    this.checkingSince = undefined;
    this.firstValidAt = undefined;
    this.nominating = undefined;
  }

  // ---- internals: nomination, selection, roles and states

  protected wantsToNominate(): boolean {
    return (
      this.role === 'controlling' &&
      this.settings.nomination === 'regular' &&
      this.nominating === undefined &&
      this.remote !== undefined &&
      !this.checklist.all().some((p) => p.nominated)
    );
  }

  /** Regular nomination: the best valid pair, once nothing better is pending or the delay ran out. */
  protected maybeNominate(now: number): void {
    if (!this.wantsToNominate()) return;
    const best = this.checklist.bestValid();
    if (!best) return;
    const waited =
      this.firstValidAt !== undefined && now >= this.firstValidAt + this.settings.nominationDelay;
    if (this.checklist.betterPending(best) && !waited) return;
    this.nominating = best;
    this.startCheck(now, best, 'check', true);
  }

  protected nominate(now: number, pair: CandidatePair): void {
    pair.nominated = true;
    pair.nominateOnSuccess = false;
    if (this.nominating === pair) this.nominating = undefined;
    const current = this.selected;
    const currentIsStale = current !== undefined && !this.checklist.all().includes(current);
    if (!current || currentIsStale || pair.priority > current.priority || !current.nominated)
      this.select(now, pair);
    if (this.settings.nomination === 'regular' || this.role === 'controlled') this.checklist.cancelWaiting();
  }

  protected select(now: number, pair: CandidatePair): void {
    if (this.selected === pair) return;
    this.selected = pair;
    this.consentCredentials = { local: this.local, remote: this.remote! };
    this.previousLocal = undefined;
    this.consent.start(now);
    this.events.push({
      type: 'selectedpairchange',
      local: pair.validLocal,
      remote: pair.remote.candidate,
    });
    if (this._state !== 'connected') this.setState('connected');
  }

  protected switchRole(role: IceRole): void {
    if (this._role === role) return;
    this._role = role;
    this.checklist.reprioritize(role);
    this.events.push({ type: 'rolechange', role });
  }

  protected updateState(now: number): void {
    if (this.closed) return;
    const selected = this.selected;
    if (selected && this.consent.isRunning) {
      const status = this.consent.evaluate(now);
      if (status === 'expired') {
        // Consent lost: no more data on that pair, and every check stops (RFC 7675 §5.1).
        this.consent.stop();
        this.selected = undefined;
        this.transactions.cancelAll();
        this.pending.clear();
        this.nextCheckAt = undefined;
        this.setState('failed');
        return;
      }
      if (status === 'late') this.setState('disconnected');
      else if (this._state === 'disconnected' || this._state === 'checking') this.setState('connected');
      if (
        this._state === 'connected' &&
        this.localComplete &&
        this.remoteComplete &&
        selected.nominated &&
        !this.checklist.hasPending()
      ) {
        this.setState('completed');
      }
      return;
    }
    const deadline = this.failDeadline();
    if (deadline === undefined) return;
    // With no pair at all the peer may still reach us (peer-reflexive): only the timeout fails that case.
    const exhausted =
      this.localComplete && this.remoteComplete && this.checklist.size > 0 && this.checklist.allFailed();
    if (exhausted || now >= deadline) {
      this.transactions.cancelAll();
      this.pending.clear();
      this.nextCheckAt = undefined;
      this.setState('failed');
    }
  }

  /**
   * When checks without a selection give up. A valid pair proves the path works, so nomination gets twice
   * the time to get through loss before the agent fails.
   */
  protected failDeadline(): number | undefined {
    if (this._state === 'failed' || this.checkingSince === undefined || this.selected) return undefined;
    const factor = this.checklist.bestValid() ? 2 : 1;
    return this.checkingSince + factor * this.settings.checklistTimeout;
  }

  protected setState(state: RTCIceTransportState): void {
    if (this._state === state) return;
    log.debug(`state ${this._state} -> ${state}`);
    this._state = state;
    this.events.push({ type: 'statechange', state });
  }

  /** Record a remote address as validated for data (bounded: the oldest go first). */
  protected validateSource(baseId: string, source: TransportAddress): void {
    const key = sourceKey(baseId, source);
    if (this.validatedSources.has(key)) return;
    if (this.validatedSources.size >= MAX_VALIDATED_SOURCES) {
      const oldest = this.validatedSources.values().next().value;
      if (oldest !== undefined) this.validatedSources.delete(oldest);
    }
    this.validatedSources.add(key);
  }

  /** May data (DTLS, SRTP) arriving on `baseId` from `source` go up the stack? */
  isValidatedSource(baseId: string, source: TransportAddress): boolean {
    return this.validatedSources.has(sourceKey(baseId, source));
  }

  protected reply(destination: TransportAddress, baseId: string, data: Uint8Array): void {
    this.transmits.push({ destination, data, meta: { baseId } });
  }

  protected assertOpen(what: string): void {
    if (this.closed) throw invalidState(`IceAgent.${what}: the agent is closed`);
  }
}

const MAX_VALIDATED_SOURCES = 64;

function sourceKey(baseId: string, a: TransportAddress): string {
  return `${baseId}|${a.address}|${a.port}`;
}

export function sameAddr(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

export function checkParameters(p: IceParameters, which: string): void {
  if (
    typeof p.usernameFragment !== 'string' ||
    p.usernameFragment.length === 0 ||
    p.usernameFragment.includes(':')
  )
    throw new TypeError(`IceAgent: ${which} usernameFragment must be a non-empty string without ':'`);
  if (typeof p.password !== 'string' || p.password.length === 0)
    throw new TypeError(`IceAgent: ${which} password must be a non-empty string`);
}

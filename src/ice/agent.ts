/**
 * The ICE agent (RFC 8445, trickle RFC 8838, consent RFC 7675) as a sans-I/O engine: one component, UDP.
 * Inputs: candidates, remote parameters, STUN datagrams (with the base they arrived on) and time.
 * Outputs: transmits (with the base to send from), events, and the next wake-up time.
 */
import type { SansIoEngine, Transmit, TransportAddress } from '../common/engine.js';
import { invalidState, operationError } from '../common/errors.js';
import { randomIceString } from '../common/random.js';
import type { RTCIceTransportState } from '../common/transport.js';
import { StunMethod } from '../stun/constants.js';
import { StunMessage } from '../stun/message.js';
import { IceAgentChecks } from './agent-checks.js';
import { checkParameters, log } from './agent-core.js';
import type { RTCIceCandidate } from './candidate.js';
import type { LocalCandidate } from './candidate-set.js';
import { credentials } from './stun-checks.js';
import type { IceAgentEvent, IcePairStats, IceParameters, IceTransmitMeta } from './types.js';

export type {
  CandidatePairState,
  IceAgentCounters,
  IceAgentEvent,
  IceAgentOptions,
  IcePairStats,
  IceParameters,
  IceRole,
  IceTransmitMeta,
} from './types.js';

export class IceAgent extends IceAgentChecks implements SansIoEngine<IceAgentEvent, IceTransmitMeta> {
  get localParameters(): IceParameters {
    return { usernameFragment: this.local.usernameFragment, password: this.local.password, iceLite: false };
  }

  get remoteParameters(): IceParameters | undefined {
    return this.remote
      ? {
          usernameFragment: this.remote.usernameFragment,
          password: this.remote.password,
          iceLite: this.remoteLite,
        }
      : undefined;
  }

  get state(): RTCIceTransportState {
    return this._state;
  }

  // ---- commands

  addLocalCandidate(candidate: RTCIceCandidate, baseId: string): void {
    this.assertOpen('addLocalCandidate');
    const entry = this.candidates.addLocal(candidate, baseId);
    if (!entry || !this.candidates.isPairableLocal(entry)) return;
    for (const remote of this.candidatesRemoteEntries()) this.pair(entry, remote);
    this.schedule(this.lastNow);
  }

  setLocalCandidatesComplete(): void {
    this.assertOpen('setLocalCandidatesComplete');
    this.localComplete = true;
    this.updateState(this.lastNow);
  }

  setRemoteParameters(now: number, remote: IceParameters): void {
    this.assertOpen('setRemoteParameters');
    checkParameters(remote, 'remote');
    this.lastNow = now;
    const current = this.remote;
    if (
      current &&
      (current.usernameFragment !== remote.usernameFragment || current.password !== remote.password)
    ) {
      // The peer restarted on its own: checks start over against its new credentials.
      this.resetChecks();
    }
    this.remote = credentials(remote.usernameFragment, remote.password);
    this.remoteLite = remote.iceLite === true;
    // A lite peer never checks or nominates: the full agent must control (RFC 8445 §6.1.1).
    if (this.remoteLite && this.role !== 'controlling') this.switchRole('controlling');
    this.checkingSince ??= now;
    this.schedule(now);
    this.updateState(now);
  }

  addRemoteCandidate(now: number, candidate: RTCIceCandidate | null): void {
    this.assertOpen('addRemoteCandidate');
    this.lastNow = now;
    if (candidate === null || candidate.candidate === '') {
      this.remoteComplete = true;
      this.updateState(now);
      return;
    }
    if (!candidate.parsed) throw operationError(`IceAgent: cannot parse candidate "${candidate.candidate}"`);
    const ufrag = candidate.usernameFragment;
    if (ufrag !== null && this.remote && ufrag !== this.remote.usernameFragment) {
      this.counters.ignoredCandidates++; // a late candidate of an earlier generation
      return;
    }
    const added = this.candidates.addRemote(candidate);
    if (added === 'replaced') {
      this.checklist.reprioritize(this.role);
      return;
    }
    if (!added) {
      this.counters.ignoredCandidates++;
      return;
    }
    for (const local of this.candidates.pairableLocals()) this.pair(local, added);
    this.schedule(now);
  }

  /** Feed a STUN datagram that arrived on `baseId` from `source`. Never throws on bad input. */
  handleStun(now: number, baseId: string, source: TransportAddress, data: Uint8Array): void {
    if (this.closed) return;
    this.lastNow = now;
    const msg = StunMessage.tryParse(data);
    if (!msg || (msg.has(0x8028) && !msg.verifyFingerprint()) || msg.method !== StunMethod.Binding) {
      this.counters.malformed++;
      return;
    }
    try {
      if (msg.messageClass === 'request') this.handleRequest(now, baseId, source, msg);
      else if (msg.messageClass === 'success' || msg.messageClass === 'error')
        this.handleResponse(now, baseId, source, msg);
      this.flushTransactions(now);
    } catch (err) {
      this.counters.malformed++;
      log.debug('dropped STUN message', err);
    }
    this.updateState(now);
  }

  /** Wrap application data for the selected pair (no copy, no event), or undefined when there is none. */
  send(data: Uint8Array): Transmit<IceTransmitMeta> | undefined {
    const pair = this.selected;
    if (!pair || this.closed || this._state === 'failed') return undefined;
    pair.bytesSent += data.byteLength;
    pair.packetsSent++;
    return { destination: pair.remote.address, data, meta: (pair.local as LocalCandidate).meta };
  }

  /** The runtime reports application data received on the selected pair (statistics only). */
  recordReceived(byteLength: number): void {
    const pair = this.selected;
    if (!pair) return;
    pair.bytesReceived += byteLength;
    pair.packetsReceived++;
  }

  /** ICE restart: new local credentials; the selected pair keeps carrying data until a new one is chosen. */
  restart(now: number, local?: IceParameters): IceParameters {
    this.assertOpen('restart');
    this.lastNow = now;
    const random = this.settings.random;
    const next = local ?? {
      usernameFragment: randomIceString(8, random),
      password: randomIceString(24, random),
    };
    checkParameters(next, 'local');
    if (next.usernameFragment === this.local.usernameFragment)
      throw invalidState('IceAgent.restart: the new username fragment must differ from the current one');
    this.previousLocal = this.selected ? this.local : undefined;
    this.local = credentials(next.usernameFragment, next.password);
    this.remote = undefined;
    this.resetChecks();
    if (this._state === 'completed') this.setState('connected');
    return this.localParameters;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transactions.cancelAll();
    this.pending.clear();
    this.consent.stop();
    this.nextCheckAt = undefined;
    this.setState('closed');
  }

  // ---- queries

  getSelectedPair(): { local: RTCIceCandidate; remote: RTCIceCandidate } | undefined {
    const p = this.selected;
    return p ? { local: p.validLocal, remote: p.remote.candidate } : undefined;
  }

  getLocalCandidates(): RTCIceCandidate[] {
    return this.candidates.locals.map((l) => l.candidate);
  }

  getRemoteCandidates(): RTCIceCandidate[] {
    return this.candidates.remoteCandidates();
  }

  getStats(): IcePairStats[] {
    const pairs = [...this.checklist.all()];
    if (this.selected && !pairs.includes(this.selected)) pairs.unshift(this.selected);
    return pairs.map((p) => ({
      id: p.key,
      local: p.validLocal,
      remote: p.remote.candidate,
      state: p.state,
      priority: Number(p.priority),
      nominated: p.nominated,
      selected: p === this.selected,
      requestsSent: p.requestsSent,
      requestsReceived: p.requestsReceived,
      responsesSent: p.responsesSent,
      responsesReceived: p.responsesReceived,
      consentRequestsSent: p.consentRequestsSent,
      currentRoundTripTime: p.currentRoundTripTime,
      totalRoundTripTime: p.totalRoundTripTime,
      bytesSent: p.bytesSent,
      packetsSent: p.packetsSent,
      bytesReceived: p.bytesReceived,
      packetsReceived: p.packetsReceived,
      lastRequestTimestamp: p.lastRequestTimestamp,
      lastResponseTimestamp: p.lastResponseTimestamp,
    }));
  }

  // ---- sans-I/O outputs

  pollTransmit(): Transmit<IceTransmitMeta> | undefined {
    return this.transmits.shift();
  }

  pollEvent(): IceAgentEvent | undefined {
    return this.events.shift();
  }

  pollTimeout(): number | undefined {
    if (this.closed) return undefined;
    let t = this.transactions.pollTimeout();
    const consider = (v: number | undefined): void => {
      if (v !== undefined && (t === undefined || v < t)) t = v;
    };
    consider(this.nextCheckAt);
    consider(this.consent.nextDeadline());
    // Only a nomination deadline still ahead: once passed, maybeNominate() has acted or has nothing to do.
    const nominateAt =
      this.firstValidAt === undefined ? undefined : this.firstValidAt + this.settings.nominationDelay;
    if (nominateAt !== undefined && nominateAt > this.lastNow && this.wantsToNominate()) consider(nominateAt);
    consider(this.failDeadline());
    return t;
  }

  handleTimeout(now: number): void {
    if (this.closed) return;
    this.lastNow = now;
    this.transactions.handleTimeout(now);
    this.flushTransactions(now);
    if (this.nextCheckAt !== undefined && now >= this.nextCheckAt) {
      this.nextCheckAt = undefined;
      const pair = this.remote ? this.checklist.next() : undefined;
      if (pair) {
        const aggressive = this.role === 'controlling' && this.settings.nomination === 'aggressive';
        this.startCheck(now, pair, 'check', aggressive);
      }
      this.schedule(now);
    }
    this.maybeNominate(now);
    if (this.selected && this.consent.checkDue(now)) {
      this.startCheck(now, this.selected, 'consent', false);
      this.consent.onCheckSent(now);
    }
    this.flushTransactions(now);
    this.updateState(now);
  }
}

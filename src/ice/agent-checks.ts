/** Incoming connectivity checks and responses to ours (RFC 8445 §7.2.5, §7.3), on top of the agent core. */
import type { TransportAddress } from '../common/engine.js';
import { StunErrorCode } from '../stun/constants.js';
import type { StunMessage } from '../stun/message.js';
import { type CheckMeta, IceAgentCore, log, sameAddr } from './agent-core.js';
import { errorResponse, judgeRequest, prflxPriority, successResponse } from './stun-checks.js';
export abstract class IceAgentChecks extends IceAgentCore {
  // ---- internals: incoming checks and responses

  protected handleRequest(now: number, baseId: string, source: TransportAddress, msg: StunMessage): void {
    const accepted = this.previousLocal ? [this.local, this.previousLocal] : [this.local];
    const verdict = judgeRequest(msg, accepted);
    if (!verdict.ok) {
      if (verdict.code === 401) this.counters.unauthorized++;
      else if (verdict.code === 420) this.counters.unknownAttributes++;
      else this.counters.badRequest++;
      log.debug(`refused check from ${source.address}:${source.port}: ${verdict.code} ${verdict.reason}`);
      const key = verdict.credentials?.key;
      this.reply(
        source,
        baseId,
        errorResponse(msg, verdict.code, {
          ...(verdict.unknown ? { unknown: verdict.unknown } : {}),
          ...(key ? { key } : {}),
        }),
      );
      return;
    }
    const key = verdict.credentials.key;
    // Role conflict (§7.3.1.1): the larger tie-breaker keeps controlling; the other side is told with 487.
    if (this.role === 'controlling' && verdict.controlling !== undefined) {
      this.counters.roleConflicts++;
      if (this.tieBreaker >= verdict.controlling) {
        this.reply(source, baseId, errorResponse(msg, StunErrorCode.RoleConflict, { key }));
        return;
      }
      this.switchRole('controlled');
    } else if (this.role === 'controlled' && verdict.controlled !== undefined) {
      this.counters.roleConflicts++;
      if (this.tieBreaker >= verdict.controlled) this.switchRole('controlling');
      else {
        this.reply(source, baseId, errorResponse(msg, StunErrorCode.RoleConflict, { key }));
        return;
      }
    }
    this.reply(source, baseId, successResponse(msg, source, key));
    this.validateSource(baseId, source);
    const selected = this.selected;
    if (selected && selected.local.baseId === baseId && sameAddr(selected.remote.address, source)) {
      selected.requestsReceived++;
      selected.responsesSent++;
      this.consent.onPeerCheck(now);
    }
    // Checks of an earlier generation (before a restart) only keep the old pair alive.
    if (verdict.credentials !== this.local) return;
    const remoteUfrag = (msg.username ?? '').split(':')[1];
    if (this.remote && remoteUfrag !== undefined && remoteUfrag !== this.remote.usernameFragment) return;
    const local = this.candidates.localForBase(baseId);
    if (!local) return;
    let remote = this.candidates.findRemote(source);
    if (!remote) {
      remote = this.candidates.learnPeerReflexive(source, verdict.priority, remoteUfrag ?? null);
      if (!remote) {
        this.counters.ignoredCandidates++;
        return;
      }
      this.events.push({ type: 'remotecandidate', candidate: remote.candidate });
    }
    const pair = this.pair(local, remote);
    if (!pair) return;
    if (pair !== selected) {
      pair.requestsReceived++;
      pair.responsesSent++;
    }
    if (pair.state !== 'succeeded') this.checklist.trigger(pair);
    // Nomination by the controlling peer (§7.3.1.5): now if our check already succeeded, else on success.
    if (verdict.useCandidate && this.role === 'controlled') {
      if (pair.state === 'succeeded') this.nominate(now, pair);
      else pair.nominateOnSuccess = true;
    }
    if (this._state === 'new' && this.remote) this.setState('checking');
    this.schedule(now);
  }

  protected handleResponse(now: number, baseId: string, source: TransportAddress, msg: StunMessage): void {
    const meta = this.pending.get(msg.transactionKey);
    if (!meta) {
      this.counters.unmatchedResponses++;
      return;
    }
    // A response must be authenticated with the password we used, or it is as if it never came.
    if (!msg.verifyIntegrity(meta.remote.key)) {
      this.counters.unauthorized++;
      return;
    }
    const pair = meta.pair;
    // Non-symmetric paths fail the check (§7.2.5.2.1).
    const symmetric = baseId === meta.baseId && sameAddr(source, pair.remote.address);
    if (symmetric) {
      this.transactions.handleResponse(now, msg); // its event reaches onResponse via flushTransactions
      return;
    }
    this.transactions.cancel(msg.transactionKey);
    this.pending.delete(msg.transactionKey);
    if (meta.kind === 'check' && !this.hasPendingCheck(pair) && pair.state !== 'succeeded')
      pair.state = 'failed';
  }

  protected override onResponse(now: number, meta: CheckMeta, response: StunMessage, rtt: number): void {
    const pair = meta.pair;
    pair.responsesReceived++;
    pair.lastResponseTimestamp = now;
    pair.currentRoundTripTime = rtt / 1000;
    pair.totalRoundTripTime += rtt / 1000;
    if (response.messageClass === 'error') {
      const code = errorCodeOf(response);
      if (code === StunErrorCode.RoleConflict && meta.kind === 'check') {
        // §7.2.5.1: switch to the role the peer asked for (unless already done) and check the pair again.
        if (meta.role === this.role)
          this.switchRole(this.role === 'controlling' ? 'controlled' : 'controlling');
        if (this.nominating === pair) this.nominating = undefined;
        this.checklist.trigger(pair);
        this.schedule(now);
      } else if (meta.kind === 'check' && pair.state !== 'succeeded') {
        pair.state = 'failed';
      }
      return;
    }
    this.validateSource(pair.local.baseId, pair.remote.address);
    if (pair === this.selected) this.consent.onResponse(now);
    if (meta.kind === 'consent') return;
    if (pair.state !== 'succeeded') {
      pair.state = 'succeeded';
      this.checklist.unfreeze(pair.foundation);
    }
    const mapped = mappedAddressOf(response);
    if (mapped)
      pair.mappedLocal = this.candidates.localForMapped(
        pair.local,
        mapped,
        prflxPriority(pair.local.parsed.priority),
      );
    if (this.role === 'controlling' && meta.useCandidate && meta.role === 'controlling')
      this.nominate(now, pair);
    else if (this.role === 'controlled' && pair.nominateOnSuccess) this.nominate(now, pair);
    this.firstValidAt ??= now;
    this.maybeNominate(now);
    this.schedule(now);
  }
}

/** The ERROR-CODE of an authenticated response, or undefined when absent or malformed. */
function errorCodeOf(response: StunMessage): number | undefined {
  try {
    return response.errorCode?.code;
  } catch {
    return undefined;
  }
}

function mappedAddressOf(response: StunMessage): TransportAddress | undefined {
  try {
    return response.xorMappedAddress;
  } catch {
    return undefined;
  }
}

/**
 * Client transactions with the RFC 8489 §6.2.1 retransmission schedule, as a sans-I/O engine:
 * over UDP a request is sent at 0, RTO, 3·RTO, 7·RTO … (Rc sends in all, RTO doubling), and the
 * transaction fails Rm·RTO after the last send; over reliable transports it is sent once and fails
 * after Ti (39.5 s).
 */
import type { SansIoEngine, Transmit, TransportAddress } from '../common/engine.js';
import { type StunMessage, transactionKey } from './message.js';

export interface TransactionTiming {
  /** Initial retransmission timeout, ms (RFC 8489 recommends 500 ms; ICE paces from the same base). */
  rto: number;
  /** Rc: total number of sends over UDP. */
  maxSends: number;
  /** Rm: the final wait is Rm × initial RTO. */
  finalWaitFactor: number;
  /** Reliable transport (TCP/TLS): send once, time out after `reliableTimeout`. */
  reliable: boolean;
  reliableTimeout: number;
}

export const DEFAULT_TIMING: TransactionTiming = {
  rto: 500,
  maxSends: 7,
  finalWaitFactor: 16,
  reliable: false,
  reliableTimeout: 39_500,
};

export type TransactionEvent<Meta> =
  | { type: 'response'; key: string; meta: Meta; request: StunMessage; response: StunMessage; rtt: number }
  | { type: 'timeout'; key: string; meta: Meta; request: StunMessage };

interface Pending<Meta> {
  readonly key: string;
  readonly request: StunMessage;
  readonly bytes: Uint8Array;
  readonly destination: TransportAddress;
  readonly meta: Meta;
  readonly timing: TransactionTiming;
  readonly startedAt: number;
  sends: number;
  interval: number;
  deadline: number;
}

export class StunTransactions<Meta = undefined> implements SansIoEngine<TransactionEvent<Meta>, Meta> {
  private readonly pending = new Map<string, Pending<Meta>>();
  private readonly transmits: Transmit<Meta>[] = [];
  private readonly events: TransactionEvent<Meta>[] = [];

  constructor(private readonly defaults: TransactionTiming = DEFAULT_TIMING) {}

  get size(): number {
    return this.pending.size;
  }

  /** Start a transaction: `bytes` is the serialized `request`. Returns its key (the transaction id in hex). */
  start(
    now: number,
    request: StunMessage,
    bytes: Uint8Array,
    destination: TransportAddress,
    meta: Meta,
    timing: Partial<TransactionTiming> = {},
  ): string {
    const t = { ...this.defaults, ...timing };
    const key = transactionKey(request.transactionId);
    const p: Pending<Meta> = {
      key,
      request,
      bytes,
      destination,
      meta,
      timing: t,
      startedAt: now,
      sends: 1,
      interval: t.rto,
      deadline: now + (t.reliable ? t.reliableTimeout : t.maxSends > 1 ? t.rto : t.rto * t.finalWaitFactor),
    };
    this.pending.set(key, p);
    this.transmits.push({ destination, data: bytes, meta });
    return key;
  }

  /** Match a response (success or error) to its transaction. Returns false when none matches. */
  handleResponse(now: number, response: StunMessage): boolean {
    if (response.messageClass !== 'success' && response.messageClass !== 'error') return false;
    const key = transactionKey(response.transactionId);
    const p = this.pending.get(key);
    if (!p || p.request.method !== response.method) return false;
    this.pending.delete(key);
    this.events.push({
      type: 'response',
      key,
      meta: p.meta,
      request: p.request,
      response,
      rtt: now - p.startedAt,
    });
    return true;
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }

  cancel(key: string): void {
    this.pending.delete(key);
  }

  /** Drop every pending transaction; returns their metas so callers can settle what waits on them. */
  cancelAll(): Meta[] {
    const metas = [...this.pending.values()].map((p) => p.meta);
    this.pending.clear();
    return metas;
  }

  pollTimeout(): number | undefined {
    let min: number | undefined;
    for (const p of this.pending.values()) if (min === undefined || p.deadline < min) min = p.deadline;
    return min;
  }

  handleTimeout(now: number): void {
    for (const p of [...this.pending.values()]) {
      if (p.deadline > now) continue;
      const t = p.timing;
      if (t.reliable || p.sends >= t.maxSends) {
        this.pending.delete(p.key);
        this.events.push({ type: 'timeout', key: p.key, meta: p.meta, request: p.request });
        continue;
      }
      p.sends++;
      p.interval *= 2;
      this.transmits.push({ destination: p.destination, data: p.bytes, meta: p.meta });
      p.deadline = now + (p.sends >= t.maxSends ? t.rto * t.finalWaitFactor : p.interval);
    }
  }

  pollTransmit(): Transmit<Meta> | undefined {
    return this.transmits.shift();
  }

  pollEvent(): TransactionEvent<Meta> | undefined {
    return this.events.shift();
  }
}

/**
 * Stream reconfiguration (RFC 6525) for one association: our outgoing SSN reset and add-streams requests
 * (one in flight at a time, retransmitted on RTO), and the answers to the peer's requests.
 */
import type { ByteReader } from '../common/bytes.js';
import { ReconfigResult } from './constants.js';
import type { AssociationEvent } from './options.js';
import type { OutboundStream } from './outbound.js';
import type { Receiver } from './receiver.js';
import {
  decodeReconfig,
  encodeAddOutgoingStreams,
  encodeOutgoingReset,
  encodeReconfigResponse,
} from './reconfig.js';
import type { Sender } from './sender.js';
import { tsnLte } from './serial.js';

/** What the handler needs from its association. */
export interface ReconfigHost {
  readonly sender: Sender | undefined;
  readonly receiver: Receiver | undefined;
  readonly localInitialTsn: number;
  readonly outStreams: ReadonlyMap<number, OutboundStream>;
  readonly options: { readonly maxInboundStreams: number; readonly maxOutboundStreams: number };
  outboundStreams: number;
  inboundStreams: number;
  outStream(id: number): OutboundStream;
  queueControl(chunk: Uint8Array): void;
  emit(e: AssociationEvent): void;
}

type Pending =
  | { kind: 'reset'; seq: number; streams: number[]; chunk: Uint8Array }
  | { kind: 'add'; seq: number; count: number; chunk: Uint8Array };

export class ReconfigHandler {
  timerAt: number | undefined;
  private nextRequestSeq: number;
  private pending: Pending | undefined;
  private addRequested = 0;
  /** The next request sequence number we expect from the peer, and our last answer. */
  private peerNextSeq: number | undefined;
  private lastResult = ReconfigResult.SUCCESS_PERFORMED as number;
  readonly stats = { requestsReceived: 0, badRequests: 0 };

  constructor(private readonly host: ReconfigHost) {
    this.nextRequestSeq = host.localInitialTsn;
  }

  requestReset(ids: readonly number[]): void {
    for (const id of ids) if (id < 65_536) this.host.outStream(id).resetRequested = true;
  }

  requestAddStreams(count: number): void {
    this.addRequested += count;
  }

  /** Send a request when none is in flight and a reset can proceed (its stream has no unsent data). */
  maybeSendRequest(now: number): void {
    const sender = this.host.sender;
    if (this.pending || !sender) return;
    const ready: number[] = [];
    for (const s of this.host.outStreams.values()) {
      if (s.resetRequested && s.pending === 0) ready.push(s.id);
    }
    if (ready.length > 0) {
      const seq = this.nextRequestSeq;
      this.nextRequestSeq = (seq + 1) >>> 0;
      for (const id of ready) {
        const s = this.host.outStream(id);
        s.resetRequested = false;
        s.resetInFlight = true;
      }
      const lastTsn = (sender.nextTsn - 1) >>> 0;
      const chunk = encodeOutgoingReset(
        seq,
        this.peerNextSeq ? (this.peerNextSeq - 1) >>> 0 : 0,
        lastTsn,
        ready,
      );
      this.pending = { kind: 'reset', seq, streams: ready, chunk };
    } else if (this.addRequested > 0) {
      const count = Math.min(this.addRequested, 65_535 - this.host.outboundStreams);
      this.addRequested = 0;
      if (count <= 0) return;
      const seq = this.nextRequestSeq;
      this.nextRequestSeq = (seq + 1) >>> 0;
      this.pending = { kind: 'add', seq, count, chunk: encodeAddOutgoingStreams(seq, count) };
    } else {
      return;
    }
    this.host.queueControl(this.pending.chunk);
    this.timerAt = now + sender.rto;
  }

  onTimer(now: number): void {
    this.timerAt = undefined;
    if (!this.pending || !this.host.sender) return;
    this.host.queueControl(this.pending.chunk);
    this.timerAt = now + this.host.sender.rto;
  }

  onChunk(now: number, body: ByteReader): void {
    for (const p of decodeReconfig(body)) {
      switch (p.type) {
        case 'response':
          this.onResponse(now, p.responseSeq, p.result);
          break;
        case 'outgoing-reset':
          this.onPeerOutgoingReset(p.requestSeq, p.senderLastTsn, p.streams);
          break;
        case 'add-outgoing':
          this.answer(p.requestSeq, () => {
            const before = this.host.inboundStreams;
            this.host.inboundStreams = Math.min(this.host.options.maxInboundStreams, before + p.count);
            this.host.emit({
              type: 'streams-added',
              outbound: this.host.outboundStreams,
              inbound: this.host.inboundStreams,
            });
            return ReconfigResult.SUCCESS_PERFORMED;
          });
          break;
        case 'incoming-reset':
        case 'ssn-tsn-reset':
        case 'add-incoming':
          this.answer(p.requestSeq, () => ReconfigResult.DENIED);
          break;
        case 'unknown':
          this.stats.badRequests++;
      }
    }
  }

  /** Answer a request in sequence; a repeat of the last one gets the same answer again. */
  private answer(seq: number, perform: () => number | undefined): void {
    this.stats.requestsReceived++;
    if (this.peerNextSeq === undefined) this.peerNextSeq = seq;
    if (seq === (this.peerNextSeq - 1) >>> 0) {
      this.host.queueControl(encodeReconfigResponse(seq, this.lastResult));
      return;
    }
    if (seq !== this.peerNextSeq) {
      this.stats.badRequests++;
      this.host.queueControl(encodeReconfigResponse(seq, ReconfigResult.ERROR_BAD_SEQUENCE_NUMBER));
      return;
    }
    const result = perform();
    if (result === undefined) {
      // Not yet possible: the peer retransmits the same request and we try again.
      this.host.queueControl(encodeReconfigResponse(seq, ReconfigResult.IN_PROGRESS));
      return;
    }
    this.lastResult = result;
    this.peerNextSeq = (seq + 1) >>> 0;
    this.host.queueControl(encodeReconfigResponse(seq, result));
  }

  private onPeerOutgoingReset(seq: number, senderLastTsn: number, streams: number[]): void {
    const receiver = this.host.receiver!;
    this.answer(seq, () => {
      // RFC 6525 §5.2.2: only once everything the peer sent before the request has arrived.
      if (!tsnLte(senderLastTsn, receiver.cumulativeTsn)) return undefined;
      const valid = streams.filter((id) => id < this.host.inboundStreams);
      receiver.resetStreams(streams.length === 0 ? [] : valid);
      this.host.emit({ type: 'incoming-reset', streams: valid });
      return ReconfigResult.SUCCESS_PERFORMED;
    });
  }

  private onResponse(now: number, seq: number, result: number): void {
    const p = this.pending;
    if (!p || p.seq !== seq) return;
    if (result === ReconfigResult.IN_PROGRESS) {
      this.timerAt = now + (this.host.sender?.rto ?? 1000);
      return;
    }
    this.pending = undefined;
    this.timerAt = undefined;
    const ok = result === ReconfigResult.SUCCESS_PERFORMED || result === ReconfigResult.SUCCESS_NOTHING_TO_DO;
    if (p.kind === 'reset') {
      for (const id of p.streams) {
        const s = this.host.outStream(id);
        s.resetInFlight = false;
        if (ok) s.resetSequences();
      }
      // Even a refused reset ends the request: the channel is closing either way.
      this.host.emit({ type: 'outgoing-reset', streams: p.streams });
    } else if (ok) {
      this.host.outboundStreams = Math.min(
        this.host.options.maxOutboundStreams,
        this.host.outboundStreams + p.count,
      );
      this.host.emit({
        type: 'streams-added',
        outbound: this.host.outboundStreams,
        inbound: this.host.inboundStreams,
      });
    }
    this.maybeSendRequest(now);
  }
}

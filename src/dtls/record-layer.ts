/**
 * The engine's record layer state: write epochs with their record numbers, the read epoch with its keys
 * and replay window, keys installed ahead of the peer's ChangeCipherSpec, and records of the next epoch
 * that overtook that ChangeCipherSpec.
 */
import { RECORD_HEADER_LENGTH } from './constants.js';
import { type RecordHeader, ReplayWindow, writeRecordHeader } from './record.js';
import type { RecordProtection } from './record-cipher.js';
import type { EngineStats } from './stats.js';

/** Records of the next epoch that arrive before its ChangeCipherSpec are held, a few at most. */
const MAX_EARLY_RECORDS = 16;

export type OpenResult = Uint8Array | 'held' | 'dropped';

export class RecordLayer {
  readEpoch = 0;
  /** Epoch the peer reads our records in: 1 once we have sent our ChangeCipherSpec. */
  writeEpoch = 0;
  private readProtection: RecordProtection | undefined;
  private pendingReadProtection: RecordProtection | undefined;
  private readonly writeEpochs: { protection: RecordProtection | undefined; seq: number }[] = [
    { protection: undefined, seq: 0 },
  ];
  private readonly replay = new ReplayWindow();
  private early: Uint8Array[] = [];

  constructor(private readonly stats: EngineStats) {}

  /** Epoch-1 keys: writing may use them now, reading switches at the peer's ChangeCipherSpec. */
  installKeys(write: RecordProtection, read: RecordProtection): void {
    this.writeEpochs[1] = { protection: write, seq: 0 };
    this.pendingReadProtection = read;
  }

  /** The peer's ChangeCipherSpec: start reading the next epoch. Returns the records held for it. */
  advanceReadEpoch(): Uint8Array[] | undefined {
    if (!this.pendingReadProtection) return undefined;
    this.readEpoch++;
    this.readProtection = this.pendingReadProtection;
    this.pendingReadProtection = undefined;
    const early = this.early;
    this.early = [];
    return early;
  }

  /**
   * Continue our epoch-0 record numbers from `next` (never backwards). A stateless server answered with
   * HelloVerifyRequests numbered like the client's ClientHellos (RFC 6347 §4.2.1), so its first stateful
   * record takes the number of the ClientHello that carried the cookie: a client's epoch-0 replay window
   * (OpenSSL's) would otherwise drop a ServerHello that repeats a HelloVerifyRequest's number.
   */
  continueInitialSequence(next: number): void {
    const state = this.writeEpochs[0]!;
    state.seq = Math.max(state.seq, next);
  }

  /** Seal a record in `epoch` with that epoch's next record number. */
  seal(type: number, epoch: number, payload: Uint8Array): Uint8Array {
    const state = this.writeEpochs[epoch]!;
    const seq = state.seq++;
    if (!state.protection) {
      const out = new Uint8Array(RECORD_HEADER_LENGTH + payload.byteLength);
      writeRecordHeader(out, 0, type, epoch, seq, payload.byteLength);
      out.set(payload, RECORD_HEADER_LENGTH);
      return out;
    }
    return state.protection.seal(type, epoch, seq, payload);
  }

  /** Bytes a record of `epoch` grows by beyond its header. */
  overhead(epoch: number): number {
    return this.writeEpochs[epoch]?.protection?.overhead ?? 0;
  }

  /** The epoch alerts go out in: the one the peer can read. */
  get alertEpoch(): number {
    return this.writeEpoch === 1 && this.writeEpochs[1] ? 1 : 0;
  }

  /**
   * The plaintext of a record (epoch 0 as is; the read epoch decrypted, replay-checked), 'held' when it
   * belongs to the next epoch and may be read after ChangeCipherSpec, or 'dropped'.
   */
  open(h: RecordHeader, record: Uint8Array, handshaking: boolean): OpenResult {
    if (h.epoch === 0) return record.subarray(RECORD_HEADER_LENGTH);
    if (h.epoch === this.readEpoch && this.readProtection) {
      if (!this.replay.check(h.sequence)) {
        this.stats.replayedRecords++;
        return 'dropped';
      }
      const opened = this.readProtection.open(h.type, h.epoch, h.sequence, record, RECORD_HEADER_LENGTH);
      if (!opened) {
        // Records that fail authentication are dropped silently (RFC 6347 §4.1.2.7).
        this.stats.authFailures++;
        return 'dropped';
      }
      this.replay.mark(h.sequence);
      return opened;
    }
    if (h.epoch === this.readEpoch + 1 && handshaking && this.early.length < MAX_EARLY_RECORDS) {
      this.early.push(record.slice());
      return 'held';
    }
    this.stats.droppedRecords++;
    return 'dropped';
  }

  get heldBytes(): number {
    let n = 0;
    for (const r of this.early) n += r.byteLength;
    return n;
  }

  clearHeld(): void {
    this.early = [];
  }
}

/**
 * A basic pacer: media leaves at a bounded rate instead of a keyframe's 30 packets going into the socket at
 * once. A leaky bucket refilled at `rateBps`, holding at most `maxBurstMs` of budget; audio leaves first
 * (and is never held back), then retransmissions, then video. The queue is bounded: beyond
 * `maxQueuePackets` new packets are dropped and counted. Sans-I/O: `poll(now)` releases what the budget
 * allows, `nextReleaseTime()` says when to come back.
 *
 * The congestion-control issue replaces the fixed rate: `setRate()` is the seam for an estimator.
 */

import { Fifo } from './fifo.js';

export type PacketClass = 'audio' | 'retransmission' | 'video';

export interface PacerOptions {
  /** Pacing rate in bits per second (default 10 Mbit/s). */
  rateBps?: number;
  /** Budget that may accumulate while idle, in ms of the rate (default 5 ms, at least one 1,500-byte packet). */
  maxBurstMs?: number;
  /** Packets queued at most (default 4096); beyond it new packets are dropped. */
  maxQueuePackets?: number;
}

export interface PacerStats {
  packetsQueued: number;
  packetsReleased: number;
  packetsDropped: number;
}

export class Pacer<T extends { readonly size: number }> {
  readonly stats: PacerStats = { packetsQueued: 0, packetsReleased: 0, packetsDropped: 0 };
  private rateBytesPerMs = 0;
  private maxBurstBytes = 0;
  private readonly maxBurstMs: number;
  private readonly maxQueuePackets: number;
  private budget = 0;
  private refilledAt: number | undefined;
  private readonly queues: Record<PacketClass, Fifo<T>> = {
    audio: new Fifo(),
    retransmission: new Fifo(),
    video: new Fifo(),
  };

  constructor(options: PacerOptions = {}) {
    this.maxBurstMs = options.maxBurstMs ?? 5;
    this.maxQueuePackets = options.maxQueuePackets ?? 4096;
    this.setRate(options.rateBps ?? 10_000_000);
  }

  /** Change the pacing rate (an estimator's target times a pacing factor). */
  setRate(bps: number): void {
    if (!(bps > 0) || !Number.isFinite(bps)) throw new RangeError('pacing rate must be a positive number');
    this.rateBytesPerMs = bps / 8000;
    this.maxBurstBytes = Math.max(1500, this.rateBytesPerMs * this.maxBurstMs);
  }

  get rateBps(): number {
    return this.rateBytesPerMs * 8000;
  }

  /** Packets waiting. */
  get queued(): number {
    return this.queues.audio.length + this.queues.retransmission.length + this.queues.video.length;
  }

  /** Whether `count` more packets fit in the queue. */
  hasRoomFor(count: number): boolean {
    return this.queued + count <= this.maxQueuePackets;
  }

  /** Queue a packet; false when the queue is full (the packet is dropped and counted). */
  enqueue(item: T, cls: PacketClass): boolean {
    if (this.queued >= this.maxQueuePackets) {
      this.stats.packetsDropped++;
      return false;
    }
    this.queues[cls].push(item);
    this.stats.packetsQueued++;
    return true;
  }

  /** The next packet allowed to leave at `now`, or undefined (come back at nextReleaseTime()). */
  poll(now: number): T | undefined {
    this.refill(now);
    let item = this.queues.audio.shift();
    if (item === undefined && this.budget > 0)
      item = this.queues.retransmission.shift() ?? this.queues.video.shift();
    if (item === undefined) return undefined;
    this.budget -= item.size;
    this.stats.packetsReleased++;
    return item;
  }

  /** When a held packet may leave, or undefined when nothing waits. */
  nextReleaseTime(): number | undefined {
    if (this.queued === 0) return undefined;
    const at = this.refilledAt ?? 0;
    if (this.queues.audio.length > 0 || this.budget > 0) return at;
    return at + (-this.budget + 1) / this.rateBytesPerMs;
  }

  private refill(now: number): void {
    if (this.refilledAt === undefined) {
      this.budget = this.maxBurstBytes;
    } else if (now > this.refilledAt) {
      this.budget = Math.min(this.maxBurstBytes, this.budget + (now - this.refilledAt) * this.rateBytesPerMs);
    }
    if (this.refilledAt === undefined || now > this.refilledAt) this.refilledAt = now;
  }
}

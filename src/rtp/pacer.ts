/**
 * The pacer: media leaves at a bounded rate instead of a keyframe's 30 packets going into the socket at
 * once. A leaky bucket refilled at the pacing rate (the bandwidth estimate times the pacing factor, 2.5 as
 * libwebrtc), holding at most `maxBurstMs` of budget. Priorities: audio first (never held back), then
 * retransmissions, then video, then padding. Probe clusters: while one is active, packets leave at the
 * cluster's rate instead (tagged with its id), and when no media waits the pacer asks for padding
 * (`paddingWanted`). Bounded: at most `maxQueuePackets` packets; `queueTimeMs()` says how long the queue
 * takes to drain, which the session uses to refuse frames (the encoder drops them) rather than let the
 * queue grow. Sans-I/O: `poll(now)` releases what is allowed, `nextReleaseTime()` says when to come back.
 */

import type { ProbeCluster } from './bwe/probe-estimator.js';
import { Fifo } from './fifo.js';

export type PacketClass = 'audio' | 'retransmission' | 'video' | 'padding';

export interface PacerOptions {
  /** Pacing rate in bits per second until an estimate sets it (default 10 Mbit/s). */
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
  /** Packets released as part of a probe cluster, and clusters completed. */
  probePacketsSent: number;
  probeClustersSent: number;
}

interface ActiveProbe {
  cluster: ProbeCluster;
  startedAt: number | undefined;
  bytes: number;
  packets: number;
}

/** A cluster not finished within this long is given up (no media, no padding to send). */
const PROBE_TIMEOUT_MS = 1000;
const MAX_PENDING_PROBES = 8;

export class Pacer<T extends { readonly size: number }> {
  readonly stats: PacerStats = {
    packetsQueued: 0,
    packetsReleased: 0,
    packetsDropped: 0,
    probePacketsSent: 0,
    probeClustersSent: 0,
  };
  /** The probe cluster of the packet poll() returned last, undefined when it was not a probe. */
  releasedProbeCluster: number | undefined;
  private rateBytesPerMs = 0;
  private maxBurstBytes = 0;
  private readonly maxBurstMs: number;
  private readonly maxQueuePackets: number;
  private budget = 0;
  private refilledAt: number | undefined;
  private queuedBytesExceptAudio = 0;
  private readonly queues: Record<PacketClass, Fifo<T>> = {
    audio: new Fifo(),
    retransmission: new Fifo(),
    video: new Fifo(),
    padding: new Fifo(),
  };
  private readonly probes: ActiveProbe[] = [];

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
    if (this.budget > this.maxBurstBytes) this.budget = this.maxBurstBytes;
  }

  get rateBps(): number {
    return this.rateBytesPerMs * 8000;
  }

  /** Packets waiting. */
  get queued(): number {
    const q = this.queues;
    return q.audio.length + q.retransmission.length + q.video.length + q.padding.length;
  }

  /** How long the non-audio queue takes to leave at the pacing rate (ms). */
  queueTimeMs(): number {
    return this.queuedBytesExceptAudio / this.rateBytesPerMs;
  }

  /** Whether a probe cluster is waiting or being sent. */
  get probing(): boolean {
    return this.probes.length > 0;
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
    if (cls !== 'audio') this.queuedBytesExceptAudio += item.size;
    this.stats.packetsQueued++;
    return true;
  }

  /** Send a probe cluster after any before it: packets leave at its rate until its minimums are sent. */
  addProbe(cluster: ProbeCluster): void {
    if (this.probes.length >= MAX_PENDING_PROBES) this.probes.shift();
    this.probes.push({ cluster, startedAt: undefined, bytes: 0, packets: 0 });
  }

  /** Give up the current probe cluster (nothing to pad it with). */
  cancelProbe(): void {
    this.probes.shift();
  }

  /**
   * Bytes of padding the current probe cluster wants now (0 when none): asked when poll() returned nothing,
   * the caller queues that much padding (class 'padding') and polls again.
   */
  paddingWanted(now: number): number {
    const probe = this.activeProbe(now);
    if (!probe || now < this.probeNextAt(probe)) return 0;
    const q = this.queues;
    if (q.retransmission.length + q.video.length + q.padding.length > 0) return 0;
    return Math.max(1, probe.cluster.minBytes - probe.bytes);
  }

  /** The next packet allowed to leave at `now`, or undefined (come back at nextReleaseTime()). */
  poll(now: number): T | undefined {
    this.refill(now);
    this.releasedProbeCluster = undefined;
    const q = this.queues;
    let item = q.audio.shift();
    if (item !== undefined) return this.released(item, false);
    const probe = this.activeProbe(now);
    if (probe) {
      if (now < this.probeNextAt(probe)) return undefined;
      item = q.retransmission.shift() ?? q.video.shift() ?? q.padding.shift();
      if (item === undefined) return undefined;
      probe.startedAt ??= now;
      probe.bytes += item.size;
      probe.packets++;
      this.releasedProbeCluster = probe.cluster.id;
      this.stats.probePacketsSent++;
      if (probe.bytes >= probe.cluster.minBytes && probe.packets >= probe.cluster.minPackets) {
        this.probes.shift();
        this.stats.probeClustersSent++;
      }
      return this.released(item, true);
    }
    if (this.budget <= 0) return undefined;
    item = q.retransmission.shift() ?? q.video.shift() ?? q.padding.shift();
    if (item === undefined) return undefined;
    return this.released(item, true);
  }

  /** When a held packet may leave (or a probe wants padding), or undefined when nothing waits. */
  nextReleaseTime(): number | undefined {
    const at = this.refilledAt ?? 0;
    if (this.queues.audio.length > 0) return at;
    const probe = this.probes[0];
    if (probe) return Math.max(at, this.probeNextAt(probe));
    if (this.queued === 0) return undefined;
    if (this.budget > 0) return at;
    return at + (-this.budget + 1) / this.rateBytesPerMs;
  }

  private released(item: T, paced: boolean): T {
    if (paced) {
      this.queuedBytesExceptAudio -= item.size;
      // a probe may overdraw the budget; the debt is bounded so media is not starved after it
      this.budget = Math.max(this.budget - item.size, -this.maxBurstBytes * 4);
    } else {
      this.budget -= item.size;
    }
    this.stats.packetsReleased++;
    return item;
  }

  private activeProbe(now: number): ActiveProbe | undefined {
    let probe = this.probes[0];
    while (probe?.startedAt !== undefined && now - probe.startedAt > PROBE_TIMEOUT_MS) {
      this.probes.shift();
      probe = this.probes[0];
    }
    return probe;
  }

  private probeNextAt(probe: ActiveProbe): number {
    if (probe.startedAt === undefined) return this.refilledAt ?? 0;
    return probe.startedAt + (probe.bytes * 8000) / probe.cluster.bitrate;
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

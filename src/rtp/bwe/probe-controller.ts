/**
 * When to probe and how fast (after libwebrtc's ProbeController): at start, two clusters at 3× and 6× the
 * start bitrate, then while each result comes back above 70 % of what was probed, another at 2× the
 * estimate (exponential probing, up to the maximum); after a large drop of the estimate (under 66 % of what
 * it was), one probe at 85 % of the old estimate once the detector has calmed, to recover quickly if the drop
 * was a passing one (only around an application-limited period, as libwebrtc: a greedy sender's drop is
 * real congestion, and probing into it hurts the flows it shares the link with); and when the throughput
 * went above where an overuse had located the link's capacity (the link grew), one probe at 2× so a
 * capacity step up is found in seconds rather than at 8 % a second (at most every few seconds).
 */
import type { ProbeCluster } from './probe-estimator.js';

const INITIAL_PROBE_FACTORS = [3, 6];
const FURTHER_PROBE_FACTOR = 2;
/** A result above this share of the probed rate asks for another probe. */
const PROBE_FURTHER_FRACTION = 0.7;
/** Results are awaited this long after a probe was sent. */
const MAX_WAIT_MS = 1000;
const MIN_PROBE_DURATION_MS = 15;
const MIN_PROBE_PACKETS = 5;
const LARGE_DROP_FRACTION = 0.66;
const RECOVERY_PROBE_FRACTION = 0.85;
/** The recovery probe comes this long after the drop at the earliest, and not after DROP_TIMEOUT_MS. */
const RECOVERY_DELAY_MS = 1000;
const DROP_TIMEOUT_MS = 5000;
/** The probe after the link grew, at most this often, and only after this long without overuse. */
const GROWTH_PROBE_INTERVAL_MS = 3000;
const GROWTH_QUIET_MS = 3000;

export interface ProbeControllerOptions {
  startBitrate: number;
  maxBitrate: number;
  /** Probing at all (needs padding: RTX negotiated). */
  enabled: boolean;
}

export class ProbeController {
  private readonly pending: ProbeCluster[] = [];
  private nextId = 1;
  private started = false;
  private waitingSince: number | undefined;
  private probeFurtherAbove = Number.POSITIVE_INFINITY;
  private lastProbeAt: number | undefined;
  private estimate = 0;
  private recentMax = 0;
  private drop: { at: number; before: number } | undefined;
  /** Clusters requested so far (for stats). */
  clustersRequested = 0;

  constructor(private readonly options: ProbeControllerOptions) {}

  /** Media is flowing: the initial probes (once). */
  start(now: number): void {
    if (this.started || !this.options.enabled) return;
    this.started = true;
    this.estimate = this.options.startBitrate;
    for (const f of INITIAL_PROBE_FACTORS) this.request(now, this.options.startBitrate * f);
  }

  /** The estimate changed; `overusing`: the delay detector sees a queue now. */
  onEstimate(now: number, bps: number): void {
    const previous = this.estimate;
    this.estimate = bps;
    if (this.waitingSince !== undefined) {
      if (now - this.waitingSince > MAX_WAIT_MS) this.waitingSince = undefined;
      else if (bps > this.probeFurtherAbove) this.request(now, FURTHER_PROBE_FACTOR * bps);
    }
    if (bps < LARGE_DROP_FRACTION * Math.max(previous, this.recentMax)) {
      this.drop ??= { at: now, before: Math.max(previous, this.recentMax) };
      this.recentMax = bps;
    } else {
      this.recentMax = Math.max(this.recentMax * 0.999, bps);
    }
  }

  /**
   * Periodic: the recovery probe after a large drop and the probe after the link grew. `calm`: the detector
   * is not overusing; `lastOveruseAt`: when it last was; `capacityGrewAt`: when the throughput last passed
   * the link's known capacity (a flow sharing the link that backed off does that too: hence the quiet
   * period, as flows that share a link overuse every few seconds, and a probe into a shared queue measures
   * more than a fair share);
   * `alrNear`: the sender is, or just was, application-limited (recovery probes only then); `inAlr`: it is
   * now (no growth probes then).
   */
  process(
    now: number,
    calm: boolean,
    lastOveruseAt: number | undefined,
    capacityGrewAt: number | undefined,
    inAlr: boolean,
    alrNear: boolean,
  ): void {
    if (!this.started || this.waitingSince !== undefined) return;
    const drop = this.drop;
    if (drop) {
      if (now - drop.at > DROP_TIMEOUT_MS || this.estimate >= LARGE_DROP_FRACTION * drop.before) {
        this.drop = undefined;
      } else if (calm && alrNear && now - drop.at >= RECOVERY_DELAY_MS) {
        this.drop = undefined;
        this.request(now, RECOVERY_PROBE_FRACTION * drop.before, false);
        return;
      }
    }
    if (
      calm &&
      now - (lastOveruseAt ?? Number.NEGATIVE_INFINITY) >= GROWTH_QUIET_MS &&
      capacityGrewAt !== undefined &&
      capacityGrewAt > (this.lastProbeAt ?? Number.NEGATIVE_INFINITY) &&
      !inAlr &&
      this.estimate < this.options.maxBitrate &&
      (this.lastProbeAt === undefined || now - this.lastProbeAt >= GROWTH_PROBE_INTERVAL_MS)
    )
      this.request(now, FURTHER_PROBE_FACTOR * this.estimate, false);
  }

  /** The next cluster to send, if any. */
  poll(): ProbeCluster | undefined {
    return this.pending.shift();
  }

  private request(now: number, bps: number, further = true): void {
    const bitrate = Math.min(bps, this.options.maxBitrate);
    if (bitrate <= this.estimate * 1.05 && this.clustersRequested > 0) return; // nothing to learn
    this.clustersRequested++;
    this.lastProbeAt = now;
    this.waitingSince = now;
    this.probeFurtherAbove =
      further && bitrate < this.options.maxBitrate
        ? PROBE_FURTHER_FRACTION * bitrate
        : Number.POSITIVE_INFINITY;
    if (this.pending.length >= 4) this.pending.shift();
    this.pending.push({
      id: this.nextId++,
      bitrate,
      minBytes: Math.ceil((bitrate * MIN_PROBE_DURATION_MS) / 8000),
      minPackets: MIN_PROBE_PACKETS,
    });
  }
}

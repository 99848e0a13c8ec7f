/**
 * Measures probe clusters from transport feedback: for each cluster, the rate it was sent at (bytes but the
 * last over the send interval) and the rate it arrived at (bytes but the first over the arrival interval).
 * A receive rate well under the send rate means the probe hit the bottleneck: the result is 95 % of the
 * receive rate; otherwise the link carried it: the lower of the two. Clusters whose feedback covers under
 * 80 % of their packets or bytes are not measured yet; absurd ratios are ignored (libwebrtc's figures).
 */

export interface ProbeCluster {
  id: number;
  /** The rate it is sent at (bits/s). */
  bitrate: number;
  /** It ends when both minimums are sent. */
  minBytes: number;
  minPackets: number;
}

interface ClusterAggregate {
  minBytes: number;
  minPackets: number;
  firstSend: number;
  lastSend: number;
  lastSendSize: number;
  firstArrival: number;
  lastArrival: number;
  firstArrivalSize: number;
  bytes: number;
  packets: number;
  createdAt: number;
}

const MIN_RECEIVED_FRACTION = 0.8;
const MAX_INTERVAL_MS = 1000;
const MAX_RECEIVE_TO_SEND = 2;
const UNSATURATED_RATIO = 0.9;
const TARGET_UTILIZATION = 0.95;
/** Clusters are forgotten after this long. */
const CLUSTER_LIFETIME_MS = 5000;
const MAX_CLUSTERS = 16;

export class ProbeEstimator {
  private readonly clusters = new Map<number, ClusterAggregate>();

  /** A cluster about to be sent (its minimums decide when it can be measured). */
  onClusterStarted(now: number, cluster: ProbeCluster): void {
    this.expire(now);
    if (this.clusters.size >= MAX_CLUSTERS) {
      const oldest = this.clusters.keys().next().value;
      if (oldest !== undefined) this.clusters.delete(oldest);
    }
    this.clusters.set(cluster.id, {
      minBytes: cluster.minBytes,
      minPackets: cluster.minPackets,
      firstSend: Number.POSITIVE_INFINITY,
      lastSend: Number.NEGATIVE_INFINITY,
      lastSendSize: 0,
      firstArrival: Number.POSITIVE_INFINITY,
      lastArrival: Number.NEGATIVE_INFINITY,
      firstArrivalSize: 0,
      bytes: 0,
      packets: 0,
      createdAt: now,
    });
  }

  /**
   * One received packet of cluster `id`; returns the cluster's measured rate (bits/s) so far once it is
   * measurable (the caller keeps the last of a feedback).
   */
  onPacket(id: number, sentAt: number, receivedAt: number, size: number): number | undefined {
    const c = this.clusters.get(id);
    if (!c) return undefined;
    if (sentAt < c.firstSend) c.firstSend = sentAt;
    if (sentAt >= c.lastSend) {
      c.lastSend = sentAt;
      c.lastSendSize = size;
    }
    if (receivedAt < c.firstArrival) {
      c.firstArrival = receivedAt;
      c.firstArrivalSize = size;
    }
    if (receivedAt > c.lastArrival) c.lastArrival = receivedAt;
    c.bytes += size;
    c.packets++;
    if (c.packets < MIN_RECEIVED_FRACTION * c.minPackets || c.bytes < MIN_RECEIVED_FRACTION * c.minBytes)
      return undefined;
    const sendInterval = c.lastSend - c.firstSend;
    const receiveInterval = c.lastArrival - c.firstArrival;
    if (
      sendInterval <= 0 ||
      sendInterval > MAX_INTERVAL_MS ||
      receiveInterval <= 0 ||
      receiveInterval > MAX_INTERVAL_MS
    )
      return undefined;
    const sendRate = ((c.bytes - c.lastSendSize) * 8000) / sendInterval;
    const receiveRate = ((c.bytes - c.firstArrivalSize) * 8000) / receiveInterval;
    if (receiveRate > MAX_RECEIVE_TO_SEND * sendRate) return undefined;
    if (receiveRate < UNSATURATED_RATIO * sendRate) return TARGET_UTILIZATION * receiveRate;
    return Math.min(sendRate, receiveRate);
  }

  private expire(now: number): void {
    for (const [id, c] of this.clusters)
      if (now - c.createdAt > CLUSTER_LIFETIME_MS) this.clusters.delete(id);
  }
}

/**
 * Bandwidth estimation CPU cost, one JSON line per result:
 *  - `estimator`: BandwidthEstimator.onTransportFeedback over synthetic feedback (50 packets a message,
 *    1,200-byte packets every 0.4 ms, arrival jitter and a little loss), per packet; reference: a bare loop
 *    over the same PacketResults reading the fields an estimator must read (sizes, send and arrival times,
 *    a running delay-variation sum). `ratio` = estimator ns/packet ÷ bare ns/packet (how many bare loops
 *    one estimator pass costs).
 *  - `pacer`: Pacer enqueue + poll of the same packets at the pacing rate (time stepped to
 *    nextReleaseTime), per packet; reference: pushing them through a plain array queue. Same ratio.
 * Best of 5 rounds each, alternating. Usage: npm run bench -- bwe   (BWE_BENCH_PACKETS to change the count)
 */
import { BandwidthEstimator } from '../src/rtp/bwe/bandwidth-estimator.js';
import type { PacketResult } from '../src/rtp/feedback/transport-feedback-log.js';
import { Pacer } from '../src/rtp/pacer.js';

const PACKETS = Number(process.env.BWE_BENCH_PACKETS ?? 200_000);
const PER_FEEDBACK = 50;
const ROUNDS = 5;

function emit(result: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'bwe', ...result }));
}

/** Feedback messages as the session hands them to the estimator. */
function feedback(): PacketResult[][] {
  const out: PacketResult[][] = [];
  let state = 12345;
  const rand = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
  for (let i = 0; i < PACKETS; i += PER_FEEDBACK) {
    const batch: PacketResult[] = [];
    for (let j = i; j < i + PER_FEEDBACK; j++) {
      const sentAt = j * 0.4;
      batch.push({
        transportSequenceNumber: j & 0xffff,
        ssrc: 1,
        sequenceNumber: j & 0xffff,
        size: 1200,
        sentAt,
        retransmission: false,
        receivedAt: rand() < 0.01 ? undefined : sentAt + 20 + rand() * 2,
      });
    }
    out.push(batch);
  }
  return out;
}

function estimatorRound(batches: PacketResult[][]): number {
  const e = new BandwidthEstimator({ probing: false });
  const t0 = process.hrtime.bigint();
  for (const batch of batches) {
    const now = batch[batch.length - 1]!.sentAt + 40;
    for (const r of batch) e.onPacketSent(r.sentAt, r.size, true);
    e.onTransportFeedback(now, batch);
  }
  return Number(process.hrtime.bigint() - t0) / PACKETS;
}

let sink = 0;
function bareFeedbackRound(batches: PacketResult[][]): number {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let delay = 0;
  let previous: PacketResult | undefined;
  for (const batch of batches) {
    for (const r of batch) bytes += r.size; // what onPacketSent reads
    for (const r of batch) {
      if (r.receivedAt === undefined) continue;
      bytes += r.size;
      if (previous?.receivedAt !== undefined)
        delay += r.receivedAt - previous.receivedAt - (r.sentAt - previous.sentAt);
      previous = r;
    }
  }
  sink += bytes + delay;
  return Number(process.hrtime.bigint() - t0) / PACKETS;
}

interface Item {
  readonly size: number;
}

function pacerRound(items: Item[]): number {
  const pacer = new Pacer<Item>({ rateBps: 30_000_000 });
  const t0 = process.hrtime.bigint();
  let now = 0;
  let released = 0;
  for (let i = 0; i < items.length; i += 10) {
    // a frame of 10 packets every 3.2 ms (30 Mbit/s), released as the pacer allows
    for (let j = i; j < i + 10 && j < items.length; j++) pacer.enqueue(items[j]!, 'video');
    for (;;) {
      const item = pacer.poll(now);
      if (item) {
        released++;
        continue;
      }
      const next = pacer.nextReleaseTime();
      if (next === undefined || next > (i / 10 + 1) * 3.2) break;
      now = next;
    }
    now = Math.max(now, (i / 10 + 1) * 3.2);
  }
  for (let item = pacer.poll(now + 1e6); item; item = pacer.poll(now + 1e6)) released++;
  sink += released;
  return Number(process.hrtime.bigint() - t0) / items.length;
}

function bareQueueRound(items: Item[]): number {
  const t0 = process.hrtime.bigint();
  const queue: Item[] = [];
  let bytes = 0;
  for (let i = 0; i < items.length; i += 10) {
    for (let j = i; j < i + 10 && j < items.length; j++) queue.push(items[j]!);
    while (queue.length > 0) bytes += queue.pop()!.size;
  }
  sink += bytes;
  return Number(process.hrtime.bigint() - t0) / items.length;
}

function best(rounds: { measure: () => number }[]): number[] {
  const results = rounds.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < ROUNDS; r++)
    rounds.forEach((x, i) => {
      results[i] = Math.min(results[i]!, x.measure());
    });
  return results;
}

const batches = feedback();
const [estimator, bare] = best([
  { measure: () => estimatorRound(batches) },
  { measure: () => bareFeedbackRound(batches) },
]);
emit({
  case: 'estimator',
  packets: PACKETS,
  perFeedback: PER_FEEDBACK,
  nsPerPacket: +estimator!.toFixed(1),
  referenceNsPerPacket: +bare!.toFixed(1),
  ratio: +(estimator! / bare!).toFixed(1),
});

const items: Item[] = Array.from({ length: PACKETS }, () => ({ size: 1216 }));
const [pacer, queue] = best([{ measure: () => pacerRound(items) }, { measure: () => bareQueueRound(items) }]);
emit({
  case: 'pacer',
  packets: PACKETS,
  nsPerPacket: +pacer!.toFixed(1),
  referenceNsPerPacket: +queue!.toFixed(1),
  ratio: +(pacer! / queue!).toFixed(1),
});
if (sink === -1) console.log('');

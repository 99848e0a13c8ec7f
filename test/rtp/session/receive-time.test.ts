/**
 * Receive times given with the datagram (the runtime's kernel stamps): transport-wide feedback and the
 * REMB estimate take each packet's arrival from them, not from when the session got round to processing
 * it, so a receiver that stalls for 250 ms at a time reports what a receiver that never stalls reports.
 * Without them (the node:dgram path, the simulated network) the processing time is the arrival, as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRtcp } from '../../../src/rtp/packet.js';
import { arrivalTime, MAX_RECEIVE_AGE_MS } from '../../../src/rtp/session-receive.js';
import { codec, type Pair, pair, type SectionSpec, vp8Frame, Wiretap } from './harness.js';

const TWCC_VIDEO = codec('vp8', 96, { nack: true, pli: true, transportCc: true }, 97);
const REMB_VIDEO = codec('vp8', 96, { nack: true, pli: true, remb: true }, 97);
const ONE_WAY_MS = 10;

/** How B is fed: at every packet's arrival; every `stallMs` with kernel receive times; or without. */
type Feeding = 'smooth' | 'stamped' | 'unstamped';

interface Run {
  p: Pair;
  /** B's RTCP as A would decrypt it. */
  fromB: Wiretap;
  /** Transport-wide sequence number → arrival time at B (ms). */
  arrivals: Map<number, number>;
}

/**
 * A sends 1,200-byte VP8 frames every 33 ms for `durationMs`; each RTP packet reaches B's host ONE_WAY_MS
 * after it left. B runs only every `stallMs` when stalled (its event loop busy in between) and then
 * processes everything that arrived meanwhile, as a loaded machine does.
 */
function run(sections: SectionSpec[], feeding: Feeding, stallMs = 250, durationMs = 3000): Run {
  const p = pair(sections);
  const fromA = new Wiretap(p.keys.b);
  const fromB = new Wiretap(p.keys.a);
  const arrivals = new Map<number, number>();
  const inFlight: { data: Uint8Array; arrival: number }[] = [];
  let frame = 0;
  for (let t = 0; t <= durationMs; t++) {
    if (t % 33 === 0) p.a.session.writeFrame(t, 'v', undefined, vp8Frame(frame, 1200, frame++ === 0));
    const dueA = p.a.session.pollTimeout();
    if (dueA !== undefined && dueA <= t) p.a.session.handleTimeout(t);
    for (let d = p.a.session.pollTransmit(); d; d = p.a.session.pollTransmit()) {
      if (isRtcp(d)) continue; // A's reports play no part here
      fromA.see(d, t);
      const ext = fromA.rtp[fromA.rtp.length - 1]?.getExtension(3);
      if (ext) arrivals.set((ext[0]! << 8) | ext[1]!, t + ONE_WAY_MS);
      inFlight.push({ data: d, arrival: t + ONE_WAY_MS });
    }
    if (feeding !== 'smooth' && t % stallMs !== 0) continue;
    while (inFlight.length > 0 && inFlight[0]!.arrival <= t) {
      const { data, arrival } = inFlight.shift()!;
      p.b.session.handleDatagram(t, data, feeding === 'stamped' ? arrival : undefined);
    }
    const dueB = p.b.session.pollTimeout();
    if (dueB !== undefined && dueB <= t) p.b.session.handleTimeout(t);
    for (let d = p.b.session.pollTransmit(); d; d = p.b.session.pollTransmit()) fromB.see(d, t);
  }
  return { p, fromB, arrivals };
}

/** Every (sequence number, arrival ms) B reported in transport-wide feedback. */
function reported(r: Run): [number, number][] {
  const out: [number, number][] = [];
  for (const fb of r.fromB.rtcpOf('twcc')) {
    let at = fb.referenceTime * 64;
    for (const x of fb.received) {
      at += x.deltaUs / 1000;
      out.push([x.sequenceNumber, at]);
    }
  }
  return out;
}

describe('receive times (kernel stamps) in transport-wide feedback and REMB', () => {
  const twcc: SectionSpec[] = [{ mid: 'v', kind: 'video', codecs: [TWCC_VIDEO], a: [{ ssrc: 1 }] }];

  it('feedback carries the given receive times, not the time the stalled session processed them', () => {
    const r = run(twcc, 'stamped');
    const seen = reported(r);
    assert.ok(seen.length >= 150, `${seen.length} packets reported`);
    for (const [seq, at] of seen) {
      const arrival = r.arrivals.get(seq);
      assert.ok(arrival !== undefined, `seq ${seq} was sent`);
      assert.ok(Math.abs(at - arrival) <= 0.25, `seq ${seq}: reported ${at} ms, arrived ${arrival} ms`);
    }
    // spread like the sending (a frame every 33 ms), not bunched every 250 ms
    const distinct = new Set(seen.map(([, at]) => Math.round(at)));
    assert.ok(distinct.size >= 80, `${distinct.size} distinct arrival times`);
  });

  it('without receive times the processing time is the arrival (the stall shows in the feedback)', () => {
    const r = run(twcc, 'unstamped');
    const seen = reported(r);
    assert.ok(seen.length >= 150, `${seen.length} packets reported`);
    for (const [seq, at] of seen) {
      const arrival = r.arrivals.get(seq)!;
      // processed at the end of the stall the packet arrived in
      const processed = Math.ceil(arrival / 250) * 250;
      assert.ok(Math.abs(at - processed) <= 0.25, `seq ${seq}: reported ${at} ms, processed ${processed} ms`);
    }
    const late = seen.filter(([seq, at]) => at - r.arrivals.get(seq)! >= 50).length;
    assert.ok(late >= seen.length / 2, `${late} of ${seen.length} reported ≥ 50 ms late`);
  });

  it('the REMB estimate of a stalled receiver with receive times equals that of one that never stalls', () => {
    const remb: SectionSpec[] = [{ mid: 'v', kind: 'video', codecs: [REMB_VIDEO], a: [{ ssrc: 1 }] }];
    // the estimate counts once measured: after 5 s of throughput without overuse
    const estimate = (r: Run) => r.p.b.session.getStats(7000).receiveEstimate;
    const smooth = estimate(run(remb, 'smooth', 250, 7000));
    const stamped = estimate(run(remb, 'stamped', 250, 7000));
    const unstamped = estimate(run(remb, 'unstamped', 250, 7000));
    assert.ok(smooth && smooth.bitrate > 0, `smooth estimate ${JSON.stringify(smooth)}`);
    assert.equal(stamped?.bitrate, smooth.bitrate);
    // the same packets processed in bunches look like queueing to the detector
    assert.ok(unstamped && unstamped.bitrate < smooth.bitrate, `${unstamped?.bitrate} vs ${smooth.bitrate}`);
  });

  it('a receive time later than now, or older than the bound (another clock), is taken as now', () => {
    assert.equal(arrivalTime(1000, undefined), 1000);
    assert.equal(arrivalTime(1000, 990.5), 990.5);
    assert.equal(arrivalTime(1000, 1000.5), 1000);
    assert.equal(arrivalTime(20_000, 20_000 - MAX_RECEIVE_AGE_MS), 20_000 - MAX_RECEIVE_AGE_MS);
    assert.equal(arrivalTime(20_000, 20_000 - MAX_RECEIVE_AGE_MS - 1), 20_000);
    assert.equal(arrivalTime(1000, Number.NaN), 1000);
    // through the session: a receive time in the future is reported as the processing time
    const p = pair(twcc);
    const fromB = new Wiretap(p.keys.a);
    p.a.session.writeFrame(0, 'v', undefined, vp8Frame(0, 600, true));
    p.a.session.handleTimeout(0);
    for (let d = p.a.session.pollTransmit(); d; d = p.a.session.pollTransmit())
      if (!isRtcp(d)) p.b.session.handleDatagram(500, d, 900);
    p.b.session.handleTimeout(700);
    for (let d = p.b.session.pollTransmit(); d; d = p.b.session.pollTransmit()) fromB.see(d, 700);
    const feedback = fromB.rtcpOf('twcc');
    assert.equal(feedback.length, 1);
    const fb = feedback[0]!;
    assert.equal(fb.referenceTime * 64 + fb.received[0]!.deltaUs / 1000, 500);
  });
});

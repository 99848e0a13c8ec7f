import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterBuffer, type JitterBufferEvent } from '../../src/rtp/jitter-buffer.js';
import {
  AudioDepayloader,
  type RtpPacketLike,
  Vp8Depayloader,
  Vp8Payloader,
} from '../../src/rtp/payload/index.js';

/** VP8 packets for a run of frames: frame i has `sizes[i]` bytes, keyframe when `keys` has i. */
function vp8Stream(
  count: number,
  opts: { firstSeq?: number; firstTs?: number; keys?: number[]; size?: number } = {},
) {
  const payloader = new Vp8Payloader(300, 0);
  const packets: RtpPacketLike[][] = [];
  let seq = opts.firstSeq ?? 1000;
  for (let i = 0; i < count; i++) {
    const frame = new Uint8Array(opts.size ?? 700).fill(i & 0xff);
    frame[0] = (opts.keys ?? [0]).includes(i) ? 0x00 : 0x01; // VP8 P bit
    const ts = ((opts.firstTs ?? 5000) + i * 3000) >>> 0;
    packets.push(
      payloader.packetize(frame).map((c) => ({
        payloadType: 96,
        sequenceNumber: seq++ & 0xffff,
        timestamp: ts,
        ssrc: 1,
        marker: c.marker,
        payload: c.payload,
      })),
    );
  }
  return packets;
}

function videoBuffer(extra: Partial<ConstructorParameters<typeof JitterBuffer>[0]> = {}) {
  return new JitterBuffer({
    kind: 'video',
    codec: 'vp8',
    depayloader: new Vp8Depayloader(),
    clockRate: 90000,
    ...extra,
  });
}

function drain(jb: JitterBuffer): JitterBufferEvent[] {
  const out: JitterBufferEvent[] = [];
  for (let e = jb.pollEvent(); e; e = jb.pollEvent()) out.push(e);
  return out;
}

const frames = (events: JitterBufferEvent[]) => events.filter((e) => e.type === 'frame');

describe('JitterBuffer (video)', () => {
  it('emits frames in order with pts from 0, keyframe flags and reassembled data', () => {
    const jb = videoBuffer();
    const stream = vp8Stream(4);
    for (const f of stream) for (const p of f) jb.push(0, p);
    const out = frames(drain(jb));
    assert.equal(out.length, 4);
    out.forEach((e, i) => {
      assert.equal(e.frame.pts, i * 3000);
      assert.equal(e.frame.keyframe, i === 0);
      assert.equal(e.frame.data.byteLength, 700);
      assert.equal(e.frame.data[5], i);
      assert.equal(e.frame.codec, 'vp8');
    });
    assert.equal(jb.size, 0);
  });

  it('reorders packets within and across frames', () => {
    const jb = videoBuffer();
    const packets = vp8Stream(3).flat();
    const shuffled = [
      packets[2],
      packets[0],
      packets[5],
      packets[1],
      packets[4],
      packets[3],
      ...packets.slice(6),
    ];
    for (const p of shuffled) jb.push(0, p!);
    const out = frames(drain(jb));
    assert.deepEqual(
      out.map((e) => e.frame.pts),
      [0, 3000, 6000],
    );
    assert.equal(jb.stats.pliRequested, 0);
  });

  it('NACKs a missing packet at once, retries, and plays the frame when the retransmission arrives', () => {
    const jb = videoBuffer({ nackRetryMs: 40 });
    const packets = vp8Stream(3).flat();
    const lost = packets[4]!;
    for (const p of packets) if (p !== lost) jb.push(10, p);
    const events = drain(jb);
    assert.deepEqual(
      events.filter((e) => e.type === 'nack'),
      [{ type: 'nack', sequenceNumbers: [lost.sequenceNumber] }],
    );
    assert.equal(frames(events).length, 1, 'only the frame before the gap');
    assert.equal(jb.pollTimeout(), 50);
    jb.handleTimeout(50);
    assert.deepEqual(drain(jb), [{ type: 'nack', sequenceNumbers: [lost.sequenceNumber] }]);
    jb.push(60, lost);
    assert.deepEqual(
      frames(drain(jb)).map((e) => e.frame.pts),
      [3000, 6000],
    );
    assert.equal(jb.stats.pliRequested, 0);
    assert.equal(jb.stats.packetsLost, 0);
  });

  it('gives up on a gap after maxWaitMs, asks for a keyframe and drops delta frames until it comes', () => {
    const jb = videoBuffer({ maxWaitMs: 100, pliIntervalMs: 200 });
    const stream = vp8Stream(6, { keys: [0, 5] });
    const lost = stream[1]![0]!;
    for (const f of stream.slice(0, 4)) for (const p of f) if (p !== lost) jb.push(0, p);
    assert.equal(frames(drain(jb)).length, 1);
    assert.equal(jb.pollTimeout() !== undefined && jb.pollTimeout()! <= 100, true);
    jb.handleTimeout(100);
    let events = drain(jb);
    assert.ok(
      events.some((e) => e.type === 'pli'),
      'PLI after the skip',
    );
    assert.equal(frames(events).length, 0, 'delta frames after the loss are not played');
    for (const p of stream[4]!) jb.push(150, p);
    assert.equal(frames(drain(jb)).length, 0);
    jb.handleTimeout(300);
    assert.ok(
      drain(jb).some((e) => e.type === 'pli'),
      'PLI repeats while waiting',
    );
    for (const p of stream[5]!) jb.push(320, p);
    events = drain(jb);
    assert.deepEqual(
      frames(events).map((e) => [e.frame.pts, e.frame.keyframe]),
      [[15000, true]],
    );
    assert.equal(jb.pollTimeout(), undefined, 'no more PLIs once the keyframe played');
    assert.ok(jb.stats.packetsLost >= 1);
  });

  it('handles sequence number and timestamp wrap-around', () => {
    const jb = videoBuffer();
    const stream = vp8Stream(5, { firstSeq: 65530, firstTs: 0xffffffff - 4000 });
    for (const f of stream) for (const p of f) jb.push(0, p);
    assert.deepEqual(
      frames(drain(jb)).map((e) => e.frame.pts),
      [0, 3000, 6000, 9000, 12000],
    );
  });

  it('resets on a large sequence jump and asks for a keyframe', () => {
    const jb = videoBuffer();
    for (const p of vp8Stream(2).flat()) jb.push(0, p);
    drain(jb);
    const later = vp8Stream(2, { firstSeq: 30000, keys: [1] });
    for (const p of later.flat()) jb.push(0, p);
    jb.handleTimeout(300); // the delta frame ahead of the keyframe waits (it might be reordered), then goes
    const events = drain(jb);
    assert.equal(jb.stats.resets, 1);
    assert.ok(events.some((e) => e.type === 'pli'));
    assert.deepEqual(
      frames(events).map((e) => e.frame.keyframe),
      [true],
    );
  });

  it('drops one very late packet but resets when the sender restarts far behind', () => {
    const jb = videoBuffer({ maxMisorder: 50 });
    for (const p of vp8Stream(40, { firstSeq: 5000 }).flat()) jb.push(0, p);
    drain(jb);
    const old = vp8Stream(1, { firstSeq: 4900 })[0]![0]!;
    jb.push(0, old);
    assert.equal(jb.stats.resets, 0, 'a single straggler is only late');
    assert.equal(jb.stats.packetsLate, 1);
    const restarted = vp8Stream(4, { firstSeq: 100, keys: [0, 2] }).flat(); // the first two are taken for stragglers
    for (const p of restarted) jb.push(0, p);
    assert.equal(jb.stats.resets, 1, 'a run of packets far behind is a restarted stream');
    jb.handleTimeout(1000);
    assert.ok(frames(drain(jb)).length >= 1);
  });

  it('stays within capacity when frames never complete', () => {
    const jb = videoBuffer({ capacity: 32 });
    const packets = vp8Stream(100, { keys: [] }).flat();
    for (let i = 1; i < packets.length; i += 1) if (i % 3 !== 0) jb.push(i, packets[i]!);
    assert.ok(jb.size <= 32);
    assert.ok(jb.stats.overflows > 0);
    assert.ok(drain(jb).some((e) => e.type === 'pli'));
  });

  it('counts duplicates, late and malformed packets and drops them', () => {
    const jb = videoBuffer();
    const packets = vp8Stream(2).flat();
    jb.push(0, packets[0]!);
    jb.push(0, packets[0]!);
    jb.push(0, { ...packets[1]!, payload: new Uint8Array(0) });
    for (const p of packets.slice(1)) jb.push(0, p);
    jb.push(0, packets[0]!);
    assert.equal(jb.stats.packetsDuplicated, 1);
    assert.equal(jb.stats.packetsMalformed, 1);
    assert.equal(jb.stats.packetsLate, 1);
    assert.equal(frames(drain(jb)).length, 2);
  });
});

describe('JitterBuffer (audio)', () => {
  const audio = (seq: number, ts: number): RtpPacketLike => ({
    payloadType: 0,
    sequenceNumber: seq,
    timestamp: ts,
    ssrc: 2,
    marker: false,
    payload: new Uint8Array(160).fill(seq & 0xff),
  });
  const audioBuffer = () =>
    new JitterBuffer({ kind: 'audio', codec: 'pcmu', depayloader: new AudioDepayloader(), clockRate: 8000 });

  it('plays each packet as a frame, without NACK or PLI', () => {
    const jb = audioBuffer();
    for (let i = 0; i < 5; i++) jb.push(i * 20, audio(i, i * 160));
    const out = drain(jb);
    assert.equal(out.length, 5);
    assert.ok(out.every((e) => e.type === 'frame' && e.frame.keyframe));
  });

  it('skips a gap once 4 later packets wait behind it (~80 ms), or after maxWaitMs', () => {
    const jb = audioBuffer();
    jb.push(0, audio(0, 0));
    for (let i = 2; i <= 4; i++) jb.push(i * 20, audio(i, i * 160));
    assert.equal(frames(drain(jb)).length, 1, 'waiting for packet 1');
    jb.push(100, audio(5, 800));
    const out = drain(jb);
    assert.deepEqual(
      frames(out).map((e) => e.frame.pts),
      [320, 480, 640, 800],
    );
    assert.ok(!out.some((e) => e.type === 'nack' || e.type === 'pli'));
    jb.push(120, audio(7, 1120));
    assert.equal(jb.pollTimeout(), 180);
    jb.handleTimeout(180);
    assert.deepEqual(
      frames(drain(jb)).map((e) => e.frame.pts),
      [1120],
    );
    assert.equal(jb.stats.packetsLost, 2);
  });
});

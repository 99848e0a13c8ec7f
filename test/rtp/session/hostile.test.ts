/**
 * Bad input (issue 12): garbage and hostile RTP/RTCP — wrong SSRCs, unknown payload types, huge sequence
 * and timestamp jumps, RTCP with lying lengths, NACK storms for packets long gone, PLI floods, SRTP replays,
 * floods of new SSRCs — change no state they should not, never throw, never grow memory without bound. A
 * hostile peer holds the keys (it negotiated them), so most cases are authenticated; a seeded fuzz run
 * feeds random and mutated packets through both sessions of a live call and checks every bounded size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpPacket } from '../../../src/rtp/packet.js';
import { type RtcpPacket, serializeRtcp } from '../../../src/rtp/rtcp/index.js';
import { Prng } from '../../sim/network.js';
import { codec, EXT, injector, pair, type SectionSpec, tap, videoSource } from './harness.js';

const SECTIONS: SectionSpec[] = [
  {
    mid: 'a',
    kind: 'audio',
    codecs: [codec('opus', 111, { transportCc: true })],
    a: [{ ssrc: 10 }],
    b: [{ ssrc: 20 }],
  },
  {
    mid: 'v',
    kind: 'video',
    codecs: [codec('vp8', 96, { nack: true, pli: true, fir: true, remb: true, transportCc: true }, 97)],
    a: [{ ssrc: 30, rtxSsrc: 31 }],
    b: [{ ssrc: 40, rtxSsrc: 41 }],
  },
];

/** A live call with video from A and B; returns the pair once streams are up. */
function liveCall(seed = 1) {
  const p = pair(SECTIONS, { seed });
  const keysA = videoSource(p.a, 'v', { size: 2000 });
  const keysB = videoSource(p.b, 'v', { size: 2000 });
  p.net.runFor(500);
  return { p, keysA, keysB };
}

function rtp(init: Partial<ConstructorParameters<typeof RtpPacket>[0]> & { ssrc: number }): RtpPacket {
  return new RtpPacket({
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 1,
    payload: new Uint8Array(50).fill(1),
    ...init,
  });
}

function sizes(p: ReturnType<typeof pair>, side: 'a' | 'b') {
  return (side === 'a' ? p.a : p.b).session.getStats(p.net.now);
}

describe('hostile input', () => {
  it('drops garbage and forged datagrams without state', () => {
    const { p } = liveCall();
    const rng = new Prng(3);
    const before = sizes(p, 'b');
    for (let i = 0; i < 5000; i++) {
      const d = new Uint8Array(rng.int(1500));
      for (let k = 0; k < d.byteLength; k++) d[k] = rng.int(256);
      if (d.byteLength > 0 && i % 2 === 0) d[0] = 0x80 | (d[0]! & 0x3f);
      if (d.byteLength > 1 && i % 4 === 0) d[1] = 200 + rng.int(8); // RTCP-looking
      p.b.session.handleDatagram(p.net.now, d);
    }
    p.b.collect();
    const after = sizes(p, 'b');
    assert.equal(after.counters.internalErrors, 0);
    assert.equal(after.sizes.receiveStreams, before.sizes.receiveStreams);
    assert.equal(after.srtp!.inbound.rtpPackets, before.srtp!.inbound.rtpPackets);
    assert.ok(
      after.srtp!.inbound.authFailures + after.srtp!.inbound.malformed + after.counters.malformed > 4000,
      'after.srtp!.inbound.authFailures + after.srtp!.inbound.malformed + ...',
    );
    assert.deepEqual(after.inbound, before.inbound);
  });

  it('drops authenticated packets for unknown SSRCs, mids, rids and payload types, and counts them', () => {
    const { p } = liveCall();
    const peer = injector(p.keys.a); // B's peer is A: A's keys protect what B receives
    const mid = (value: string) => [{ id: EXT.mid, data: new TextEncoder().encode(value) }];
    const send = (packet: RtpPacket) => p.b.session.handleDatagram(p.net.now, peer.rtp(packet));
    send(rtp({ ssrc: 0xdead, payloadType: 50 })); // no MID, payload type of no section
    send(rtp({ ssrc: 0xdeae, extensions: mid('nope') }));
    send(rtp({ ssrc: 0xdeb0, payloadType: 120, extensions: mid('v') })); // payload type not negotiated
    send(rtp({ ssrc: 0xbeef, payloadType: 97, extensions: mid('a') })); // RTX payload type of another section
    send(rtp({ ssrc: 0xbef0, payloadType: 97, extensions: mid('v') })); // RTX with no stream to repair
    const s = sizes(p, 'b');
    assert.equal(s.counters.unroutable, 1);
    assert.equal(s.counters.unknownMid, 1);
    assert.equal(s.counters.unknownPayloadType, 2);
    assert.equal(s.counters.rtxWithoutStream, 1);
    assert.equal(s.counters.internalErrors, 0);
    assert.equal(s.sizes.receiveStreams, 1, 'no stream was created'); // the live one from A
    assert.equal(p.b.of('stream-added').length, 1);
  });

  it('survives huge sequence and timestamp jumps and keeps the live stream going', () => {
    // (a peer that jumps the sequence numbers of its own live SSRC only hurts that stream: SRTP's replay
    // window then refuses the old numbers, as libsrtp's does; here the jumps come on a stream of their own)
    const { p } = liveCall();
    const peer = injector(p.keys.a);
    const mid = [{ id: EXT.mid, data: new TextEncoder().encode('v') }];
    const vp8 = (key: boolean) => Uint8Array.of(0x90, 0x80, 0x80, 1, key ? 0x10 : 0x11, 1, 2, 3);
    const jumps: [number, number][] = [
      [100, 0],
      [30_000, 5],
      [30_001, 0x80000000],
      [65_535, 0xffffffff],
      [12, 42],
      [13, 0x7fffffff],
      [40_000, 1],
    ];
    for (const [k, [seq, ts]] of jumps.entries())
      p.b.session.handleDatagram(
        p.net.now,
        peer.rtp(
          rtp({
            ssrc: 0x5000,
            sequenceNumber: seq,
            timestamp: ts,
            marker: true,
            extensions: mid,
            payload: vp8(k === 0),
          }),
        ),
      );
    p.b.collect();
    const framesBefore = p.b.of('frame').filter((f) => f.ssrc === 30).length;
    p.net.runFor(3000);
    const s = sizes(p, 'b');
    assert.equal(s.counters.internalErrors, 0);
    assert.ok(s.sizes.bufferedPackets < 600, `${s.sizes.bufferedPackets} packets buffered`);
    const live = p.b.of('frame').filter((f) => f.ssrc === 30).length - framesBefore;
    assert.ok(live > 80, `${live} frames on the live stream afterwards`);
    // the jumping stream went quiet and was removed
    p.net.runFor(10_000);
    assert.ok(
      p.b.of('stream-removed').some((e) => e.ssrc === 0x5000 && e.reason === 'timeout'),
      'removed',
    );
  });

  it('answers a NACK storm for packets long gone with nothing, cheaply; live NACKs stay within budget', () => {
    const { p } = liveCall();
    const peer = injector(p.keys.b); // A's peer is B
    const base = sizes(p, 'a').outbound.find((o) => o.ssrc === 30)!;
    const gone: number[] = [];
    for (let k = 0; k < 400; k++) gone.push((k * 97) & 0xffff);
    const started = performance.now();
    for (let i = 0; i < 5000; i++)
      p.a.session.handleDatagram(
        p.net.now,
        peer.rtcp([{ type: 'nack', senderSsrc: 7, mediaSsrc: 30, lost: gone }]),
      );
    const ms = performance.now() - started;
    let transmits = 0;
    while (p.a.session.pollTransmit()) transmits++;
    const after = sizes(p, 'a').outbound.find((o) => o.ssrc === 30)!;
    assert.equal(after.retransmittedPacketsSent, base.retransmittedPacketsSent);
    assert.equal(transmits, 0);
    assert.ok(
      after.nack.packetsUnknown - base.nack.packetsUnknown >= 5000 * 400 - 400,
      'after.nack.packetsUnknown - base.nack.packetsUnknown >= 5000 * 400 ...',
    );
    assert.ok(ms < 5000, `${ms} ms for 5,000 NACKs of 400 numbers`);
    // NACKs for packets we do hold: at most maxPerWindow (150) per 100 ms, each packet once per RTT
    const held = p.a.session.getStats(p.net.now).outbound.find((o) => o.ssrc === 30)!.historyPackets;
    assert.ok(held > 20, 'held > 20');
    const wire = tap(p, 'a');
    const recent: number[] = [];
    const seen = wire.rtp.length;
    p.net.runFor(100);
    for (const r of wire.rtp.slice(seen)) if (r.ssrc === 30) recent.push(r.sequenceNumber);
    const beforeStorm = sizes(p, 'a').outbound.find((o) => o.ssrc === 30)!.retransmittedPacketsSent;
    for (let i = 0; i < 1000; i++)
      p.a.session.handleDatagram(
        p.net.now,
        peer.rtcp([{ type: 'nack', senderSsrc: 7, mediaSsrc: 30, lost: recent }]),
      );
    const storm = sizes(p, 'a').outbound.find((o) => o.ssrc === 30)!.retransmittedPacketsSent - beforeStorm;
    assert.ok(storm <= recent.length && storm <= 150, `${storm} retransmissions for 1,000 NACKs`);
  });

  it('ignores RTCP with lying lengths and feedback about SSRCs it does not have', () => {
    const { p } = liveCall();
    const peer = injector(p.keys.b);
    const before = sizes(p, 'a');
    const pli = serializeRtcp([{ type: 'pli', senderSsrc: 7, mediaSsrc: 30 }]);
    const lying = [
      Uint8Array.of(...pli.subarray(0, 2), 0, 200, ...pli.subarray(4)), // length far beyond the datagram
      Uint8Array.of(...pli.subarray(0, 2), 0, 1, ...pli.subarray(4)), // shorter: a truncated packet follows
      Uint8Array.of(0xa0 | (pli[0]! & 0x1f), pli[1]!, 0, 2, ...pli.subarray(4), 0, 0, 0, 3), // padding not whole words
    ];
    for (const d of lying) p.a.session.handleDatagram(p.net.now, peer.rtcpBytes(d));
    const unknown: RtcpPacket[] = [
      {
        type: 'sr',
        ssrc: 999,
        ntpSeconds: 1,
        ntpFraction: 2,
        rtpTimestamp: 3,
        packetCount: 4,
        octetCount: 5,
        reports: [],
      },
      {
        type: 'rr',
        ssrc: 999,
        reports: [
          {
            ssrc: 12345,
            fractionLost: 255,
            packetsLost: -5,
            highestSequence: 1,
            jitter: 2 ** 32 - 1,
            lastSr: 7,
            delaySinceLastSr: 9,
          },
        ],
      },
      { type: 'bye', sources: [12345] },
      { type: 'nack', senderSsrc: 1, mediaSsrc: 12345, lost: [1, 2, 3] },
      { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 12345, sequenceNumber: 1 }] },
      {
        type: 'twcc',
        senderSsrc: 1,
        mediaSsrc: 1,
        baseSequenceNumber: 40000,
        packetStatusCount: 65535,
        referenceTime: -5,
        fbPktCount: 1,
        received: [],
      },
      { type: 'app', subtype: 1, ssrc: 1, name: 'abcd', data: new Uint8Array(8) },
    ];
    p.a.session.handleDatagram(p.net.now, peer.rtcp(unknown));
    p.a.collect();
    const after = sizes(p, 'a');
    assert.equal(after.counters.malformed - before.counters.malformed, 3);
    assert.equal(after.counters.internalErrors, 0);
    assert.ok(
      after.counters.rtcpIgnored > before.counters.rtcpIgnored,
      'after.counters.rtcpIgnored > before.counters.rtcpIgnored',
    );
    assert.deepEqual(
      after.outbound.map((o) => [o.ssrc, o.retransmittedPacketsSent, o.keyframeRequests.requestsForwarded]),
      before.outbound.map((o) => [o.ssrc, o.retransmittedPacketsSent, o.keyframeRequests.requestsForwarded]),
    );
    assert.equal(p.a.of('keyframe-request').length, 0);
    assert.deepEqual(after.inbound.map((i) => i.ssrc).sort(), before.inbound.map((i) => i.ssrc).sort());
  });

  it('drops SRTP replays without touching state', () => {
    const p = pair(SECTIONS);
    const captured: Uint8Array[] = [];
    p.net.tap = (d) => {
      if (d.source.address === p.a.address.address) captured.push(d.data.slice());
      return true;
    };
    videoSource(p.a, 'v', { size: 2000 });
    p.net.runFor(1000);
    const before = sizes(p, 'b');
    for (const d of captured) p.b.session.handleDatagram(p.net.now, d.slice());
    p.b.collect();
    const after = sizes(p, 'b');
    assert.equal(after.srtp!.inbound.replayDrops - before.srtp!.inbound.replayDrops, captured.length);
    assert.deepEqual(after.inbound, before.inbound);
    assert.equal(after.counters.rtpPacketsReceived, before.counters.rtpPacketsReceived);
  });

  it('bounds the streams a flood of new SSRCs can create', () => {
    const { p } = liveCall();
    const mid = [{ id: EXT.mid, data: new TextEncoder().encode('v') }];
    let peer = injector(p.keys.a);
    for (let ssrc = 1000; ssrc < 6000; ssrc++) {
      if (ssrc % 1000 === 0) peer = injector(p.keys.a); // one SRTP sender holds at most 1,024 SSRCs
      const packet = rtp({ ssrc, extensions: mid, payload: Uint8Array.of(0x90, 0x80, 0x80, 1, 0) });
      p.b.session.handleDatagram(p.net.now, peer.rtp(packet));
    }
    p.b.collect();
    const s = sizes(p, 'b');
    assert.equal(s.sizes.receiveStreams, 32);
    assert.ok(s.sizes.routedSsrcs <= 64, 's.sizes.routedSsrcs <= 64');
    assert.ok(s.sizes.srtpInboundStreams <= 1024, 's.sizes.srtpInboundStreams <= 1024');
    assert.ok(s.counters.tooManyStreams >= 4900, 's.counters.tooManyStreams >= 4900');
    // learned streams go quiet and are removed; the announced live ones stay
    p.net.runFor(12_000);
    const later = sizes(p, 'b');
    assert.ok(
      later.sizes.receiveStreams <= 4,
      `${later.sizes.receiveStreams} streams after the flood timed out`,
    );
    assert.ok(
      p.b.of('frame').filter((f) => f.ssrc === 30).length > 300,
      "p.b.of('frame').filter((f) => f.ssrc === 30).length > 300",
    );
  });

  it('fuzz: random and mutated RTP/RTCP through a live call keeps every size bounded', () => {
    const { p } = liveCall(5);
    const rng = new Prng(12345);
    const toB = injector(p.keys.a);
    const toA = injector(p.keys.b);
    const samples: Uint8Array[] = [];
    const rtcpSamples: Uint8Array[] = [];
    const wireA = tap(p, 'a');
    const wireB = tap(p, 'b');
    p.net.runFor(500);
    for (const r of [...wireA.rtp, ...wireB.rtp].slice(0, 200)) samples.push(r.serialize());
    for (const d of [...wireA.rtcp, ...wireB.rtcp]) rtcpSamples.push(d.bytes);
    // Hostile packets come from SSRCs of their own: a peer that jumps the sequence numbers or SRTCP
    // indices of its own live SSRC only desynchronises that stream's replay window (as with libsrtp),
    // which would leave nothing to check afterwards. A pool keeps each injector under 1,024 SSRCs.
    const pool = Array.from({ length: 200 }, (_, k) => 0x70000000 + k * 7919);
    const withSsrc = (b: Uint8Array, at: number): Uint8Array => {
      const out = b.slice();
      if (out.byteLength >= at + 4)
        new DataView(out.buffer, out.byteOffset).setUint32(at, pool[rng.int(pool.length)]!);
      return out;
    };
    assert.ok(samples.length > 50 && rtcpSamples.length > 5, 'samples.length > 50 && rtcpSamples.length > 5');
    const mutate = (seed: Uint8Array): Uint8Array => {
      const b = seed.slice();
      switch (rng.int(7)) {
        case 0:
          return b.subarray(0, Math.max(8, rng.int(b.byteLength + 1)));
        case 1:
          for (let k = 0; k < 1 + rng.int(6); k++) b[rng.int(b.byteLength)]! ^= 1 << rng.int(8);
          return b;
        case 2: {
          const at = rng.int(Math.max(1, b.byteLength - 1));
          b[at] = rng.int(256);
          b[at + 1] = rng.int(256);
          return b;
        }
        case 3: // sequence number / timestamp / SSRC jumps
          for (let k = 2; k < 12 && k < b.byteLength; k++) if (rng.next() < 0.5) b[k] = rng.int(256);
          return b;
        case 4:
          b[0] = (b[0]! & 0xc0) | rng.int(64);
          return b;
        case 5: {
          const longer = new Uint8Array(b.byteLength + rng.int(64));
          longer.set(b);
          return longer;
        }
        default:
          b[1] = (b[1]! & 0x80) | rng.int(128); // payload type
          return b;
      }
    };
    let heapPeak = 0;
    const heapStart = process.memoryUsage().heapUsed;
    for (let round = 0; round < 300; round++) {
      for (let k = 0; k < 40; k++) {
        const rtcpTurn = rng.next() < 0.3;
        const source = rtcpTurn ? rtcpSamples : samples;
        const plain = mutate(withSsrc(source[rng.int(source.length)]!, rtcpTurn ? 4 : 8));
        for (const [target, inj] of [
          [p.a, toA],
          [p.b, toB],
        ] as const) {
          let datagram: Uint8Array;
          try {
            datagram = rtcpTurn ? inj.rtcpBytes(plain) : inj.rtp(plain);
          } catch {
            datagram = plain; // not protectable: goes in raw (and fails authentication)
          }
          target.session.handleDatagram(p.net.now, datagram);
        }
      }
      p.a.collect();
      p.b.collect();
      p.net.runFor(20);
      if (round % 50 === 49) {
        for (const side of ['a', 'b'] as const) {
          const s = sizes(p, side);
          assert.equal(s.counters.internalErrors, 0);
          assert.ok(s.sizes.receiveStreams <= 32, 's.sizes.receiveStreams <= 32');
          assert.ok(s.sizes.routedSsrcs <= 64, 's.sizes.routedSsrcs <= 64');
          assert.ok(s.sizes.bufferedPackets <= 32 * 512, 's.sizes.bufferedPackets <= 32 * 512');
          assert.ok(s.sizes.historyBytes <= 2 * 1024 * 1300, 's.sizes.historyBytes <= 2 * 1024 * 1300');
          assert.ok(s.sizes.pacerQueue <= 4096, 's.sizes.pacerQueue <= 4096');
          assert.ok(s.sizes.eventQueue <= 4096, 's.sizes.eventQueue <= 4096');
          assert.ok(s.sizes.twccPending <= 8192, 's.sizes.twccPending <= 8192');
          assert.ok(s.sizes.srtpInboundStreams <= 1024, 's.sizes.srtpInboundStreams <= 1024');
          assert.ok(s.sizes.srtpOutboundStreams <= 4, 's.sizes.srtpOutboundStreams <= 4');
        }
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapStart);
      }
      // keep event lists from growing in the test itself
      if (p.a.events.length > 10_000) p.a.events.length = 0;
      if (p.b.events.length > 10_000) p.b.events.length = 0;
    }
    assert.ok(heapPeak < 200 * 1024 * 1024, `heap grew by ${Math.round(heapPeak / 1048576)} MB`);
    // the call survived: media still flows both ways after the fuzzing stops
    p.a.events.length = 0;
    p.b.events.length = 0;
    p.net.runFor(3000);
    assert.ok(
      p.b.of('frame').filter((f) => f.ssrc === 30).length > 30,
      "p.b.of('frame').filter((f) => f.ssrc === 30).length > 30",
    );
    assert.ok(
      p.a.of('frame').filter((f) => f.ssrc === 40).length > 30,
      "p.a.of('frame').filter((f) => f.ssrc === 40).length > 30",
    );
  });
});

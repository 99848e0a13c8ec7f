/**
 * RTP/RTCP packet layer: operations per second for parse, serialize, in-place forwarding rewrite and RTCP
 * compound parse, each against werift (the existing TypeScript stack) measured in the same run.
 * Usage: npm run bench -- rtp   (RTP_BENCH_OPS=n to change the operation count)
 */
import { RtcpPacketConverter, RtpPacket as WeriftRtpPacket } from 'werift';
import { RtpPacket } from '../src/rtp/packet.js';
import {
  rewriteExtensionU16,
  rewritePayloadType,
  rewriteSequenceNumber,
  rewriteSsrc,
} from '../src/rtp/rewrite.js';
import { parseRtcp, serializeRtcp } from '../src/rtp/rtcp/index.js';

const OPS = Number(process.env.RTP_BENCH_OPS ?? 300_000);
const ROUNDS = 3;

function opsPerSecond(fn: (i: number) => void): number {
  for (let i = 0; i < 10_000; i++) fn(i); // warm-up
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) fn(i);
    best = Math.max(best, OPS / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return best;
}

const wire = Buffer.from(
  new RtpPacket({
    payloadType: 96,
    sequenceNumber: 1000,
    timestamp: 90000,
    ssrc: 0x11223344,
    marker: true,
    extensions: [
      { id: 1, data: Uint8Array.of(0x30) },
      { id: 3, data: Uint8Array.of(0x12, 0x34) },
    ],
    payload: new Uint8Array(1200).fill(7),
  }).serialize(),
);
const rtcp = Buffer.from(
  serializeRtcp([
    {
      type: 'sr',
      ssrc: 1,
      ntpSeconds: 2,
      ntpFraction: 3,
      rtpTimestamp: 4,
      packetCount: 5,
      octetCount: 6,
      reports: [
        {
          ssrc: 9,
          fractionLost: 1,
          packetsLost: 2,
          highestSequence: 3,
          jitter: 4,
          lastSr: 5,
          delaySinceLastSr: 6,
        },
      ],
    },
    { type: 'sdes', chunks: [{ source: 1, items: [{ type: 1, value: 'a-cname-of-some-length' }] }] },
    { type: 'remb', senderSsrc: 1, bitrate: 1_500_000, ssrcs: [0x11223344] },
  ]),
);
const ours = RtpPacket.parse(wire);
const theirs = WeriftRtpPacket.deSerialize(wire);
let sink = 0;

const cases: { name: string; ours: (i: number) => void; werift: (i: number) => void }[] = [
  {
    name: 'rtp-parse-1200',
    ours: () => {
      sink += RtpPacket.parse(wire).payload.byteLength;
    },
    werift: () => {
      sink += WeriftRtpPacket.deSerialize(wire).payload.byteLength;
    },
  },
  {
    name: 'rtp-serialize-1200',
    ours: () => {
      sink += ours.serialize().byteLength;
    },
    werift: () => {
      sink += theirs.serialize().byteLength;
    },
  },
  {
    // a forwarder's per-packet job: new SSRC, payload type, sequence number and transport-wide sequence
    name: 'rtp-forward-rewrite',
    ours: (i) => {
      rewriteSsrc(wire, 0xcafe);
      rewritePayloadType(wire, 100);
      rewriteSequenceNumber(wire, i);
      rewriteExtensionU16(wire, 3, i);
    },
    werift: (i) => {
      const p = WeriftRtpPacket.deSerialize(wire);
      p.header.ssrc = 0xcafe;
      p.header.payloadType = 100;
      p.header.sequenceNumber = i & 0xffff;
      const ext = p.header.extensions.find((e) => e.id === 3);
      if (ext) ext.payload = Buffer.from([(i >> 8) & 0xff, i & 0xff]);
      sink += p.serialize().byteLength;
    },
  },
  {
    name: 'rtcp-compound-parse',
    ours: () => {
      sink += parseRtcp(rtcp).length;
    },
    werift: () => {
      sink += RtcpPacketConverter.deSerialize(rtcp).length;
    },
  },
];

for (const c of cases) {
  const o = opsPerSecond(c.ours);
  const w = opsPerSecond(c.werift);
  console.log(
    JSON.stringify({
      bench: 'rtp',
      case: c.name,
      opsPerSec: Math.round(o),
      weriftOpsPerSec: Math.round(w),
      ratio: Number((o / w).toFixed(2)),
    }),
  );
}
if (sink === 0) console.error('unexpected: nothing was processed');

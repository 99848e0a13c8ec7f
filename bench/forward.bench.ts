/**
 * Forwarding cost: packets per second per core that one forwarder sends from one publisher to N subscribers
 * (1, 4, 16) through the public forwarding path — SRTP unprotect → route → jitter buffer → frame →
 * RTCRtpReceiver's encoded-frame tap → MediaForwarder → each ForwardedTrack (LayerSwitch, queue, recv()) →
 * each subscriber's MediaSession (payload on its own SSRC, sequence and timestamps, extensions, history,
 * pacer, SRTP protect) → a UDP socket on 127.0.0.1 — against the bare cost of the same packets: SRTP
 * unprotect once, then SRTP protect and the same socket send per subscriber (`ratio` = ours / bare; 1 would
 * be free forwarding). CPU time is the process's (user + system, so the kernel's send path counts on both
 * sides); best of FORWARD_BENCH_ROUNDS (3) alternating rounds. The sender pipeline's pump is reproduced as
 * it runs for pass-through frames (await recv(), writeFrame, flush): no encoder, no decoder.
 *
 * Usage: ../shared/scripts/netns.sh npm run bench -- forward (FORWARD_BENCH_PACKETS: input packets per round;
 * FORWARD_BENCH_SUBSCRIBERS, FORWARD_BENCH_SIZES: comma-separated lists).
 */
import { createSocket, type Socket } from 'node:dgram';
import { SeededRandom } from '../src/common/random.js';
import { SRTP_PROFILES, splitSrtpKeyingMaterial } from '../src/dtls/srtp-profiles.js';
import { EncodedFrame } from '../src/media/encoded-frame.js';
import { Fraction } from '../src/media/time-base.js';
import { type ForwardedTrack, MediaForwarder } from '../src/peerconnection/forwarding.js';
import { RTCRtpReceiver } from '../src/peerconnection/transceiver.js';
import { MediaSession } from '../src/rtp/media-session.js';
import { isRtcp } from '../src/rtp/packet.js';
import type { MediaSessionConfig } from '../src/rtp/session-config.js';
import { SrtpSession } from '../src/srtp/session.js';

const PACKETS = Number(process.env.FORWARD_BENCH_PACKETS ?? 4000);
const ROUNDS = Number(process.env.FORWARD_BENCH_ROUNDS ?? 3);
const SUBSCRIBERS = (process.env.FORWARD_BENCH_SUBSCRIBERS ?? '1,4,16').split(',').map(Number);
const SIZES = (process.env.FORWARD_BENCH_SIZES ?? '1000,12000').split(',').map(Number);
const PROFILE = 'SRTP_AES128_CM_HMAC_SHA1_80';
const FEEDBACK = { nack: true, pli: true, fir: false, remb: false, transportCc: true };
const EXTENSIONS = { mid: 4, absSendTime: 2, transportWideCc: 3 };

function config(send: boolean, ssrc: number): MediaSessionConfig {
  const codec = {
    payloadType: 96,
    codec: 'vp8' as const,
    name: 'VP8',
    clockRate: 90000,
    parameters: {},
    feedback: FEEDBACK,
    rtxPayloadType: 97,
  };
  return {
    media: [
      {
        mid: 'v',
        kind: 'video',
        direction: send ? 'sendonly' : 'recvonly',
        sendCodecs: [codec],
        receiveCodecs: [codec],
        extensions: EXTENSIONS,
        rtcpReducedSize: true,
        sendEncodings: send ? [{ ssrc, rtxSsrc: ssrc + 1 }] : [],
        receiveSsrcs: send ? [] : [{ ssrc: 1000, rtxSsrc: 1001 }],
        receiveRids: [],
      },
    ],
  };
}

function keys(seed: number) {
  const p = SRTP_PROFILES.find((x) => x.name === PROFILE)!;
  const material = new SeededRandom(seed).fill(new Uint8Array(2 * (p.keyLength + p.saltLength)));
  return {
    client: splitSrtpKeyingMaterial(p, material, true),
    server: splitSrtpKeyingMaterial(p, material, false),
  };
}

function frame(i: number, size: number): EncodedFrame {
  const data = new Uint8Array(size);
  for (let k = 0; k < size; k++) data[k] = (k + i) & 0xff;
  data[0] = i % 60 === 0 ? 0x10 : 0x11;
  return new EncodedFrame('vp8', data, i * 3000, new Fraction(1, 90000), i % 60 === 0);
}

/** The publisher's protected RTP datagrams (about PACKETS of them), with their times. */
function publisherTraffic(size: number): { at: number; data: Uint8Array }[] {
  const source = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(1),
    config: config(true, 1000),
    keys: keys(1).client,
    pacer: { rateBps: 1e12 },
  });
  const out: { at: number; data: Uint8Array }[] = [];
  for (let i = 0; out.length < PACKETS; i++) {
    const now = i * 33;
    source.writeFrame(now, 'v', undefined, frame(i, size));
    for (let d = source.pollTransmit(); d; d = source.pollTransmit())
      if (!isRtcp(d)) out.push({ at: now, data: d.slice() });
  }
  return out;
}

async function udpPair(): Promise<{ socket: Socket; sink: Socket }> {
  const sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => socket.connect(sink.address().port, '127.0.0.1', resolve));
  return { socket, sink };
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** The forwarding path; returns output packets per CPU second. */
async function forwardRound(
  traffic: { at: number; data: Uint8Array }[],
  subscribers: number,
  socket: Socket,
) {
  const relayIn = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(2),
    config: config(false, 0),
    keys: keys(1).server,
  });
  const receiver = new RTCRtpReceiver('video');
  const forwarder = new MediaForwarder(receiver);
  let sent = 0;
  let now = 0;
  const pumps: Promise<void>[] = [];
  const tracks: ForwardedTrack[] = [];
  for (let s = 0; s < subscribers; s++) {
    const out = new MediaSession({
      wallClockAtZero: 0,
      random: new SeededRandom(10 + s),
      config: config(true, 5000 + 2 * s),
      keys: keys(100 + s).client,
      pacer: { rateBps: 1e12 },
    });
    const track = forwarder.subscribe({ maxQueue: 100_000 });
    tracks.push(track);
    // As the sender pipeline pumps a pass-through track.
    pumps.push(
      (async () => {
        for (;;) {
          let f: EncodedFrame;
          try {
            f = await track.recv();
          } catch {
            return;
          }
          out.writeFrame(now, 'v', undefined, f);
          for (let d = out.pollTransmit(); d; d = out.pollTransmit()) {
            socket.send(d);
            sent++;
          }
        }
      })(),
    );
  }
  const copies = traffic.map((t) => t.data.slice());
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < copies.length; i++) {
    now = traffic[i]!.at;
    relayIn.handleDatagram(now, copies[i]!);
    for (let e = relayIn.pollEvent(); e; e = relayIn.pollEvent())
      if (e.type === 'frame')
        receiver.layers.deliver({ rid: e.rid, ssrc: e.ssrc, frame: e.frame, receivedAt: e.receivedAt });
    while (relayIn.pollTransmit()) {}
    await undefined; // the pumps run
  }
  await new Promise((r) => setImmediate(r));
  const seconds = cpuSeconds(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  for (const t of tracks) t.stop();
  await Promise.all(pumps);
  if (sent < copies.length * subscribers * 0.99)
    throw new Error(`forwarded ${sent} of ${copies.length * subscribers} packets`);
  return { pps: sent / seconds, wallPps: sent / wall };
}

/** SRTP unprotect once, then protect + send per subscriber: the floor any forwarder pays. */
async function bareRound(traffic: { at: number; data: Uint8Array }[], subscribers: number, socket: Socket) {
  const inbound = SrtpSession.fromDtls(keys(1).server);
  const outbound = Array.from({ length: subscribers }, (_, s) => SrtpSession.fromDtls(keys(100 + s).client));
  const copies = traffic.map((t) => t.data.slice());
  let sent = 0;
  const cpu = process.cpuUsage();
  for (const c of copies) {
    const plain = inbound.unprotectRtp(c);
    if (!plain) continue;
    for (const o of outbound) {
      socket.send(o.protectRtp(plain));
      sent++;
    }
  }
  await new Promise((r) => setImmediate(r));
  return { pps: sent / cpuSeconds(cpu) };
}

const { socket, sink } = await udpPair();
{
  // Warm the JIT on both paths before anything is measured (the first case would pay for it otherwise).
  const traffic = publisherTraffic(1000);
  for (let i = 0; i < 3; i++) {
    await forwardRound(traffic, 4, socket);
    await bareRound(traffic, 4, socket);
  }
}
for (const size of SIZES) {
  const traffic = publisherTraffic(size);
  for (const subscribers of SUBSCRIBERS) {
    await forwardRound(traffic, subscribers, socket); // warm-up: a whole round, so the JIT settles
    await bareRound(traffic, subscribers, socket);
    let ours = 0;
    let wall = 0;
    let bare = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const f = await forwardRound(traffic, subscribers, socket);
      ours = Math.max(ours, f.pps);
      wall = Math.max(wall, f.wallPps);
      bare = Math.max(bare, (await bareRound(traffic, subscribers, socket)).pps);
    }
    console.log(
      JSON.stringify({
        bench: 'forward',
        profile: PROFILE,
        frameBytes: size,
        subscribers,
        inputPackets: traffic.length,
        packetsPerCoreSecond: Math.round(ours),
        packetsPerWallSecond: Math.round(wall),
        referencePacketsPerCoreSecond: Math.round(bare),
        ratio: Number((ours / bare).toFixed(2)),
        reference: 'SRTP unprotect once + per subscriber SRTP protect and UDP send of the same packets',
      }),
    );
  }
}
socket.close();
sink.close();

/**
 * MediaSession costs, each against a same-run reference (one JSON line per result):
 *
 * - sfu-relay: packets per second one core forwards through two sessions the way an SFU relays a call:
 *   receive → SRTP unprotect → route → jitter buffer → frame → writeFrame → payload → pace → SRTP protect →
 *   transmit; against the bare SRTP unprotect + protect of the same packets (`ratio` = ours / bare).
 * - send: writeFrame cost per frame (payload, extensions, history, pacer, protect); against the bare
 *   payloader + serialize + protect of the same frame.
 *
 * Best of MEDIA_BENCH_ROUNDS (3) alternating rounds. Usage: npm run bench -- media-session
 * (MEDIA_BENCH_FRAMES scales the frames per round, MEDIA_BENCH_ROUNDS the rounds).
 */
import { SeededRandom } from '../src/common/random.js';
import { SRTP_PROFILES, type SrtpProfileName, splitSrtpKeyingMaterial } from '../src/dtls/srtp-profiles.js';
import { EncodedFrame } from '../src/media/encoded-frame.js';
import { Fraction } from '../src/media/time-base.js';
import { MediaSession } from '../src/rtp/media-session.js';
import { isRtcp, RtpPacket } from '../src/rtp/packet.js';
import { createPayloader } from '../src/rtp/payload/index.js';
import type { MediaSessionConfig } from '../src/rtp/session-config.js';
import { SrtpSession } from '../src/srtp/session.js';

/** Frames per round: enough that each round sends about 30,000 packets (or 3,000 large frames). */
const FRAMES_SCALE = Number(process.env.MEDIA_BENCH_FRAMES ?? 30_000);
const framesFor = (size: number): number => (size > 1200 ? Math.round(FRAMES_SCALE / 10) : FRAMES_SCALE);
const ROUNDS = Number(process.env.MEDIA_BENCH_ROUNDS ?? 3);
const FEEDBACK = { nack: true, pli: true, fir: false, remb: false, transportCc: true };
const EXTENSIONS = { mid: 4, absSendTime: 2, transportWideCc: 3 };

function config(send: boolean, recv: boolean, ssrc: number): MediaSessionConfig {
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
        direction: send && recv ? 'sendrecv' : send ? 'sendonly' : 'recvonly',
        sendCodecs: [codec],
        receiveCodecs: [codec],
        extensions: EXTENSIONS,
        rtcpReducedSize: true,
        sendEncodings: send ? [{ ssrc, rtxSsrc: ssrc + 1 }] : [],
        receiveSsrcs: recv ? [{ ssrc: 1000, rtxSsrc: 1001 }] : [],
        receiveRids: [],
      },
    ],
  };
}

function keys(profile: SrtpProfileName, seed: number) {
  const p = SRTP_PROFILES.find((x) => x.name === profile)!;
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

/** The protected datagrams a sender produces for FRAMES frames (RTP only), with their send times. */
function sourceTraffic(profile: SrtpProfileName, size: number): { at: number; data: Uint8Array }[] {
  const FRAMES = framesFor(size);
  const k = keys(profile, 1);
  const source = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(1),
    config: config(true, false, 1000),
    keys: k.client,
    pacer: { rateBps: 1e12 },
  });
  const out: { at: number; data: Uint8Array }[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const now = i * 33;
    source.writeFrame(now, 'v', undefined, frame(i, size));
    for (let d = source.pollTransmit(); d; d = source.pollTransmit())
      if (!isRtcp(d)) out.push({ at: now, data: d.slice() });
  }
  return out;
}

function relayRound(profile: SrtpProfileName, traffic: { at: number; data: Uint8Array }[]): number {
  const k = keys(profile, 1);
  const k2 = keys(profile, 2);
  const relayIn = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(2),
    config: config(false, true, 0),
    keys: k.server,
  });
  const relayOut = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(3),
    config: config(true, false, 2000),
    keys: k2.client,
    pacer: { rateBps: 1e12 },
  });
  const copies = traffic.map((t) => t.data.slice());
  let sent = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < copies.length; i++) {
    const now = traffic[i]!.at;
    relayIn.handleDatagram(now, copies[i]!);
    for (let e = relayIn.pollEvent(); e; e = relayIn.pollEvent())
      if (e.type === 'frame') relayOut.writeFrame(now, 'v', undefined, e.frame);
    for (let d = relayOut.pollTransmit(); d; d = relayOut.pollTransmit()) sent++;
    while (relayIn.pollTransmit()) {}
  }
  const ns = Number(process.hrtime.bigint() - start);
  if (sent < copies.length * 0.99) throw new Error(`relay forwarded ${sent} of ${copies.length} packets`);
  return copies.length / (ns / 1e9);
}

function bareRound(profile: SrtpProfileName, traffic: { at: number; data: Uint8Array }[]): number {
  const k = keys(profile, 1);
  const k2 = keys(profile, 2);
  const inbound = SrtpSession.fromDtls(k.server);
  const outbound = SrtpSession.fromDtls(k2.client);
  const copies = traffic.map((t) => t.data.slice());
  const start = process.hrtime.bigint();
  for (const c of copies) {
    const plain = inbound.unprotectRtp(c);
    if (plain) outbound.protectRtp(plain);
  }
  const ns = Number(process.hrtime.bigint() - start);
  return copies.length / (ns / 1e9);
}

function sendRound(profile: SrtpProfileName, size: number): number {
  const FRAMES = framesFor(size);
  const session = new MediaSession({
    wallClockAtZero: 0,
    random: new SeededRandom(4),
    config: config(true, false, 3000),
    keys: keys(profile, 1).client,
    pacer: { rateBps: 1e12 },
  });
  const frames = Array.from({ length: 256 }, (_, i) => frame(i, size));
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) {
    session.writeFrame(i * 33, 'v', undefined, frames[i & 255]!);
    while (session.pollTransmit()) {}
  }
  const ns = Number(process.hrtime.bigint() - start);
  return FRAMES / (ns / 1e9);
}

function bareSendRound(profile: SrtpProfileName, size: number): number {
  const FRAMES = framesFor(size);
  const srtp = SrtpSession.fromDtls(keys(profile, 1).client);
  const payloader = createPayloader('vp8');
  const frames = Array.from({ length: 256 }, (_, i) => frame(i, size));
  let seq = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) {
    for (const chunk of payloader.packetize(frames[i & 255]!.data)) {
      const packet = new RtpPacket({
        payloadType: 96,
        sequenceNumber: seq++ & 0xffff,
        timestamp: i * 3000,
        ssrc: 3000,
        marker: chunk.marker,
        payload: chunk.payload,
      });
      srtp.protectRtp(packet.serialize());
    }
  }
  const ns = Number(process.hrtime.bigint() - start);
  return FRAMES / (ns / 1e9);
}

for (const profile of ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM'] as const) {
  for (const size of [1000, 12_000]) {
    const traffic = sourceTraffic(profile, size);
    relayRound(profile, traffic.slice(0, 200)); // warm-up
    bareRound(profile, traffic.slice(0, 200));
    let ours = 0;
    let bare = 0;
    for (let r = 0; r < ROUNDS; r++) {
      ours = Math.max(ours, relayRound(profile, traffic));
      bare = Math.max(bare, bareRound(profile, traffic));
    }
    console.log(
      JSON.stringify({
        bench: 'media-session',
        case: 'sfu-relay',
        profile,
        frameBytes: size,
        packets: traffic.length,
        pps: Math.round(ours),
        bareSrtpPps: Math.round(bare),
        ratio: Number((ours / bare).toFixed(2)),
      }),
    );
  }
  for (const size of [160, 1000, 12_000]) {
    sendRound(profile, size);
    bareSendRound(profile, size);
    let ours = 0;
    let bare = 0;
    for (let r = 0; r < ROUNDS; r++) {
      ours = Math.max(ours, sendRound(profile, size));
      bare = Math.max(bare, bareSendRound(profile, size));
    }
    console.log(
      JSON.stringify({
        bench: 'media-session',
        case: 'send',
        profile,
        frameBytes: size,
        frames: framesFor(size),
        usPerFrame: Number((1e6 / ours).toFixed(2)),
        bareUsPerFrame: Number((1e6 / bare).toFixed(2)),
        ratio: Number((ours / bare).toFixed(2)),
      }),
    );
  }
}

/**
 * CPU per media stream through tsrtc's whole path, as a ratio to the FFmpeg CLI encoding or decoding the same
 * frames with the same codec settings in the same run (so the ratio is the cost of everything around the
 * codec: node-av, pipelines, payloading, the media session, SRTP, jitter buffer):
 *   send    raw frames → encoder → MediaSession.writeFrame (payload, pace, SRTP protect) → datagrams
 *   receive datagrams → MediaSession (SRTP unprotect, route, jitter buffer, depayload) → decoder → frames
 * for VP8 and H.264 at 640×480 and 1280×720 (30 fps) and Opus. CPU is user + system time; "core" is the share
 * of one core that a real-time stream of that kind costs. aiortc's figure for reference (docs/media.md): 13 %
 * of a core to send VP8 640×480@30 on these machines.
 *
 *   npm run bench -- media-path      (MEDIA_PATH_SECONDS=5 the media length)
 */
import { spawnSync } from 'node:child_process';
import {
  createAudioDecoder,
  createAudioEncoder,
  createVideoDecoder,
  createVideoEncoder,
} from '../src/media/codecs/index.js';
import { isNodeAvAvailable } from '../src/media/codecs/node-av.js';
import type { EncodedFrame } from '../src/media/encoded-frame.js';
import { AudioFrame, VideoFrame } from '../src/media/index.js';
import { Fraction } from '../src/media/time-base.js';
import { MediaSession } from '../src/rtp/media-session.js';
import { codec, configs, keyPair, WALL_A, WALL_B } from '../test/rtp/session/harness.js';

const SECONDS = Number(process.env.MEDIA_PATH_SECONDS ?? 5);
const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;
const print = (o: Record<string, unknown>): void =>
  console.log(JSON.stringify({ bench: 'media-path', ...o }));

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** FFmpeg's own CPU seconds (utime + stime from -benchmark) for a job. */
function ffmpegCpu(args: string[], input?: Buffer): number {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-benchmark', ...args], {
    input,
    maxBuffer: 1 << 30,
  });
  const u = /utime=([\d.]+)s/.exec(r.stderr.toString());
  const s = /stime=([\d.]+)s/.exec(r.stderr.toString());
  if (r.status !== 0 || !u || !s) throw new Error(`ffmpeg failed: ${r.stderr.toString().slice(-400)}`);
  return Number(u[1]) + Number(s[1]);
}

function rawVideo(w: number, h: number, frames: number): Buffer {
  return spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${w}x${h}:rate=30`,
      '-frames:v',
      String(frames),
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      'pipe:1',
    ],
    { maxBuffer: 1 << 30 },
  ).stdout;
}

/** A sender and a receiver session with keys and a single section, datagrams handed over directly. */
function sessions(name: 'vp8' | 'h264' | 'opus'): { send: MediaSession; receive: MediaSession } {
  const kind = name === 'opus' ? 'audio' : 'video';
  const c = codec(
    name,
    name === 'opus' ? 111 : 96,
    { nack: true, pli: true },
    name === 'opus' ? undefined : 97,
  );
  if (name === 'h264') c.parameters = { 'packetization-mode': '1', 'profile-level-id': '42e01f' };
  const cfg = configs([
    {
      mid: '0',
      kind,
      codecs: [c],
      a: [{ ssrc: 1111, rtxSsrc: kind === 'video' ? 2222 : undefined }],
      signalled: true,
    },
  ]);
  const keys = keyPair(1);
  // The pacer would spread a 720p keyframe over time: the bench measures CPU, not pacing.
  const pacer = { rateBps: 1e12, maxBurstMs: 1000, maxQueuePackets: 1 << 20 };
  const send = new MediaSession({ wallClockAtZero: WALL_A, config: cfg.a, keys: keys.a, pacer });
  const receive = new MediaSession({ wallClockAtZero: WALL_B, config: cfg.b, keys: keys.b, pacer });
  return { send, receive };
}

async function video(name: 'vp8' | 'h264', w: number, h: number): Promise<void> {
  const frames = SECONDS * 30;
  const raw = rawVideo(w, h, frames);
  const size = (w * h * 3) / 2;
  const { send, receive } = sessions(name);
  const encoder = createVideoEncoder(name, { bitrate: w >= 1280 ? 2_500_000 : 1_000_000, threads: 1 });
  const decoder = createVideoDecoder(name);
  const wire: Uint8Array[] = [];
  // Warm up (open the encoder, JIT) on a few frames.
  const warm = VideoFrame.fromBytes(new Uint8Array(raw.subarray(0, size)), w, h);
  await encoder.encode(warm);
  encoder.requestKeyframe();
  let t = 1;
  const sendStart = cpu();
  for (let i = 0; i < frames; i++) {
    const f = VideoFrame.fromBytes(new Uint8Array(raw.subarray(i * size, (i + 1) * size)), w, h);
    f.pts = i * 3000;
    f.timeBase = new Fraction(1, 90000);
    for (const e of await encoder.encode(f)) {
      t += 33;
      send.writeFrame(t, '0', undefined, e);
    }
    for (let d = send.pollTransmit(); d; d = send.pollTransmit()) wire.push(d.slice());
  }
  t += 1000;
  send.handleTimeout(t);
  for (let d = send.pollTransmit(); d; d = send.pollTransmit()) wire.push(d.slice());
  const sendCpu = cpu() - sendStart;
  const recvStart = cpu();
  let decoded = 0;
  const decode = async (): Promise<void> => {
    for (let e = receive.pollEvent(); e; e = receive.pollEvent()) {
      if (e.type === 'frame') decoded += (await decoder.decode(e.frame)).length;
    }
  };
  let now = t;
  for (const d of wire) {
    now += 0.2;
    receive.handleDatagram(now, d);
    await decode();
  }
  receive.handleTimeout(now + 1000);
  await decode();
  const recvCpu = cpu() - recvStart;
  encoder.close();
  decoder.close();
  const encodeArgs =
    name === 'vp8'
      ? [
          '-c:v',
          'libvpx',
          '-deadline',
          'realtime',
          '-cpu-used',
          '8',
          '-lag-in-frames',
          '0',
          '-error-resilient',
          '1',
          '-b:v',
          w >= 1280 ? '2500k' : '1000k',
        ]
      : [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-profile:v',
          'baseline',
          '-b:v',
          w >= 1280 ? '2500k' : '1000k',
        ];
  const ffEncode = ffmpegCpu(
    [
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-s',
      `${w}x${h}`,
      '-r',
      '30',
      '-i',
      'pipe:0',
      '-threads',
      '1',
      ...encodeArgs,
      '-f',
      name === 'vp8' ? 'ivf' : 'h264',
      '-y',
      '/dev/null',
    ],
    raw,
  );
  const encoded = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-s',
      `${w}x${h}`,
      '-r',
      '30',
      '-i',
      'pipe:0',
      '-threads',
      '1',
      ...encodeArgs,
      '-f',
      name === 'vp8' ? 'ivf' : 'h264',
      'pipe:1',
    ],
    { input: raw, maxBuffer: 1 << 30 },
  ).stdout;
  const ffDecode = ffmpegCpu(
    [
      '-threads',
      '1',
      '-f',
      name === 'vp8' ? 'ivf' : 'h264',
      '-i',
      'pipe:0',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-y',
      '/dev/null',
    ],
    encoded,
  );
  print({
    case: `send ${name} ${w}x${h}@30`,
    cpuSeconds: round(sendCpu, 3),
    core: round(sendCpu / SECONDS),
    ffmpegCore: round(ffEncode / SECONDS),
    ratio: round(sendCpu / ffEncode),
    packets: wire.length,
  });
  print({
    case: `receive ${name} ${w}x${h}@30`,
    cpuSeconds: round(recvCpu, 3),
    core: round(recvCpu / SECONDS),
    ffmpegCore: round(ffDecode / SECONDS),
    ratio: round(recvCpu / ffDecode),
    framesDecoded: decoded,
  });
}

async function opus(): Promise<void> {
  const frames = SECONDS * 50;
  const { send, receive } = sessions('opus');
  const encoder = createAudioEncoder('opus');
  const decoder = createAudioDecoder('opus');
  const pcm = new Int16Array(960 * 2 * frames);
  for (let i = 0; i < pcm.length; i += 2)
    pcm[i] = pcm[i + 1] = Math.round(Math.sin((2 * Math.PI * 440 * (i / 2)) / 48000) * 8000);
  const wire: Uint8Array[] = [];
  let t = 1;
  const sendStart = cpu();
  for (let i = 0; i < frames; i++) {
    const bytes = new Uint8Array(pcm.buffer, i * 960 * 4, 960 * 4);
    const f = AudioFrame.fromBytes(bytes, { format: 's16', layout: 'stereo', sampleRate: 48000 });
    f.pts = i * 960;
    f.timeBase = new Fraction(1, 48000);
    for (const e of (await encoder.encode(f)) as EncodedFrame[]) {
      t += 20;
      send.writeFrame(t, '0', undefined, e);
    }
    for (let d = send.pollTransmit(); d; d = send.pollTransmit()) wire.push(d.slice());
  }
  const sendCpu = cpu() - sendStart;
  const recvStart = cpu();
  let now = t;
  for (const d of wire) {
    now += 20;
    receive.handleDatagram(now, d);
    for (let e = receive.pollEvent(); e; e = receive.pollEvent())
      if (e.type === 'frame') await decoder.decode(e.frame);
  }
  const recvCpu = cpu() - recvStart;
  encoder.close();
  decoder.close();
  const raw = Buffer.from(pcm.buffer);
  const ffEncode = ffmpegCpu(
    [
      '-f',
      's16le',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-i',
      'pipe:0',
      '-c:a',
      'libopus',
      '-b:a',
      '96k',
      '-f',
      'ogg',
      '-y',
      '/dev/null',
    ],
    raw,
  );
  const ogg = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      's16le',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-i',
      'pipe:0',
      '-c:a',
      'libopus',
      '-b:a',
      '96k',
      '-f',
      'ogg',
      'pipe:1',
    ],
    { input: raw, maxBuffer: 1 << 30 },
  ).stdout;
  const ffDecode = ffmpegCpu(['-c:a', 'libopus', '-i', 'pipe:0', '-f', 's16le', '-y', '/dev/null'], ogg);
  print({
    case: 'send opus 48k stereo',
    cpuSeconds: round(sendCpu, 3),
    core: round(sendCpu / SECONDS, 3),
    ffmpegCore: round(ffEncode / SECONDS, 3),
    ratio: round(sendCpu / ffEncode),
    packets: wire.length,
  });
  print({
    case: 'receive opus 48k stereo',
    cpuSeconds: round(recvCpu, 3),
    core: round(recvCpu / SECONDS, 3),
    ffmpegCore: round(ffDecode / SECONDS, 3),
    ratio: round(recvCpu / ffDecode),
  });
}

if (!(await isNodeAvAvailable())) {
  print({ skipped: 'node-av is not installed' });
} else {
  await video('vp8', 640, 480);
  await video('h264', 640, 480);
  await video('vp8', 1280, 720);
  await video('h264', 1280, 720);
  await opus();
}

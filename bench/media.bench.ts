/**
 * Media codec speed against the FFmpeg CLI with the same settings, in the same run (the ratio is the cost of the
 * node-av binding layer plus tsrtc's frame handling). One JSON line per result.
 *
 *   npm run bench -- media
 *
 * FFmpeg's time is its own `-benchmark` rtime (process start-up excluded); both sides use one thread.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAudioEncoder, createVideoDecoder, createVideoEncoder } from '../src/media/codecs/index.js';
import { isNodeAvAvailable } from '../src/media/codecs/node-av.js';
import { AudioFrame, AudioResampler, type EncodedFrame, VideoFrame } from '../src/media/index.js';
import { JitterBuffer } from '../src/rtp/jitter-buffer.js';
import { createDepayloader, createPayloader, type RtpPacketLike } from '../src/rtp/payload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrtc-media-bench-'));
const print = (o: Record<string, unknown>): void => console.log(JSON.stringify({ bench: 'media', ...o }));
/** Best of three, alternating with FFmpeg: the machine is shared, so single runs vary by 2×. */
const REPEATS = 3;
const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d;

function ffmpeg(args: string[], input?: Buffer): { rtime: number; stdout: Buffer } {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-benchmark', ...args], {
    input,
    maxBuffer: 512 * 1024 * 1024,
  });
  const m = /rtime=([\d.]+)s/.exec(r.stderr.toString());
  if (r.status !== 0 || !m) throw new Error(`ffmpeg failed: ${r.stderr.toString().slice(-500)}`);
  return { rtime: Number(m[1]), stdout: r.stdout };
}

function rawSource(w: number, h: number, frames: number): Buffer {
  const r = spawnSync(
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
    { maxBuffer: 512 * 1024 * 1024 },
  );
  return r.stdout;
}

/** IVF container for VP8 frames (so FFmpeg can read exactly what we encoded). */
function ivf(frames: EncodedFrame[], w: number, h: number): Buffer {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0);
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(32, 6);
  header.write('VP80', 8);
  header.writeUInt16LE(w, 12);
  header.writeUInt16LE(h, 14);
  header.writeUInt32LE(30, 16);
  header.writeUInt32LE(1, 20);
  header.writeUInt32LE(frames.length, 24);
  const parts = [header];
  frames.forEach((f, i) => {
    const fh = Buffer.alloc(12);
    fh.writeUInt32LE(f.data.byteLength, 0);
    fh.writeBigUInt64LE(BigInt(i), 4);
    parts.push(fh, Buffer.from(f.data));
  });
  return Buffer.concat(parts);
}

const VIDEO_SETTINGS = {
  vp8: [
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
    '-qmin',
    '2',
    '-qmax',
    '56',
    '-b:v',
    '500k',
    '-maxrate',
    '500k',
    '-bufsize',
    '250k',
    '-g',
    '3000',
  ],
  h264: [
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-level',
    '3.1',
    '-b:v',
    '1M',
    '-maxrate',
    '1M',
    '-bufsize',
    '500k',
    '-g',
    '3000',
    '-bf',
    '0',
  ],
};

async function benchVideo(codec: 'vp8' | 'h264', w: number, h: number, count: number): Promise<void> {
  const raw = rawSource(w, h, count);
  const size = w * h * 1.5;
  const frames = Array.from({ length: count }, (_, i) => {
    const f = VideoFrame.fromBytes(new Uint8Array(raw.buffer, raw.byteOffset + i * size, size), w, h);
    f.pts = i * 3000;
    return f;
  });
  const rawPath = join(dir, `in-${w}.yuv`);
  writeFileSync(rawPath, raw);

  // Encode.
  const encoder = createVideoEncoder(codec, { threads: 1 });
  await encoder.encode(frames[0]!); // open the encoder outside the timing
  const encoded: EncodedFrame[] = [];
  const t0 = performance.now();
  for (const f of frames.slice(1)) encoded.push(...(await encoder.encode(f)));
  const ourEncodeS = (performance.now() - t0) / 1000;
  encoder.close();
  const ff = ffmpeg([
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${w}x${h}`,
    '-r',
    '30',
    '-i',
    rawPath,
    '-threads',
    '1',
    ...VIDEO_SETTINGS[codec],
    '-f',
    'null',
    '-',
  ]);
  const ourFps = (count - 1) / ourEncodeS;
  const ffFps = count / ff.rtime;
  print({
    name: `${codec}-encode-${w}x${h}`,
    frames: count,
    fps: round(ourFps),
    ffmpegCliFps: round(ffFps),
    ratio: round(ourFps / ffFps, 2),
  });

  // Decode what we encoded, both sides.
  const all: EncodedFrame[] = [];
  const enc2 = createVideoEncoder(codec, { threads: 1 });
  for (const f of frames) all.push(...(await enc2.encode(f)));
  enc2.close();
  const file = join(dir, codec === 'vp8' ? `in-${w}.ivf` : `in-${w}.h264`);
  writeFileSync(file, codec === 'vp8' ? ivf(all, w, h) : Buffer.concat(all.map((e) => Buffer.from(e.data))));
  let ourDecodeS = Number.POSITIVE_INFINITY;
  let ffDecodeS = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    const decoder = createVideoDecoder(codec);
    await decoder.decode(all[0]!);
    const t0 = performance.now();
    for (const e of all.slice(1)) await decoder.decode(e);
    ourDecodeS = Math.min(ourDecodeS, (performance.now() - t0) / 1000);
    decoder.close();
    ffDecodeS = Math.min(ffDecodeS, ffmpeg(['-threads', '1', '-i', file, '-f', 'null', '-']).rtime);
  }
  const ourDecFps = (all.length - 1) / ourDecodeS;
  const ffDecFps = all.length / ffDecodeS;
  print({
    name: `${codec}-decode-${w}x${h}`,
    frames: all.length,
    fps: round(ourDecFps),
    ffmpegCliFps: round(ffDecFps),
    ratio: round(ourDecFps / ffDecFps, 2),
  });
}

async function benchOpus(seconds: number): Promise<void> {
  const samples = 48000 * seconds;
  const pcm = new Int16Array(samples * 2);
  for (let i = 0; i < samples; i++) {
    const v = Math.round(
      8000 * Math.sin((2 * Math.PI * 440 * i) / 48000) + 3000 * Math.sin((2 * Math.PI * 1250 * i) / 48000),
    );
    pcm[2 * i] = v;
    pcm[2 * i + 1] = v;
  }
  const bytes = new Uint8Array(pcm.buffer);
  const frames = Array.from({ length: samples / 960 }, (_, i) => {
    const f = AudioFrame.fromBytes(bytes.subarray(i * 3840, (i + 1) * 3840), {
      format: 's16',
      layout: 'stereo',
      sampleRate: 48000,
    });
    f.pts = i * 960;
    return f;
  });
  const encoder = createAudioEncoder('opus');
  await encoder.encode(frames[0]!);
  const t0 = performance.now();
  for (const f of frames.slice(1)) await encoder.encode(f);
  const ours = (performance.now() - t0) / 1000;
  encoder.close();
  const path = join(dir, 'in.pcm');
  writeFileSync(path, bytes);
  const ff = ffmpeg([
    '-f',
    's16le',
    '-ar',
    '48000',
    '-ac',
    '2',
    '-i',
    path,
    '-c:a',
    'libopus',
    '-b:a',
    '96k',
    '-application',
    'voip',
    '-frame_duration',
    '20',
    '-f',
    'null',
    '-',
  ]);
  const ourRtf = (seconds - 0.02) / ours;
  const ffRtf = seconds / ff.rtime;
  print({
    name: 'opus-encode-48k-stereo',
    seconds,
    realtimeFactor: round(ourRtf),
    ffmpegCliRealtimeFactor: round(ffRtf),
    ratio: round(ourRtf / ffRtf, 2),
  });
}

/** Pure TypeScript paths: G.711 encode, and VP8 packetize → jitter buffer → depacketize, vs a plain copy. */
async function benchTypeScriptPaths(): Promise<void> {
  const seconds = 60;
  const frames = Array.from({ length: (seconds * 1000) / 20 }, (_, i) => {
    const f = new AudioFrame({ format: 's16', layout: 'mono', samples: 160, sampleRate: 8000 });
    new Int16Array(f.planes[0]!.data.buffer).forEach((_, j, a) => {
      a[j] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i * 160 + j)) / 8000));
    });
    f.pts = i * 160;
    return f;
  });
  const g711 = createAudioEncoder('pcmu');
  let t0 = performance.now();
  for (const f of frames) await g711.encode(f);

  const ours = (performance.now() - t0) / 1000;
  const path = join(dir, 'in8k.pcm');
  writeFileSync(path, Buffer.concat(frames.map((f) => Buffer.from(f.planes[0]!.data))));
  const ff = ffmpeg([
    '-f',
    's16le',
    '-ar',
    '8000',
    '-ac',
    '1',
    '-i',
    path,
    '-c:a',
    'pcm_mulaw',
    '-f',
    'null',
    '-',
  ]);
  print({
    name: 'pcmu-encode',
    seconds,
    realtimeFactor: round(seconds / ours),
    ffmpegCliRealtimeFactor: round(seconds / ff.rtime),
    ratio: round(ff.rtime / ours, 2),
  });

  const resampler = new AudioResampler({ format: 's16', layout: 'stereo', rate: 48000, frameSize: 960 });
  t0 = performance.now();
  for (const f of frames) resampler.resample(f);
  const resampleS = (performance.now() - t0) / 1000;
  const ffr = ffmpeg([
    '-f',
    's16le',
    '-ar',
    '8000',
    '-ac',
    '1',
    '-i',
    path,
    '-ar',
    '48000',
    '-ac',
    '2',
    '-f',
    'null',
    '-',
  ]);
  print({
    name: 'resample-8k-mono-to-48k-stereo',
    seconds,
    realtimeFactor: round(seconds / resampleS),
    ffmpegCliRealtimeFactor: round(seconds / ffr.rtime),
    ratio: round(ffr.rtime / resampleS, 2),
  });

  const payloader = createPayloader('vp8', 1200);
  const jb = new JitterBuffer({
    kind: 'video',
    codec: 'vp8',
    depayloader: createDepayloader('vp8'),
    clockRate: 90000,
  });
  const frame = new Uint8Array(12_000).fill(7);
  frame[0] = 0;
  const n = 5000;
  let seq = 0;
  let bytes = 0;
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    for (const c of payloader.packetize(frame)) {
      const p: RtpPacketLike = {
        payloadType: 96,
        sequenceNumber: seq++ & 0xffff,
        timestamp: i * 3000,
        ssrc: 1,
        marker: c.marker,
        payload: c.payload,
      };
      jb.push(i, p);
    }
    for (let e = jb.pollEvent(); e; e = jb.pollEvent())
      if (e.type === 'frame') bytes += e.frame.data.byteLength;
  }
  const pathS = (performance.now() - t0) / 1000;
  // Reference: the same bytes copied once into packet-sized buffers and back (the floor for any payloader).
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const parts: Uint8Array[] = [];
    for (let o = 0; o < frame.length; o += 1196) parts.push(frame.slice(o, o + 1196));
    const out = new Uint8Array(frame.length);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
  }
  const copyS = (performance.now() - t0) / 1000;
  print({
    name: 'vp8-rtp-packetize-jitterbuffer-depacketize',
    frames: n,
    mbPerS: round(bytes / pathS / 1e6),
    copyMbPerS: round((n * frame.length) / copyS / 1e6),
    ratio: round(copyS / pathS, 2),
  });
}

try {
  await benchTypeScriptPaths();
  if (!(await isNodeAvAvailable())) {
    print({ name: 'codecs', skipped: 'node-av not installed' });
  } else {
    await benchOpus(10);
    for (const codec of ['vp8', 'h264'] as const) {
      await benchVideo(codec, 640, 480, 240);
      await benchVideo(codec, 1280, 720, 120);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

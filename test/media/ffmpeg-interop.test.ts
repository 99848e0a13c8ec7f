/**
 * RTP interop with the FFmpeg CLI, both ways, over loopback (run inside scripts/netns.sh in CI):
 * FFmpeg's VP8, H.264 and Opus RTP streams are depayloaded and decoded by tsrtc, and tsrtc's are decoded by FFmpeg.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import {
  createAudioDecoder,
  createAudioEncoder,
  createVideoDecoder,
  createVideoEncoder,
} from '../../src/media/codecs/index.js';
import { AudioFrame, type CodecName, Fraction, VideoFrame } from '../../src/media/index.js';
import { JitterBuffer } from '../../src/rtp/jitter-buffer.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { createDepayloader, createPayloader, rtpClockRate } from '../../src/rtp/payload/index.js';
import {
  finish,
  freePortPair,
  receiveFromFfmpeg,
  requireFfmpeg,
  sendPackets,
  startFfmpegReceiver,
} from './ffmpeg-rtp.js';
import { requireNodeAv } from './node-av-available.js';
import { psnr, snr } from './pipeline.js';

const W = 160;
const H = 120;
const FRAMES = 20;
const LAVFI_VIDEO = ['-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=30`, '-frames:v', String(FRAMES)];

async function ready(t: TestContext): Promise<boolean> {
  return requireFfmpeg(t) && (await requireNodeAv(t));
}

/** The lavfi source as raw yuv420p frames, the reference for what FFmpeg encoded. */
function lavfiReference(): VideoFrame[] {
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', ...LAVFI_VIDEO, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const size = W * H * 1.5;
  return Array.from({ length: r.stdout.length / size }, (_, i) =>
    VideoFrame.fromBytes(new Uint8Array(r.stdout.subarray(i * size, (i + 1) * size)), W, H),
  );
}

/** Depayload and decode packets with tsrtc (jitter buffer included: FFmpeg's order is already right). */
async function decodeRtp<F extends AudioFrame | VideoFrame>(
  codec: CodecName,
  packets: RtpPacket[],
  decode: (frame: import('../../src/media/index.js').EncodedFrame) => Promise<F[]>,
): Promise<F[]> {
  const kind = codec === 'opus' ? 'audio' : 'video';
  const jb = new JitterBuffer({
    kind,
    codec,
    depayloader: createDepayloader(codec),
    clockRate: rtpClockRate(codec),
  });
  const out: F[] = [];
  let now = 0;
  for (const p of packets) {
    jb.push(now++, p);
    for (let e = jb.pollEvent(); e; e = jb.pollEvent())
      if (e.type === 'frame') out.push(...(await decode(e.frame)));
  }
  jb.handleTimeout(now + 1000);
  for (let e = jb.pollEvent(); e; e = jb.pollEvent())
    if (e.type === 'frame') out.push(...(await decode(e.frame)));
  assert.equal(jb.stats.packetsMalformed, 0, 'no payload refused');
  return out;
}

function ourFrames(): VideoFrame[] {
  return lavfiReference().map((f, i) => {
    f.pts = i * 3000;
    return f;
  });
}

/** Encode and packetize with tsrtc into RtpPackets. */
async function ourRtp(codec: 'vp8' | 'vp9' | 'h264', frames: VideoFrame[]): Promise<RtpPacket[]> {
  const encoder = createVideoEncoder(codec, { bitrate: 1_000_000 });
  const payloader = createPayloader(codec, 1100);
  const packets: RtpPacket[] = [];
  let seq = 65500; // wraps during the stream
  try {
    for (const f of frames) {
      for (const e of await encoder.encode(f)) {
        for (const c of payloader.packetize(e.data)) {
          packets.push(
            new RtpPacket({
              payloadType: 96,
              sequenceNumber: seq++ & 0xffff,
              timestamp: (e.pts + 1000) >>> 0,
              ssrc: 0x1234,
              marker: c.marker,
              payload: c.payload,
            }),
          );
        }
      }
    }
  } finally {
    encoder.close();
  }
  return packets;
}

const FFMPEG_ENCODERS = {
  vp8: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '1M', '-auto-alt-ref', '0'],
  // FFmpeg's VP9 RTP packetizer is marked experimental.
  vp9: [
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    '-b:v',
    '1M',
    '-lag-in-frames',
    '0',
    '-strict',
    'experimental',
  ],
  h264: [
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-tune',
    'zerolatency',
    '-preset',
    'ultrafast',
    '-b:v',
    '1M',
  ],
};
const SDP_MEDIA = {
  vp8: 'm=video PORT RTP/AVP 96\r\na=rtpmap:96 VP8/90000',
  vp9: 'm=video PORT RTP/AVP 96\r\na=rtpmap:96 VP9/90000',
  h264: 'm=video PORT RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
};

for (const codec of ['vp8', 'vp9', 'h264'] as const) {
  const ffEncoder = FFMPEG_ENCODERS[codec];

  describe(`${codec} RTP interop with FFmpeg`, () => {
    it('FFmpeg → tsrtc: depayloads and decodes every frame', async (t) => {
      if (!(await ready(t))) return;
      const packets = await receiveFromFfmpeg([...LAVFI_VIDEO, '-pix_fmt', 'yuv420p', ...ffEncoder]);
      assert.ok(packets.length >= FRAMES, `${packets.length} packets received`);
      const decoder = createVideoDecoder(codec);
      try {
        const frames = await decodeRtp(codec, packets, (f) => decoder.decode(f));
        assert.equal(frames.length, FRAMES);
        const reference = lavfiReference();
        let worst = Number.POSITIVE_INFINITY;
        frames.forEach((f, i) => {
          assert.equal(f.width, W);
          worst = Math.min(worst, psnr(reference[i]!, f));
        });
        t.diagnostic(`${codec} from FFmpeg: worst PSNR ${worst.toFixed(1)} dB`);
        assert.ok(worst > 25, `PSNR ${worst.toFixed(1)} dB`);
      } finally {
        decoder.close();
      }
    });

    it('tsrtc → FFmpeg: FFmpeg decodes our payloads', async (t) => {
      if (!(await ready(t))) return;
      const source = ourFrames();
      const packets = await ourRtp(codec, source);
      const port = await freePortPair();
      const receiver = await startFfmpegReceiver(SDP_MEDIA[codec], port, [
        '-fps_mode',
        'passthrough',
        '-frames:v',
        String(FRAMES - 4),
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
      ]);
      await sendPackets(packets, port);
      const size = W * H * 1.5;
      // ffmpeg's RTP reorder queue holds the last packets back: stop it once the frames it can give are out.
      const raw = await finish(receiver, (FRAMES - 4) * size);
      const count = raw.length / size;
      assert.ok(count >= FRAMES - 4, `FFmpeg decoded ${count} frames`);
      let worst = Number.POSITIVE_INFINITY;
      for (let i = 0; i < count; i++) {
        const f = VideoFrame.fromBytes(new Uint8Array(raw.subarray(i * size, (i + 1) * size)), W, H);
        worst = Math.min(worst, psnr(source[i]!, f));
      }
      t.diagnostic(`${codec} to FFmpeg: worst PSNR ${worst.toFixed(1)} dB over ${count} frames`);
      assert.ok(worst > 25, `PSNR ${worst.toFixed(1)} dB`);
    });
  });
}

const SINE_AMPLITUDE = 0.125; // lavfi sine's default
const sine = (n: number, amplitude = SINE_AMPLITUDE) =>
  Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * 440 * i) / 48000));

describe('Opus RTP interop with FFmpeg', () => {
  it('FFmpeg → tsrtc: decodes a 440 Hz tone', async (t) => {
    if (!(await ready(t))) return;
    const packets = await receiveFromFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=1',
      '-c:a',
      'libopus',
      '-b:a',
      '96k',
    ]);
    assert.ok(packets.length >= 45, `${packets.length} packets`);
    const decoder = createAudioDecoder('opus');
    try {
      const frames = await decodeRtp('opus', packets, (f) => decoder.decode(f));
      assert.ok(frames.length >= 45);
      const decoded = Float32Array.from(frames.flatMap((f) => [...f.toFloat32()[0]!]));
      const quality = snr(sine(decoded.length), decoded, 220);
      t.diagnostic(`opus from FFmpeg: SNR ${quality.toFixed(1)} dB`);
      assert.ok(quality > 15, `SNR ${quality.toFixed(1)} dB`);
    } finally {
      decoder.close();
    }
  });

  it('tsrtc → FFmpeg: FFmpeg decodes our Opus payloads', async (t) => {
    if (!(await ready(t))) return;
    const encoder = createAudioEncoder('opus');
    const payloader = createPayloader('opus');
    const packets: RtpPacket[] = [];
    const tone = sine(48000, 0.4);
    try {
      for (let i = 0; i < 50; i++) {
        const f = AudioFrame.fromFloat32([tone.subarray(i * 960, (i + 1) * 960)], {
          format: 's16',
          sampleRate: 48000,
        });
        f.pts = i * 960;
        f.timeBase = new Fraction(1, 48000);
        for (const e of await encoder.encode(f)) {
          for (const c of payloader.packetize(e.data)) {
            packets.push(
              new RtpPacket({
                payloadType: 111,
                sequenceNumber: (100 + packets.length) & 0xffff,
                timestamp: e.pts,
                ssrc: 77,
                marker: c.marker,
                payload: c.payload,
              }),
            );
          }
        }
      }
    } finally {
      encoder.close();
    }
    const port = await freePortPair();
    const receiver = await startFfmpegReceiver(
      'm=audio PORT RTP/AVP 111\r\na=rtpmap:111 opus/48000/2',
      port,
      ['-frames:a', '40', '-ac', '1', '-ar', '48000', '-f', 's16le'],
    );
    await sendPackets(packets, port);
    const raw = await finish(receiver, 40 * 960 * 2);
    const pcm = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
    assert.ok(pcm.length >= 48000 / 2, `${pcm.length} samples`);
    const decoded = Float32Array.from(pcm, (s) => s / 32768);
    const quality = snr(sine(decoded.length, 0.4), decoded, 220);
    t.diagnostic(`opus to FFmpeg: SNR ${quality.toFixed(1)} dB`);
    assert.ok(quality > 15, `SNR ${quality.toFixed(1)} dB`);
  });
});

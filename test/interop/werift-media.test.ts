/**
 * RTP between tsrtc and werift (pure TypeScript, no codecs of its own) on loopback, checked with FFmpeg:
 * what tsrtc sends werift is forwarded as RTP to an FFmpeg decoder and the pictures and tone checked; what
 * werift sends tsrtc is FFmpeg-encoded RTP that werift relays, decoded by tsrtc and checked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { AudioFrame } from '../../src/media/audio-frame.js';
import type { MediaStreamTrack } from '../../src/media/track.js';
import { VideoFrame } from '../../src/media/video-frame.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import {
  bindLoopback,
  finish,
  freePortPair,
  requireFfmpeg,
  startFfmpegReceiver,
} from '../media/ffmpeg-rtp.js';
import { requireNodeAv } from '../media/node-av-available.js';
import { looksLikeQuadrants, QuadrantTrack, ToneTrack, toneFrequency } from '../media/sources.js';

interface WeriftRtp {
  serialize(): Buffer;
}
interface WeriftTrack {
  readonly kind: string;
  onReceiveRtp: { subscribe(fn: (rtp: WeriftRtp) => void): unknown };
  writeRtp(rtp: Buffer): void;
}
interface WeriftPeer {
  addTransceiver(t: WeriftTrack | string, init?: unknown): unknown;
  createAnswer(): Promise<unknown>;
  createOffer(): Promise<unknown>;
  setLocalDescription(d: unknown): Promise<unknown>;
  setRemoteDescription(d: unknown): Promise<unknown>;
  addIceCandidate(c: unknown): Promise<unknown>;
  readonly localDescription: { type: string; sdp: string } | undefined;
  onIceCandidate: { subscribe(fn: (c: { toJSON(): unknown } | undefined) => void): unknown };
  onTrack: { subscribe(fn: (t: WeriftTrack) => void): unknown };
  close(): Promise<void>;
}

const KINDS = {
  video: {
    mime: 'video/VP8',
    rtpmap: 'VP8/90000',
    ffmpegEncode: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '800k', '-g', '30'],
  },
  audio: { mime: 'audio/opus', rtpmap: 'opus/48000/2', ffmpegEncode: ['-c:a', 'libopus', '-b:a', '64k'] },
} as const;

async function werift(
  kind: 'audio' | 'video',
): Promise<{ pc: WeriftPeer; track: (kind: string) => WeriftTrack }> {
  const w = (await import('werift')) as unknown as {
    RTCPeerConnection: new (c: unknown) => WeriftPeer;
    MediaStreamTrack: new (init: { kind: string }) => WeriftTrack;
    RTCRtpCodecParameters: new (init: { mimeType: string; clockRate: number; channels?: number }) => unknown;
  };
  const codec =
    kind === 'video'
      ? new w.RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })
      : new w.RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });
  const pc = new w.RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: { [kind]: [codec] },
  });
  return { pc, track: (k) => new w.MediaStreamTrack({ kind: k }) };
}

function prefer(pc: RTCPeerConnection, kind: 'audio' | 'video', mime: string): void {
  const codecs = RTCRtpSender.getCapabilities(kind)!.codecs.filter(
    (c) => c.mimeType.toLowerCase() === mime.toLowerCase(),
  );
  for (const t of pc.getTransceivers()) if (t.kind === kind) t.setCodecPreferences(codecs);
}

function wire(ours: RTCPeerConnection, theirs: WeriftPeer): void {
  ours.onicecandidate = (e) => {
    if (e.candidate) void theirs.addIceCandidate(e.candidate.toJSON()).catch(() => undefined);
  };
  theirs.onIceCandidate.subscribe((c) => {
    if (c) void ours.addIceCandidate(c.toJSON() as never).catch(() => undefined);
  });
}

describe('tsrtc ↔ werift RTP (checked with FFmpeg)', () => {
  for (const kind of ['video', 'audio'] as const) {
    const spec = KINDS[kind];

    it(`tsrtc → werift ${spec.mime}: the RTP werift receives decodes in FFmpeg to our content`, async (t) => {
      if (!requireFfmpeg(t) || !(await requireNodeAv(t))) return;
      const { pc: theirs } = await werift(kind);
      const ours = new RTCPeerConnection({ iceLoopbackOnly: true });
      const source = kind === 'video' ? new QuadrantTrack(320, 240) : new ToneTrack(1000);
      const { socket, port: forwardFrom } = await bindLoopback();
      try {
        wire(ours, theirs);
        // ffmpeg listens on the port and the next one (its RTCP): both must be free
        const ffmpegPort = await freePortPair();
        const pt = 96;
        const receiver = await startFfmpegReceiver(
          `m=${kind} PORT RTP/AVP ${pt}\r\na=rtpmap:${pt} ${spec.rtpmap}`,
          ffmpegPort,
          kind === 'video'
            ? ['-f', 'rawvideo', '-pix_fmt', 'yuv420p']
            : ['-f', 's16le', '-ac', '1', '-ar', '48000'],
        );
        void forwardFrom;
        theirs.onTrack.subscribe((track) => {
          track.onReceiveRtp.subscribe((rtp) => {
            const packet = RtpPacket.tryParse(new Uint8Array(rtp.serialize()));
            if (!packet) return;
            packet.payloadType = pt;
            socket.send(packet.serialize(), ffmpegPort, '127.0.0.1');
          });
        });
        ours.addTrack(source);
        prefer(ours, kind, spec.mime);
        await ours.setLocalDescription();
        await theirs.setRemoteDescription(ours.localDescription!.toJSON());
        await theirs.setLocalDescription(await theirs.createAnswer());
        await ours.setRemoteDescription(theirs.localDescription as never);
        const frameBytes = kind === 'video' ? (320 * 240 * 3) / 2 : 48_000 * 2;
        const out = await finish(receiver, frameBytes * (kind === 'video' ? 40 : 2), 30_000);
        if (kind === 'video') {
          const frames = Math.floor(out.byteLength / frameBytes);
          assert.ok(frames >= 10, `FFmpeg decoded ${frames} frames`);
          const last = VideoFrame.fromBytes(
            new Uint8Array(out.subarray((frames - 1) * frameBytes, frames * frameBytes)),
            320,
            240,
          );
          assert.ok(looksLikeQuadrants(last, 40), 'FFmpeg sees our four colours');
        } else {
          const samples = new Uint8Array(
            out.subarray(out.byteLength - 48_000, out.byteLength - (out.byteLength % 2)),
          );
          const f = toneFrequency([
            AudioFrame.fromBytes(samples, { format: 's16', layout: 'mono', sampleRate: 48_000 }),
          ]);
          assert.ok(Math.abs(f - 1000) < 30, `FFmpeg hears ${f.toFixed(1)} Hz`);
        }
      } finally {
        source.stop();
        socket.close();
        ours.close();
        await theirs.close();
      }
    });

    it(`werift → tsrtc ${spec.mime}: FFmpeg-made RTP relayed by werift decodes in tsrtc`, async (t) => {
      if (!requireFfmpeg(t) || !(await requireNodeAv(t))) return;
      const { pc: theirs, track: makeTrack } = await werift(kind);
      const ours = new RTCPeerConnection({ iceLoopbackOnly: true });
      const { socket, port } = await bindLoopback();
      const outgoing = makeTrack(kind);
      let ffmpeg: ReturnType<typeof spawn> | undefined;
      try {
        wire(ours, theirs);
        socket.on('message', (msg: Buffer) => {
          const pt = msg[1]! & 0x7f;
          if (pt >= 64 && pt <= 95) return; // RTCP
          outgoing.writeRtp(msg);
        });
        theirs.addTransceiver(outgoing, { direction: 'sendonly' });
        let remote: MediaStreamTrack | undefined;
        ours.ontrack = (e) => {
          remote = e.track;
        };
        await theirs.setLocalDescription(await theirs.createOffer());
        await ours.setRemoteDescription(theirs.localDescription as never);
        await ours.setLocalDescription();
        await theirs.setRemoteDescription(ours.localDescription!.toJSON());
        // FFmpeg encodes our quadrant picture / a 1 kHz tone in real time and sends RTP to the relay socket.
        const input =
          kind === 'video'
            ? ['-re', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '320x240', '-r', '30', '-i', 'pipe:0']
            : ['-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=10'];
        ffmpeg = spawn(
          'ffmpeg',
          [
            '-hide_banner',
            '-loglevel',
            'error',
            ...input,
            ...spec.ffmpegEncode,
            '-f',
            'rtp',
            '-payload_type',
            '96',
            `rtp://127.0.0.1:${port}?pkt_size=1100`,
          ],
          { stdio: [kind === 'video' ? 'pipe' : 'ignore', 'ignore', 'ignore'] },
        );
        if (kind === 'video') {
          const frame = await new QuadrantTrack(320, 240).recv();
          const bytes = frame.toBytes();
          const stdin = ffmpeg.stdin!;
          stdin.on('error', () => undefined);
          const feed = setInterval(() => stdin.writable && stdin.write(bytes), 33);
          ffmpeg.on('close', () => clearInterval(feed));
        }
        assert.ok(remote, 'ontrack');
        const got: (AudioFrame | VideoFrame)[] = [];
        const stopAt = setTimeout(() => remote!.stop(), 25_000);
        while (got.length < (kind === 'video' ? 30 : 100))
          got.push((await remote!.recv()) as AudioFrame | VideoFrame);
        clearTimeout(stopAt);
        if (kind === 'video')
          assert.ok(looksLikeQuadrants(got.at(-1) as VideoFrame, 40), 'tsrtc sees the colours');
        else {
          const f = toneFrequency(got.slice(-50) as AudioFrame[]);
          assert.ok(Math.abs(f - 1000) < 30, `tsrtc hears ${f.toFixed(1)} Hz`);
        }
      } finally {
        ffmpeg?.kill('SIGKILL');
        socket.close();
        ours.close();
        await theirs.close();
      }
    });
  }
});

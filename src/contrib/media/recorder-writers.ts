/**
 * How MediaRecorder turns one track into one stream of packets: remux (an EncodedFrame track whose codec the
 * container takes, written as it is), encode (raw frames), or transcode (EncodedFrames the container does not
 * take: decoded with tsrtc's codecs, then encoded). Timestamps come from the frames, rebased to start at 0, so
 * gaps stay gaps (video) or become silence (encoded audio, which counts samples).
 */
import { AudioFrame } from '../../media/audio-frame.js';
import { createAudioDecoder, createVideoDecoder, type Decoder } from '../../media/codecs/index.js';
import { type CodecName, EncodedFrame } from '../../media/encoded-frame.js';
import { Fraction, rescale } from '../../media/time-base.js';
import type { MediaFrame } from '../../media/track.js';
import { VideoFrame } from '../../media/video-frame.js';
import { annexBNalUnits, av1Obus } from './bitstream.js';
import type { EncoderChoice } from './container.js';
import { DemuxedFrame } from './demuxed-frame.js';
import { MediaFileError } from './errors.js';
import { codecIdOf, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';
import type { StreamSpec } from './muxer.js';
import { AudioStreamEncoder, VideoStreamEncoder } from './stream-encoder.js';

/** Longest gap filled with silence; beyond it the timestamps jump (the container keeps the gap). */
const MAX_SILENCE_SECONDS = 60;

export interface TrackWriter {
  /** The stream to create, once the first usable frame has been seen (null until then). */
  readonly spec: StreamSpec | null;
  /** Packets for a frame, in the spec's time base. */
  write(frame: MediaFrame): Promise<MediaPacket[]>;
  /** Packets still held at the end. */
  flush(): Promise<MediaPacket[]>;
  close(): void;
}

export interface WriterContext {
  av: NodeAv;
  file: string;
  /** The container wants codec headers out of band (mp4, mkv, webm). */
  globalHeader: boolean;
}

/** Rebase to 0 and keep increasing: a frame at or before the previous one moves just after it. */
class Rebaser {
  private origin: number | null = null;
  private last = -1;
  constructor(readonly timeBase: Fraction) {}

  place(pts: number | null, tb: Fraction | null, step: number): number {
    let at: number;
    if (pts === null) at = this.last < 0 ? 0 : this.last + step;
    else {
      const own = tb && !tb.equals(this.timeBase) ? rescale(pts, tb, this.timeBase) : pts;
      this.origin ??= own;
      at = own - this.origin;
    }
    if (at <= this.last) at = this.last + 1;
    this.last = at;
    return at;
  }
}

/** What the container needs to know of an encoded stream, from its first (key)frame. */
async function remuxSpec(ctx: WriterContext, frame: EncodedFrame): Promise<StreamSpec> {
  const codecId = codecIdOf(ctx.av, frame.codec);
  if (frame.kind === 'audio') {
    const rate = frame.codec === 'opus' ? 48000 : frame.codec === 'g722' ? 16000 : 8000;
    const channels = frame.codec === 'opus' ? 2 : 1;
    return {
      kind: 'audio',
      timeBase: frame.timeBase,
      codecId,
      sampleRate: rate,
      channels,
      extradata: opusHead(frame),
    };
  }
  const size = await pictureSize(ctx.av, frame);
  if (!size) throw new MediaFileError(ctx.file, `the first ${frame.codec} keyframe does not decode`);
  return { kind: 'video', timeBase: frame.timeBase, codecId, ...size, extradata: videoExtradata(frame) };
}

/**
 * The picture size of a keyframe: decoded by FFmpeg and drained at once (a stream with B-frames holds its first
 * picture back until more frames come).
 */
async function pictureSize(
  av: NodeAv,
  frame: EncodedFrame,
): Promise<{ width: number; height: number } | null> {
  const { lib } = av;
  const codec = lib.Codec.findDecoder(codecIdOf(av, frame.codec));
  if (!codec) return null;
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  ctx.threadCount = 1;
  const packet = new lib.Packet();
  packet.alloc();
  const picture = new lib.Frame();
  picture.alloc();
  try {
    if (ctx.open2Sync(codec, null) < 0) return null;
    packet.data = Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    packet.isKeyframe = true;
    await ctx.sendPacket(packet); // on the worker pool: a large keyframe takes a while
    await ctx.sendPacket(null);
    if (ctx.receiveFrameSync(picture) < 0 || picture.width < 1 || picture.height < 1) return null;
    return { width: picture.width, height: picture.height };
  } finally {
    picture.free();
    packet.free();
    ctx.freeContext();
  }
}

/** The OpusHead identification header (RFC 7845 §5.1) that Ogg, WebM and MP4 carry as codec private data. */
function opusHead(frame: EncodedFrame): Uint8Array | undefined {
  if (frame.codec !== 'opus') return undefined;
  const head = new Uint8Array(19);
  head.set(new TextEncoder().encode('OpusHead'));
  const view = new DataView(head.buffer);
  head[8] = 1; // version
  head[9] = 2; // channels: WebRTC Opus is negotiated as stereo; decoders mix mono packets up
  view.setUint16(10, 0, true); // pre-skip: the frames are already timed
  view.setUint32(12, 48000, true);
  return head;
}

/** Parameter sets the container wants in its header: H.264 SPS/PPS (Annex B), the AV1 sequence header. */
function videoExtradata(frame: EncodedFrame): Uint8Array | undefined {
  if (frame.codec === 'h264') {
    const sets = annexBNalUnits(frame.data).filter((n) => [7, 8].includes((n[0] as number) & 0x1f));
    if (!sets.length) return undefined;
    const out: number[] = [];
    for (const s of sets) out.push(0, 0, 0, 1, ...s);
    return new Uint8Array(out);
  }
  if (frame.codec === 'av1')
    return av1Obus(frame.data)
      ?.find((o) => o.type === 1)
      ?.obu.slice();
  return undefined;
}

/**
 * EncodedFrames the container takes as they are. Video starts at the first keyframe. Frames from a container
 * (DemuxedFrame) bring their dts, so streams with B-frames keep their order; others are in presentation order
 * (dts = pts, as from WebRTC).
 */
export class RemuxWriter implements TrackWriter {
  spec: StreamSpec | null = null;
  private timeBase: Fraction | null = null;
  private origin: number | null = null;
  private lastDts = Number.NEGATIVE_INFINITY;

  constructor(private readonly ctx: WriterContext) {}

  async write(frame: MediaFrame): Promise<MediaPacket[]> {
    if (!(frame instanceof EncodedFrame)) return [];
    if (!this.spec) {
      if (frame.kind === 'video' && !frame.keyframe) return [];
      this.spec = await remuxSpec(this.ctx, frame);
      this.timeBase = frame.timeBase;
    }
    const tb = this.timeBase!;
    const own = (t: number): number => (frame.timeBase.equals(tb) ? t : rescale(t, frame.timeBase, tb));
    const rawPts = own(frame.pts);
    const rawDts = frame instanceof DemuxedFrame ? own(frame.dts) : rawPts;
    // Rebased so that the first picture shows at 0 (with B-frames the first dts are then negative: the muxer
    // shifts them or writes an edit list); dts must increase (a source that restarted its clock continues).
    this.origin ??= rawPts;
    let dts = rawDts - this.origin;
    if (dts <= this.lastDts) dts = this.lastDts + 1;
    this.lastDts = dts;
    const pts = Math.max(dts, rawPts - this.origin);
    // The frame's bytes as they are (shared, never modified: the muxer copies them).
    return [
      {
        streamIndex: 0,
        data: frame.data,
        pts: BigInt(pts),
        dts: BigInt(dts),
        duration: 0n,
        keyframe: frame.keyframe,
        size: frame.data.byteLength,
      },
    ];
  }

  async flush(): Promise<MediaPacket[]> {
    return [];
  }

  close(): void {}
}

/** Raw frames encoded with the container's codec. */
export class EncodeWriter implements TrackWriter {
  spec: StreamSpec | null = null;
  private video: VideoStreamEncoder | null = null;
  private audio: AudioStreamEncoder | null = null;
  private rebaser: Rebaser | null = null;
  /** Audio: where the next input frame is expected, in input samples from the start. */
  private expected = 0;
  private audioOrigin: number | null = null;

  constructor(
    private readonly ctx: WriterContext,
    private readonly choice: EncoderChoice,
  ) {}

  async write(frame: MediaFrame): Promise<MediaPacket[]> {
    if (frame instanceof VideoFrame) return this.writeVideo(frame);
    if (frame instanceof AudioFrame) return this.writeAudio(frame);
    return [];
  }

  async flush(): Promise<MediaPacket[]> {
    return (await (this.video ?? this.audio)?.flush()) ?? [];
  }

  close(): void {
    this.video?.close();
    this.audio?.close();
  }

  private writeVideo(frame: VideoFrame): Promise<MediaPacket[]> {
    if (!this.video) {
      this.video = VideoStreamEncoder.open(
        this.ctx.av,
        this.ctx.file,
        this.choice,
        frame,
        this.ctx.globalHeader,
      );
      this.rebaser = new Rebaser(this.video.timeBase);
      this.spec = { kind: 'video', timeBase: this.video.timeBase, encoder: this.video.ctx };
    }
    return this.video.encode(frame, this.rebaser!.place(frame.pts, frame.timeBase, 3000));
  }

  private async writeAudio(frame: AudioFrame): Promise<MediaPacket[]> {
    if (!this.audio) {
      this.audio = AudioStreamEncoder.open(
        this.ctx.av,
        this.ctx.file,
        this.choice,
        frame,
        this.ctx.globalHeader,
      );
      this.spec = { kind: 'audio', timeBase: this.audio.timeBase, encoder: this.audio.ctx };
    }
    const rate = new Fraction(1, frame.sampleRate);
    const out: MediaPacket[] = [];
    if (frame.pts !== null) {
      const at =
        frame.timeBase && !frame.timeBase.equals(rate) ? rescale(frame.pts, frame.timeBase, rate) : frame.pts;
      this.audioOrigin ??= at;
      const gap = at - this.audioOrigin - this.expected;
      // A gap of more than half a frame is silence in the recording, so what follows stays in place.
      if (gap > frame.samples / 2) {
        let fill = Math.min(gap, MAX_SILENCE_SECONDS * frame.sampleRate);
        while (fill > 0) {
          const n = Math.min(fill, frame.sampleRate);
          const silence = new AudioFrame({
            format: frame.format,
            layout: frame.layout,
            samples: n,
            sampleRate: frame.sampleRate,
          });
          out.push(...(await this.audio.encode(silence)));
          fill -= n;
        }
        this.expected += gap;
      }
    }
    this.expected += frame.samples;
    out.push(...(await this.audio.encode(frame)));
    return out;
  }
}

/** EncodedFrames the container does not take: decoded with tsrtc's codecs, then encoded. */
export class TranscodeWriter implements TrackWriter {
  private decoder: Decoder | null = null;
  private readonly encode: EncodeWriter;

  constructor(ctx: WriterContext, choice: EncoderChoice) {
    this.encode = new EncodeWriter(ctx, choice);
  }

  get spec(): StreamSpec | null {
    return this.encode.spec;
  }

  async write(frame: MediaFrame): Promise<MediaPacket[]> {
    if (!(frame instanceof EncodedFrame)) return this.encode.write(frame);
    this.decoder ??=
      frame.kind === 'video' ? createVideoDecoder(frame.codec) : createAudioDecoder(frame.codec);
    // tsrtc's decoders expect pts on the codec's RTP clock.
    const clock = new Fraction(1, clockRate(frame.codec));
    const onClock = frame.timeBase.equals(clock)
      ? frame
      : new EncodedFrame(
          frame.codec,
          frame.data,
          rescale(frame.pts, frame.timeBase, clock),
          clock,
          frame.keyframe,
        );
    const out: MediaPacket[] = [];
    for (const decoded of await this.decoder.decode(onClock)) out.push(...(await this.encode.write(decoded)));
    return out;
  }

  flush(): Promise<MediaPacket[]> {
    return this.encode.flush();
  }

  close(): void {
    this.decoder?.close();
    this.encode.close();
  }
}

function clockRate(codec: CodecName): number {
  return codec === 'opus' ? 48000 : codec === 'pcmu' || codec === 'pcma' || codec === 'g722' ? 8000 : 90000;
}

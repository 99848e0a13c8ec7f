/**
 * What a MediaPlayer track makes of its packets: decoded video frames, decoded audio (s16 stereo 48 kHz, 20 ms),
 * or, with `decode: false`, EncodedFrames ready for RTP. Timestamps start at 0 and keep increasing across loop
 * passes; each output carries its time in seconds for pacing.
 */
import type { AudioFrame } from '../../media/audio-frame.js';
import { type CodecName, EncodedFrame } from '../../media/encoded-frame.js';
import { Fraction, rescale } from '../../media/time-base.js';
import type { VideoFrame } from '../../media/video-frame.js';
import { Av1SequenceHeaders, H264AnnexB } from './bitstream.js';
import { DemuxedFrame } from './demuxed-frame.js';
import type { InputStream } from './demuxer.js';
import type { NodeAv } from './ffmpeg.js';
import { AudioFrameConverter, VideoFrameConverter } from './frame-convert.js';
import type { MediaPacket } from './media-packet.js';
import type { StreamDecoder } from './stream-decoder.js';

export interface Timed<F> {
  frame: F;
  /** Seconds from the start of playback, for pacing. */
  time: number;
}

export interface FrameProducer<F = AudioFrame | VideoFrame | EncodedFrame> {
  /** Frames out of one packet. */
  push(packet: MediaPacket): Promise<Timed<F>[]>;
  /** The input was rewound: drain what the pass still holds and get ready for the next one. */
  loop(): Promise<Timed<F>[]>;
  /** The input ended: drain everything. */
  end(): Promise<Timed<F>[]>;
  close(): void;
}

const seconds = (pts: number, tb: Fraction): number => (pts * tb.num) / tb.den;

/**
 * Rebases timestamps to start at 0 and carries them across loop passes: pass n+1 starts where pass n ended
 * (its largest pts + duration).
 */
export class Timeline {
  private first: bigint | null = null;
  private offset = 0;
  private end = 0;
  private last = -1;

  constructor(private readonly nominalDuration: number) {}

  /**
   * `ts` from the container (AV_NOPTS_VALUE when unknown) to a rebased time; `duration` 0 when unknown; `reach`
   * how far after `ts` the frame is shown (pts − dts when placing decode times), for the end of the pass.
   */
  place(ts: bigint, duration: number, noPts: bigint, reach = 0): number {
    let at: number;
    if (ts === noPts) at = this.last < 0 ? this.offset : this.last + this.nominalDuration;
    else {
      this.first ??= ts;
      at = Number(ts - this.first) + this.offset;
    }
    this.last = at;
    this.end = Math.max(this.end, at + reach + (duration > 0 ? duration : this.nominalDuration));
    return at;
  }

  nextPass(): void {
    this.offset = this.end;
    this.last = -1;
  }
}

/** One video frame's duration in stream ticks, from the frame rate FFmpeg found (1/30 s if none). */
function nominalVideoTicks(input: InputStream): number {
  const rate = input.stream.avgFrameRate;
  const fps = rate.num > 0 && rate.den > 0 ? rate.num / rate.den : 30;
  return Math.max(1, Math.round(1 / fps / input.timeBase.valueOf()));
}

export class VideoDecodeProducer implements FrameProducer<VideoFrame> {
  private readonly converter: VideoFrameConverter;
  private readonly timeline: Timeline;

  constructor(
    private readonly av: NodeAv,
    private readonly input: InputStream,
    private readonly decoder: StreamDecoder,
  ) {
    this.converter = new VideoFrameConverter(av);
    this.timeline = new Timeline(nominalVideoTicks(input));
  }

  push(packet: MediaPacket): Promise<Timed<VideoFrame>[]> {
    return this.decode(packet);
  }

  async loop(): Promise<Timed<VideoFrame>[]> {
    const out = await this.decode(null);
    this.decoder.reset();
    this.timeline.nextPass();
    return out;
  }

  end(): Promise<Timed<VideoFrame>[]> {
    return this.decode(null);
  }

  close(): void {
    this.decoder.close();
    this.converter.close();
  }

  private async decode(packet: MediaPacket | null): Promise<Timed<VideoFrame>[]> {
    const out: Timed<VideoFrame>[] = [];
    const noPts = this.av.constants.AV_NOPTS_VALUE;
    await this.decoder.decode(packet, (f) => {
      const picture = this.converter.convert(f);
      if (!picture) return;
      const ts = f.bestEffortTimestamp !== noPts ? f.bestEffortTimestamp : f.pts;
      picture.pts = this.timeline.place(ts, Number(f.duration), noPts);
      picture.timeBase = this.input.timeBase;
      out.push({ frame: picture, time: seconds(picture.pts, this.input.timeBase) });
    });
    return out;
  }
}

export class AudioDecodeProducer implements FrameProducer<AudioFrame> {
  private readonly converter: AudioFrameConverter;

  constructor(
    av: NodeAv,
    private readonly decoder: StreamDecoder,
  ) {
    this.converter = new AudioFrameConverter(av);
  }

  push(packet: MediaPacket): Promise<Timed<AudioFrame>[]> {
    return this.decode(packet);
  }

  async loop(): Promise<Timed<AudioFrame>[]> {
    const out = await this.decode(null);
    this.decoder.reset(); // samples keep counting: the next pass follows without a gap
    return out;
  }

  async end(): Promise<Timed<AudioFrame>[]> {
    const out = await this.decode(null);
    return [...out, ...this.converter.flush().map((f) => this.timed(f))];
  }

  close(): void {
    this.decoder.close();
    this.converter.close();
  }

  private async decode(packet: MediaPacket | null): Promise<Timed<AudioFrame>[]> {
    const out: Timed<AudioFrame>[] = [];
    await this.decoder.decode(packet, (f) => {
      for (const frame of this.converter.convert(f)) out.push(this.timed(frame));
    });
    return out;
  }

  private timed(frame: AudioFrame): Timed<AudioFrame> {
    return { frame, time: seconds(frame.pts ?? 0, this.converter.timeBase) };
  }
}

/** G.711 packets from WAV and friends hold any number of samples: RTP wants 20 ms (160 samples at 8 kHz). */
const G711_FRAME = 160;

/**
 * Pass-through: packets as EncodedFrames, in decode order, with their own pts and the stream's time base
 * (exact). H.264 becomes Annex B with SPS/PPS at every keyframe; AV1 keyframes get the sequence header;
 * G.711 is cut into 20 ms frames. Paced by decode time, so B-frames (if any) do not stall the pacing; each
 * frame is a DemuxedFrame carrying its dts as well, rebased together with the pts (one origin, the first dts).
 */
export class PassthroughProducer implements FrameProducer<EncodedFrame> {
  /** Decode times, rebased on the first packet's dts; pts keep their offset from the dts. */
  private readonly timeline: Timeline;
  private readonly h264: H264AnnexB | null;
  private readonly av1: Av1SequenceHeaders | null;
  private g711Pending = new Uint8Array(0);
  private g711Pts = 0;

  constructor(
    private readonly av: NodeAv,
    private readonly input: InputStream,
    readonly codec: CodecName,
  ) {
    const nominal = input.kind === 'video' ? nominalVideoTicks(input) : 1;
    this.timeline = new Timeline(nominal);
    const extradata = input.stream.codecpar.extradata;
    const extra = extradata ? new Uint8Array(extradata) : null;
    this.h264 = codec === 'h264' ? new H264AnnexB(extra) : null;
    this.av1 = codec === 'av1' ? new Av1SequenceHeaders(extra) : null;
  }

  async push(packet: MediaPacket): Promise<Timed<EncodedFrame>[]> {
    const data = packet.data;
    if (!data || data.byteLength === 0) return [];
    const noPts = this.av.constants.AV_NOPTS_VALUE;
    const duration = Number(packet.duration);
    const both = packet.pts !== noPts && packet.dts !== noPts;
    const reorder = both ? Number(packet.pts - packet.dts) : 0;
    const dts = this.timeline.place(packet.dts !== noPts ? packet.dts : packet.pts, duration, noPts, reorder);
    const pts = dts + reorder;
    const tb = this.input.timeBase;
    const time = seconds(dts, tb);
    const keyframe = this.input.kind === 'audio' || packet.keyframe;
    // The demuxer's copy of the payload is ours: converted in place where possible, never copied again.
    let bytes = packet.data;
    if (this.codec === 'pcmu' || this.codec === 'pcma') return this.g711(bytes, pts, time);
    if (this.h264) bytes = this.h264.convert(bytes, keyframe);
    else if (this.av1) bytes = this.av1.convert(bytes, keyframe);
    return [{ frame: new DemuxedFrame(this.codec, bytes, pts, tb, keyframe, dts), time }];
  }

  async loop(): Promise<Timed<EncodedFrame>[]> {
    this.timeline.nextPass();
    return [];
  }

  async end(): Promise<Timed<EncodedFrame>[]> {
    return [];
  }

  close(): void {}

  /** 8 kHz mono G.711 (checked at open) in 160-byte frames; a remainder waits for the next packet. */
  private g711(bytes: Uint8Array, pts: number, time: number): Timed<EncodedFrame>[] {
    const tb = new Fraction(1, 8000);
    if (this.g711Pending.byteLength === 0) this.g711Pts = rescale(pts, this.input.timeBase, tb);
    const data = new Uint8Array(this.g711Pending.byteLength + bytes.byteLength);
    data.set(this.g711Pending);
    data.set(bytes, this.g711Pending.byteLength);
    const out: Timed<EncodedFrame>[] = [];
    let offset = 0;
    for (; data.byteLength - offset >= G711_FRAME; offset += G711_FRAME) {
      const frame = new EncodedFrame(
        this.codec,
        data.slice(offset, offset + G711_FRAME),
        this.g711Pts,
        tb,
        true,
      );
      out.push({ frame, time: time + offset / 8000 });
      this.g711Pts += G711_FRAME;
    }
    this.g711Pending = data.slice(offset);
    return out;
  }
}

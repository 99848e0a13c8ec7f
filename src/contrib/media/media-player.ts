/**
 * MediaPlayer (aiortc's `contrib.media.MediaPlayer`): an audio and a video track from anything FFmpeg reads —
 * files of any container, HTTP and RTSP URLs, devices (`format: 'v4l2'`, `'alsa'`), lavfi graphs
 * (`format: 'lavfi'`). The tracks share one reader (player-source.ts). Files are paced in real time as aiortc
 * does; devices and live streams pace themselves. `decode: false` yields EncodedFrames for pass-through.
 *
 * Opening is asynchronous (`await MediaPlayer.open(file)`), where aiortc's constructor blocks: FFmpeg is loaded
 * on first use and probing a network source takes time. Every failure names the file and the reason.
 */
import { createLogger } from '../../common/logger.js';
import { type MediaClock, systemClock } from '../../media/clock.js';
import type { EncodedFrame } from '../../media/encoded-frame.js';
import { MediaStreamError } from '../../media/errors.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../../media/track.js';
import { Demuxer, type InputOptions, type InputStream } from './demuxer.js';
import { hideCredentials, MediaFileError } from './errors.js';
import { loadFfmpeg, type NodeAv, webrtcCodecOf } from './ffmpeg.js';
import {
  AudioDecodeProducer,
  type FrameProducer,
  PassthroughProducer,
  type Timed,
  VideoDecodeProducer,
} from './player-producers.js';
import { END, LOOP, PlayerSource, type SourceQueue } from './player-source.js';
import { StreamDecoder } from './stream-decoder.js';

const log = createLogger('media:player');

export interface MediaPlayerOptions extends InputOptions {
  /** Start again from the beginning at the end (needs a seekable input); timestamps keep increasing. */
  loop?: boolean;
  /** false: yield EncodedFrames (pass-through) instead of decoded frames (default true). */
  decode?: boolean;
  /**
   * Pace frames in real time (default: true for files and URLs, false for devices and RTSP, which deliver in
   * real time themselves). false reads as fast as the tracks are pulled.
   */
  realtime?: boolean;
  /** The clock that paces frames (inject a fake one to test in virtual time). */
  clock?: MediaClock;
}

/** Codecs pass-through can hand to an RTP sender. */
const PASSABLE: ReadonlySet<string> = new Set(['h264', 'vp8', 'vp9', 'av1', 'opus', 'pcmu', 'pcma']);

/** Real-time pacing against a clock: the first frame starts the clock, later ones wait for their time. */
class Pacer {
  private start: number | undefined;
  constructor(private readonly clock: MediaClock) {}

  async wait(time: number): Promise<void> {
    const now = this.clock.now();
    if (this.start === undefined) {
      this.start = now - time * 1000;
      return;
    }
    const wait = this.start + time * 1000 - now;
    if (wait > 0) await this.clock.sleep(wait);
  }
}

export class PlayerTrack extends MediaStreamTrack {
  private readonly ready: Timed<MediaFrame>[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private drained = false;
  private readonly pacer: Pacer | null;

  /** @internal created by MediaPlayer.open */
  constructor(
    private readonly mediaKind: 'audio' | 'video',
    private readonly source: PlayerSource,
    private readonly queue: SourceQueue,
    private readonly producer: FrameProducer<MediaFrame>,
    clock: MediaClock | null,
    private readonly file: string,
  ) {
    super({ label: `${mediaKind} of ${file}` });
    this.pacer = clock ? new Pacer(clock) : null;
  }

  override get kind(): MediaKind {
    return this.mediaKind;
  }

  /** Packets this track dropped because its consumer fell behind the other track's. */
  get packetsDropped(): number {
    return this.queue.dropped;
  }

  /** The next frame, in real time for files; MediaStreamError once the input has ended. */
  recv(): Promise<MediaFrame> {
    const run = this.chain.then(() => this.recvNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  override stop(): void {
    if (this.readyState === 'ended') return;
    super.stop();
    this.source.release(this.queue);
    // Free the decoder only after a recv() in flight has finished with it.
    void this.chain.then(() => this.producer.close());
  }

  private async recvNow(): Promise<MediaFrame> {
    for (;;) {
      this.assertLive();
      const next = this.ready.shift();
      if (next) {
        if (this.pacer) await this.pacer.wait(next.time);
        this.assertLive();
        return next.frame;
      }
      if (this.drained) {
        const reason = this.source.error ? `: ${this.source.error.reason}` : '';
        this.stop();
        throw new MediaStreamError(`the ${this.mediaKind} of ${this.file} has ended${reason}`);
      }
      const item = await this.source.next(this.queue);
      if (item === END) {
        this.ready.push(...(await this.producer.end()));
        this.drained = true;
      } else if (item === LOOP) {
        this.ready.push(...(await this.producer.loop()));
      } else if (this.readyState === 'live') {
        this.ready.push(...(await this.producer.push(item)));
      }
    }
  }
}

export class MediaPlayer {
  /** The first audio stream as a track, or null when the input has none (or it cannot be played). */
  readonly audio: PlayerTrack | null;
  /** The first video stream as a track, or null. */
  readonly video: PlayerTrack | null;

  private constructor(
    readonly file: string,
    private readonly source: PlayerSource,
    tracks: { audio: PlayerTrack | null; video: PlayerTrack | null },
  ) {
    this.audio = tracks.audio;
    this.video = tracks.video;
  }

  /**
   * Open an input. Rejects with MediaFileError (missing, unreadable, no usable stream, a codec that cannot be
   * passed through) or CodecUnavailableError (node-av not installed).
   */
  static async open(file: string, options: MediaPlayerOptions = {}): Promise<MediaPlayer> {
    const av = await loadFfmpeg('MediaPlayer');
    const demuxer = await Demuxer.open(av, file, options);
    const decode = options.decode ?? true;
    const realtime = options.realtime ?? !demuxer.live;
    const clock = realtime ? (options.clock ?? systemClock) : null;
    const source = new PlayerSource(demuxer, options.loop ?? false);
    const shown = hideCredentials(file);
    const refusals: string[] = [];
    const track = (kind: 'audio' | 'video'): PlayerTrack | null => {
      const input = demuxer.first(kind);
      if (!input) return null;
      try {
        const producer = decode ? decodeProducer(av, file, input) : passthroughProducer(av, file, input);
        return new PlayerTrack(kind, source, source.queue(input.index, kind), producer, clock, shown);
      } catch (error) {
        const reason = error instanceof MediaFileError ? error.reason : String(error);
        refusals.push(reason);
        log.warn(`${shown}: no ${kind} track: ${reason}`);
        return null;
      }
    };
    const tracks = { audio: track('audio'), video: track('video') };
    if (!tracks.audio && !tracks.video) {
      await demuxer.close();
      throw new MediaFileError(file, refusals.join('; ') || 'nothing to play');
    }
    return new MediaPlayer(shown, source, tracks);
  }

  /** Why reading stopped before the end of the input (the tracks ended cleanly), or null. */
  get error(): MediaFileError | null {
    return this.source.error;
  }

  /** Stop both tracks (each fires `ended`); the input is closed. */
  stop(): void {
    this.audio?.stop();
    this.video?.stop();
  }
}

function decodeProducer(av: NodeAv, file: string, input: InputStream): FrameProducer<MediaFrame> {
  const decoder = StreamDecoder.open(av, file, input);
  return input.kind === 'video'
    ? new VideoDecodeProducer(av, input, decoder)
    : new AudioDecodeProducer(av, decoder);
}

function passthroughProducer(av: NodeAv, file: string, input: InputStream): FrameProducer<EncodedFrame> {
  const codec = webrtcCodecOf(av, input.stream.codecpar.codecId);
  if (!codec || !PASSABLE.has(codec)) {
    throw new MediaFileError(
      file,
      `${input.kind} codec ${input.codecName} cannot be passed through (WebRTC carries ` +
        `${input.kind === 'video' ? 'H.264, VP8, VP9, AV1' : 'Opus, PCMU, PCMA'}); open it with decode: true`,
    );
  }
  if (codec === 'pcmu' || codec === 'pcma') {
    const par = input.stream.codecpar;
    if (par.sampleRate !== 8000 || par.channels !== 1) {
      throw new MediaFileError(
        file,
        `${codec} at ${par.sampleRate} Hz with ${par.channels} channels cannot be passed through (RTP needs 8 kHz mono)`,
      );
    }
  }
  return new PassthroughProducer(av, input, codec);
}

/**
 * One source for every viewer of `webcam`, as aiortc's example shares its camera through MediaRelay, and one
 * encode per codec for all of them (aiortc encodes once per viewer): the source's raw frames go through one
 * MediaRelay; each negotiated codec gets one EncodedFanout (one encoder) fed by a relay subscription, and each
 * viewer's sender gets a fanout subscriber, which it only packetizes. `encodePerViewer` gives each sender a
 * relay subscription of raw frames instead (aiortc's way; the benchmark's reference). A pass-through source
 * (`decode: false`) is relayed as it is.
 *
 * The source is a file (MediaPlayer), else the camera (v4l2 /dev/video0, avfoundation, dshow, as aiortc), else,
 * with no camera, aiortc's waving flag. A source that ended (a file played to its end) is opened again for the
 * next viewer.
 */
import { createLogger } from '../common/logger.js';
import { MediaPlayer } from '../contrib/media/media-player.js';
import { MediaRelay } from '../contrib/media/media-relay.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { Encoder, EncoderOptions } from '../media/codecs/codec.js';
import { createAudioEncoder, createVideoEncoder } from '../media/codecs/index.js';
import { EncodedFanout } from '../media/encoded-fanout.js';
import type { CodecName, EncodedFrame } from '../media/encoded-frame.js';
import type { MediaStreamTrack } from '../media/track.js';
import type { VideoFrame } from '../media/video-frame.js';
import { FlagVideoStreamTrack } from './flag-track.js';

const log = createLogger('cli:webcam');

export interface SharedMediaOptions {
  /** A file or URL (default: the camera, or the flag pattern without one). */
  playFrom?: string;
  /** false: pass the file's encoded frames through (`--play-without-decoding`). */
  decode?: boolean;
  /** Play the file again from the start at its end. */
  loop?: boolean;
  /** Every viewer's sender encodes for itself (aiortc's way) instead of one encode per codec. */
  encodePerViewer?: boolean;
}

/** The codec a viewer's sender negotiated, as its answer says. */
export interface NegotiatedCodec {
  codec: CodecName;
  /** fmtp parameters (H.264's profile-level-id and packetization-mode matter to the encoder). */
  parameters: Record<string, string>;
}

export type SourceKind = 'file' | 'camera' | 'pattern';

interface Fanout {
  key: string;
  kind: 'audio' | 'video';
  fanout: EncodedFanout;
  input: MediaStreamTrack;
  counter: CountingEncoder;
  users: number;
}

/** An encoder that counts what it encodes (for /stats, tests and the benchmark). */
class CountingEncoder<F extends AudioFrame | VideoFrame = AudioFrame | VideoFrame> implements Encoder<F> {
  framesIn = 0;
  constructor(private readonly inner: Encoder<F>) {}
  get codec(): CodecName {
    return this.inner.codec;
  }
  get kind(): 'audio' | 'video' {
    return this.inner.kind;
  }
  get clockRate(): number {
    return this.inner.clockRate;
  }
  get targetBitrate(): number {
    return this.inner.targetBitrate;
  }
  encode(frame: F): Promise<EncodedFrame[]> {
    this.framesIn++;
    return this.inner.encode(frame);
  }
  setTargetBitrate(bitsPerSecond: number): void {
    this.inner.setTargetBitrate(bitsPerSecond);
  }
  requestKeyframe(): void {
    this.inner.requestKeyframe();
  }
  close(): void {
    this.inner.close();
  }
}

export interface SharedMediaStats {
  source: SourceKind | null;
  mode: 'encode-once' | 'encode-per-viewer' | 'pass-through';
  encoders: { kind: 'audio' | 'video'; codec: CodecName; subscribers: number; framesEncoded: number }[];
}

export class SharedMedia {
  private readonly relay = new MediaRelay();
  private readonly fanouts = new Map<string, Fanout>();
  private tracks: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null } | null = null;
  private opening: Promise<void> | null = null;
  private player: MediaPlayer | null = null;
  sourceKind: SourceKind | null = null;

  constructor(private readonly options: SharedMediaOptions = {}) {}

  get passThrough(): boolean {
    return this.options.decode === false;
  }

  /** The source's tracks, opened (or opened again after they ended) on first need. */
  async source(): Promise<{ audio: MediaStreamTrack | null; video: MediaStreamTrack | null }> {
    const live = (t: MediaStreamTrack | null | undefined): boolean => !!t && t.readyState === 'live';
    if (!this.tracks || (!live(this.tracks.audio) && !live(this.tracks.video))) {
      this.opening ??= this.open().finally(() => {
        this.opening = null;
      });
      await this.opening;
    }
    return this.tracks!;
  }

  /**
   * A track for one viewer's sender of `kind` that negotiated `codec`: a fanout subscriber (encoded once for
   * all), or a relay subscription (pass-through, or raw frames with encodePerViewer). `release()` when the
   * viewer leaves.
   */
  async subscribe(
    kind: 'audio' | 'video',
    codec: NegotiatedCodec,
  ): Promise<{ track: MediaStreamTrack; release(): void } | null> {
    const source = (await this.source())[kind];
    if (!source) return null;
    if (this.passThrough || this.options.encodePerViewer) {
      const track = this.relay.subscribe(source);
      return { track, release: () => track.stop() };
    }
    const entry = this.fanoutFor(kind, source, codec);
    const track = entry.fanout.subscribe();
    entry.users++;
    return {
      track,
      release: () => {
        track.stop();
        if (--entry.users > 0 || this.fanouts.get(entry.key) !== entry) return;
        // Nobody watches in this codec any more: no encoder left running for nobody.
        this.fanouts.delete(entry.key);
        entry.input.stop();
        entry.counter.close();
      },
    };
  }

  stats(): SharedMediaStats {
    return {
      source: this.sourceKind,
      mode: this.passThrough
        ? 'pass-through'
        : this.options.encodePerViewer
          ? 'encode-per-viewer'
          : 'encode-once',
      encoders: [...this.fanouts.values()].map((f) => ({
        kind: f.kind,
        codec: f.counter.codec,
        subscribers: f.fanout.subscriberCount,
        framesEncoded: f.counter.framesIn,
      })),
    };
  }

  close(): void {
    for (const f of this.fanouts.values()) {
      f.input.stop();
      f.counter.close();
    }
    this.fanouts.clear();
    this.player?.stop();
    this.tracks?.video?.stop();
    this.tracks?.audio?.stop();
  }

  private fanoutFor(kind: 'audio' | 'video', source: MediaStreamTrack, codec: NegotiatedCodec): Fanout {
    const { parameters: p } = codec;
    const key = [source.id, codec.codec, p['profile-level-id'] ?? '', p['packetization-mode'] ?? ''].join(
      '/',
    );
    const existing = this.fanouts.get(key);
    if (existing) return existing;
    for (const [k, f] of this.fanouts) {
      // Fanouts of a source that ended (a file played out) go with it.
      if (f.input.readyState === 'ended') this.fanouts.delete(k);
    }
    const options: EncoderOptions = {};
    if (codec.codec === 'h264') {
      options.h264 = {
        profileLevelId: p['profile-level-id'],
        packetizationMode: p['packetization-mode'] === '1' ? 1 : 0,
      };
    }
    const encoder =
      kind === 'audio'
        ? new CountingEncoder(createAudioEncoder(codec.codec, options))
        : new CountingEncoder(createVideoEncoder(codec.codec, options));
    const input = this.relay.subscribe(source);
    const entry: Fanout = {
      key,
      kind,
      fanout: new EncodedFanout(input, encoder as Encoder),
      input,
      counter: encoder as CountingEncoder,
      users: 0,
    };
    this.fanouts.set(key, entry);
    log.debug(`one ${codec.codec} encoder for every ${kind} viewer`);
    return entry;
  }

  private async open(): Promise<void> {
    this.player?.stop();
    const { playFrom } = this.options;
    if (playFrom) {
      this.player = await MediaPlayer.open(playFrom, {
        decode: this.options.decode ?? true,
        loop: this.options.loop ?? false,
      });
      this.sourceKind = 'file';
      this.tracks = { audio: this.player.audio, video: this.player.video };
      return;
    }
    const camera = cameraInput();
    try {
      this.player = await MediaPlayer.open(camera.file, {
        format: camera.format,
        options: { framerate: '30', video_size: '640x480' },
      });
      this.sourceKind = 'camera';
      this.tracks = { audio: null, video: this.player.video };
    } catch (error) {
      console.log(`no camera (${(error as Error).message}): sending aiortc's flag pattern instead`);
      this.player = null;
      this.sourceKind = 'pattern';
      this.tracks = { audio: null, video: new FlagVideoStreamTrack() };
    }
  }
}

/** aiortc's camera per platform. */
function cameraInput(): { file: string; format: string } {
  if (process.platform === 'darwin') return { file: 'default:none', format: 'avfoundation' };
  if (process.platform === 'win32') return { file: 'video=Integrated Camera', format: 'dshow' };
  return { file: '/dev/video0', format: 'v4l2' };
}

/**
 * MediaRecorder (aiortc's): writes tracks into a file whose container follows its name (mp4, webm, mkv, ogg,
 * wav, mp3, `frame-%3d.png`, …) or `format`. Raw frames are encoded (aiortc's codec choices); EncodedFrames
 * whose codec the container takes are remuxed without re-encoding (VP8 into WebM, H.264 into MP4, Opus into
 * WebM/Ogg); others are transcoded.
 *
 * The header is written once every track has given its first frame (or ended, or `headerTimeoutMs` passed);
 * the file is finalised on stop() and also when all tracks end, so a call that ends abruptly still leaves a
 * file that plays to the end. A failure is logged with the file and the reason, ends the recording, and leaves
 * either a finalised file or none.
 */
import { createLogger } from '../../common/logger.js';
import { EncodedFrame } from '../../media/encoded-frame.js';
import { MediaStreamError } from '../../media/errors.js';
import type { MediaFrame, MediaStreamTrack } from '../../media/track.js';
import { type ContainerPlan, planContainer } from './container.js';
import { hideCredentials, MediaFileError } from './errors.js';
import { loadFfmpeg, type NodeAv } from './ffmpeg.js';
import type { MediaPacket } from './media-packet.js';
import { Muxer } from './muxer.js';
import {
  EncodeWriter,
  RemuxWriter,
  type TrackWriter,
  TranscodeWriter,
  type WriterContext,
} from './recorder-writers.js';

const log = createLogger('media:recorder');

export interface MediaRecorderOptions {
  /** FFmpeg output format, when the file name does not say it ('mp4', 'matroska', 'webm', …). */
  format?: string;
  /** Muxer options, as on FFmpeg's command line without the dash (e.g. movflags: 'frag_keyframe+empty_moov'). */
  options?: Record<string, string>;
  /** How long to wait for a silent track's first frame before writing the file without it (default 5000 ms). */
  headerTimeoutMs?: number;
}

/** Packets a track may produce before the header is written; beyond, its oldest are dropped. */
const MAX_EARLY_PACKETS = 1024;

interface TrackState {
  track: MediaStreamTrack;
  writer: TrackWriter | null;
  ended: boolean;
  /** Stream index once the header is written; -1 for a track left out of the file. */
  index: number | null;
  early: MediaPacket[];
}

export class MediaRecorder {
  private readonly tracks: TrackState[] = [];
  private av: NodeAv | null = null;
  private plan: ContainerPlan | null = null;
  private muxer: Muxer | null = null;
  private state: 'new' | 'starting' | 'recording' | 'finishing' | 'done' = 'new';
  /** Every writer and muxer operation runs in this order, one at a time. */
  private ops: Promise<unknown> = Promise.resolve();
  private headerTimer: NodeJS.Timeout | undefined;
  private failure: MediaFileError | null = null;
  private starting: Promise<void> | null = null;
  private resolveFinished: () => void = () => undefined;
  /** Resolves once the file is finalised (or the recording failed: see `error`). Never rejects. */
  readonly finished: Promise<void>;

  constructor(
    readonly file: string,
    private readonly options: MediaRecorderOptions = {},
  ) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  /** Why the recording stopped early, or null. */
  get error(): MediaFileError | null {
    return this.failure;
  }

  /** Record this track too; before start() only. */
  addTrack(track: MediaStreamTrack): void {
    if (this.state !== 'new') throw new TypeError('MediaRecorder.addTrack() must come before start()');
    this.tracks.push({ track, writer: null, ended: false, index: null, early: [] });
  }

  /**
   * Create the file and start recording. Rejects with MediaFileError (no container for the name, the path
   * cannot be written) or CodecUnavailableError (node-av missing).
   */
  start(): Promise<void> {
    if (this.state !== 'new') return this.starting ?? Promise.resolve();
    this.starting = this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    this.state = 'starting';
    try {
      this.av = await loadFfmpeg('MediaRecorder');
      this.plan = planContainer(this.av, this.file, this.options.format);
      this.muxer = await Muxer.open(this.av, this.file, this.plan);
    } catch (error) {
      this.state = 'done';
      this.resolveFinished();
      throw error;
    }
    this.state = 'recording';
    const timeout = this.options.headerTimeoutMs ?? 5000;
    this.headerTimer = setTimeout(() => this.enqueue(() => this.writeHeader(true)), timeout);
    this.headerTimer.unref();
    for (const t of this.tracks) void this.pump(t);
    if (this.tracks.length === 0) this.enqueue(() => this.finish());
  }

  /** Stop recording and finalise the file (resolves once it is written). The tracks are left running. */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'done';
      this.resolveFinished();
      return;
    }
    // A stop() while start() is still opening the file finishes as soon as it is open.
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state === 'recording') this.enqueue(() => this.finish());
    await this.finished;
  }

  private async pump(t: TrackState): Promise<void> {
    for (;;) {
      let frame: MediaFrame;
      try {
        frame = await t.track.recv();
      } catch (error) {
        if (!(error instanceof MediaStreamError))
          log.warn(`${this.shown}: ${t.track.kind} track failed: ${String(error)}`);
        break;
      }
      if (this.state !== 'recording') return;
      await this.enqueue(() => this.accept(t, frame));
    }
    t.ended = true;
    this.enqueue(async () => {
      await this.writeHeader(false);
      if (this.tracks.every((x) => x.ended)) await this.finish();
    });
  }

  private async accept(t: TrackState, frame: MediaFrame): Promise<void> {
    if (this.state !== 'recording' || t.index === -1) return;
    t.writer ??= this.writerFor(t, frame);
    if (!t.writer) {
      t.index = -1;
      return;
    }
    const packets = await t.writer.write(frame);
    if (t.index === null) {
      t.early.push(...packets);
      if (t.early.length > MAX_EARLY_PACKETS) t.early.splice(0, t.early.length - MAX_EARLY_PACKETS);
      await this.writeHeader(false);
    } else for (const p of packets) this.muxer!.write(t.index, p);
  }

  private writerFor(t: TrackState, frame: MediaFrame): TrackWriter | null {
    const plan = this.plan!;
    const kind = t.track.kind === 'audio' ? 'audio' : 'video';
    const choice = kind === 'audio' ? plan.audio : plan.video;
    const ctx: WriterContext = {
      av: this.av!,
      file: this.file,
      globalHeader: plan.format.hasFlags(this.av!.constants.AVFMT_GLOBALHEADER),
    };
    if (frame instanceof EncodedFrame && plan.remux.has(frame.codec)) return new RemuxWriter(ctx);
    if (!choice) {
      log.warn(`${this.shown}: a ${plan.name} file takes no ${kind}: that track is not recorded`);
      return null;
    }
    return frame instanceof EncodedFrame ? new TranscodeWriter(ctx, choice) : new EncodeWriter(ctx, choice);
  }

  /** Write the header when every live track has its stream (or `force`, at the timeout or the end). */
  private async writeHeader(force: boolean): Promise<void> {
    const muxer = this.muxer!;
    if (muxer.started || this.state !== 'recording') return;
    const waiting = this.tracks.filter((t) => t.index === null && !t.writer?.spec && !t.ended);
    if (waiting.length && !force) return;
    const ready = this.tracks.filter((t) => t.index === null && t.writer?.spec);
    if (ready.length === 0) return;
    for (const t of this.tracks) {
      if (t.index !== null) continue;
      if (t.writer?.spec) t.index = muxer.addStream(t.writer.spec);
      else {
        if (!t.ended)
          log.warn(`${this.shown}: no ${t.track.kind} frame in time: the file is written without it`);
        t.index = -1;
      }
    }
    clearTimeout(this.headerTimer);
    await muxer.writeHeader(this.options.options);
    for (const t of this.tracks) {
      const early = t.early.splice(0);
      if (t.index! >= 0) for (const p of early) muxer.write(t.index!, p);
    }
  }

  /** Flush the encoders, write the trailer, close. With nothing recorded, the empty file is removed. */
  private async finish(): Promise<void> {
    if (this.state !== 'recording') return;
    clearTimeout(this.headerTimer);
    const muxer = this.muxer!;
    if (!muxer.started) await this.writeHeader(true);
    this.state = 'finishing';
    if (!muxer.started) {
      await muxer.abort();
      log.warn(`${this.shown}: nothing was recorded: no file written`);
    } else {
      for (const t of this.tracks) {
        if (!t.writer || t.index === null || t.index < 0) continue;
        for (const p of await t.writer.flush()) muxer.write(t.index, p);
      }
      await muxer.finish();
    }
    this.done();
  }

  private done(): void {
    for (const t of this.tracks) {
      t.writer?.close();
      t.early.length = 0;
    }
    this.state = 'done';
    this.resolveFinished();
  }

  /** Run an operation after the ones before it; a failure ends the recording (logged, never unhandled). */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.ops.then(op).catch((error: unknown) => this.fail(error));
    this.ops = run;
    return run;
  }

  /** End the recording after a failure: keep a finalised file, or remove it, and say which. */
  private async fail(error: unknown): Promise<void> {
    if (this.state === 'done') return;
    this.failure =
      error instanceof MediaFileError
        ? error
        : new MediaFileError(this.file, String(error), { cause: error });
    log.warn(`${this.failure.message}: recording stopped`);
    this.state = 'finishing';
    clearTimeout(this.headerTimer);
    const muxer = this.muxer;
    try {
      if (!muxer?.started || muxer.closed) throw new Error('no finished file');
      await muxer.finish();
      log.warn(`${this.shown}: kept what was recorded before the failure`);
    } catch {
      const removed = (await muxer?.abort().catch(() => false)) ?? false;
      log.warn(`${this.shown}: ${removed ? 'the unfinished file was removed' : 'no file finished'}`);
    } finally {
      this.done();
    }
  }

  private get shown(): string {
    return hideCredentials(this.file);
  }
}

/**
 * The one reader behind a MediaPlayer's tracks. Reading is pulled: a track that needs a packet makes the
 * reader read until one arrives for it; packets of the other track wait, still compressed, in that track's queue
 * (so a track pulled a little later still starts at the beginning, keyframe included). Queues are bounded in
 * packets and bytes: a track nobody pulls while the other goes on drops its own oldest packets (video: up to the
 * next keyframe, so its decoder never sees a broken reference chain). Nobody pulling means nothing is read.
 */
import { createLogger } from '../../common/logger.js';
import type { Demuxer } from './demuxer.js';
import { MediaFileError } from './errors.js';
import type { MediaPacket } from './media-packet.js';

const log = createLogger('media:player');

/** The input ended (or failed: see PlayerSource.error). */
export const END = Symbol('end');
/** The input was rewound for looping: the packets that follow start a new pass. */
export const LOOP = Symbol('loop');
export type SourceItem = MediaPacket | typeof END | typeof LOOP;

export interface QueueLimits {
  packets: number;
  bytes: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { packets: 512, bytes: 32 * 1024 * 1024 };

export class SourceQueue {
  readonly items: (MediaPacket | typeof LOOP)[] = [];
  bytes = 0;
  ended = false;
  /** Packets dropped because this track's consumer fell behind. */
  dropped = 0;
  private skipToKeyframe = false;

  constructor(
    readonly streamIndex: number,
    readonly kind: 'audio' | 'video',
    private readonly limits: QueueLimits,
  ) {}

  push(item: MediaPacket | typeof LOOP): void {
    if (item === LOOP) {
      this.items.push(item);
      return;
    }
    if (this.skipToKeyframe && !item.keyframe) {
      this.drop(item);
      return;
    }
    this.skipToKeyframe = false;
    this.items.push(item);
    this.bytes += item.size;
    if (this.items.length <= this.limits.packets && this.bytes <= this.limits.bytes) return;
    // Over the bound: drop the oldest; video drops on to the next keyframe (or all and waits for one).
    this.dropHead();
    if (this.kind === 'video') {
      while (this.items.length && !isKeyframe(this.items[0]!)) this.dropHead();
      if (this.items.length === 0) this.skipToKeyframe = true;
    }
  }

  shift(): MediaPacket | typeof LOOP | undefined {
    const item = this.items.shift();
    if (item && item !== LOOP) this.bytes -= item.size;
    return item;
  }

  clear(): void {
    this.items.length = 0;
    this.bytes = 0;
  }

  private dropHead(): void {
    const item = this.shift();
    if (item && item !== LOOP) this.drop(item);
  }

  private drop(_packet: MediaPacket): void {
    if (this.dropped++ === 0) log.warn(`${this.kind} consumer fell behind: dropping its oldest packets`);
  }
}

const isKeyframe = (item: MediaPacket | typeof LOOP): boolean => item === LOOP || item.keyframe;

export class PlayerSource {
  private readonly queues = new Map<number, SourceQueue>();
  private readingOne: Promise<void> | null = null;
  private finished = false;
  private packetsThisPass = 0;
  /** Why the input stopped early, if it did (the tracks ended cleanly; this says why). */
  error: MediaFileError | null = null;

  constructor(
    private readonly demuxer: Demuxer,
    private readonly loop: boolean,
    private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS,
  ) {}

  queue(streamIndex: number, kind: 'audio' | 'video'): SourceQueue {
    const q = new SourceQueue(streamIndex, kind, this.limits);
    this.queues.set(streamIndex, q);
    return q;
  }

  /** The next item for a queue, reading the input as needed. */
  async next(q: SourceQueue): Promise<SourceItem> {
    for (;;) {
      const item = q.shift();
      if (item) return item;
      if (this.finished || q.ended) return END;
      this.readingOne ??= this.readOne().finally(() => {
        this.readingOne = null;
      });
      await this.readingOne;
    }
  }

  /** A track ended or stopped: its queue is emptied; the input closes when no track is left. */
  release(q: SourceQueue): void {
    q.ended = true;
    q.clear();
    if ([...this.queues.values()].every((x) => x.ended)) void this.finish();
  }

  private async readOne(): Promise<void> {
    let packet: MediaPacket | null;
    try {
      packet = await this.demuxer.read();
    } catch (error) {
      this.error =
        error instanceof MediaFileError ? error : new MediaFileError(this.demuxer.file, String(error));
      log.warn(`${this.error.message}: the tracks end here`);
      packet = null;
    }
    if (!packet) {
      if (!this.error && this.loop && this.packetsThisPass > 0 && (await this.demuxer.rewind())) {
        this.packetsThisPass = 0;
        for (const q of this.queues.values()) if (!q.ended) q.push(LOOP);
        return;
      }
      await this.finish();
      return;
    }
    this.packetsThisPass++;
    const q = this.queues.get(packet.streamIndex);
    if (q && !q.ended) q.push(packet);
  }

  private async finish(): Promise<void> {
    this.finished = true;
    await this.demuxer.close();
  }
}

/**
 * The media session of one connection, driven by the runtime: the sans-I/O MediaSession (src/rtp) fed with
 * what DTLS demultiplexed as SRTP/SRTCP, keyed once DTLS connects, woken by the connection's single timer,
 * and flushed into the DTLS transport. Its events go to the senders and receivers of the connection, by mid.
 */
import { createLogger } from '../common/logger.js';
import type { RTCDtlsTransport } from '../dtls/transport.js';
import type { RTCIceTransport } from '../ice/transport.js';
import type { EncodedFrame } from '../media/encoded-frame.js';
import type { Runtime } from '../net/runtime.js';
import type { WakeRegistration, WakeScheduler } from '../net/wake-scheduler.js';
import { MediaSession } from '../rtp/media-session.js';
import type {
  MediaSessionEvent,
  MediaSessionStats,
  RtpSourceInfo,
  WriteFrameOptions,
} from '../rtp/media-session-types.js';
import type { MediaSessionConfig } from '../rtp/session-config.js';

const log = createLogger('pc:media');

/** Who hears the session's events: the connection routes them to the sender or receiver of each mid. */
export type MediaEventSink = (event: MediaSessionEvent) => void;

export class MediaLink {
  readonly session: MediaSession;
  private readonly timer: WakeRegistration;
  private readonly detachRtp: () => void;
  private keyed = false;
  private closed = false;

  constructor(
    private readonly runtime: Runtime,
    wakes: WakeScheduler,
    private readonly dtls: RTCDtlsTransport<RTCIceTransport>,
    cname: string,
    private readonly sink: MediaEventSink,
  ) {
    this.session = new MediaSession({
      wallClockAtZero: runtime.clock.wallTime() - runtime.clock.now(),
      random: runtime.random,
      cname,
    });
    this.timer = wakes.register(
      () => this.session.pollTimeout(),
      (now) => {
        this.session.handleTimeout(now);
        this.flush();
      },
    );
    this.detachRtp = dtls.attachRtp((datagram, receivedAt) => {
      this.session.handleDatagram(this.now(), datagram, receivedAt);
      this.flush();
    });
    dtls.addEventListener('statechange', this.onDtlsState);
    this.onDtlsState();
  }

  private now(): number {
    return this.runtime.clock.now();
  }

  /** Apply a negotiation's result (after every completed round). */
  configure(config: MediaSessionConfig): void {
    if (this.closed) return;
    this.session.configure(config);
    this.flush();
  }

  /** Send one encoded frame; false when the session refused it (not sending yet, no keys, pacer full). */
  writeFrame(
    mid: string,
    rid: string | undefined,
    frame: EncodedFrame,
    options?: WriteFrameOptions,
  ): boolean {
    if (this.closed) return false;
    const ok = this.session.writeFrame(this.now(), mid, rid, frame, {
      captureTime: this.now(),
      ...options,
    });
    this.flush();
    return ok;
  }

  /** A section's share of the estimate is kept within these (setParameters maxBitrate). */
  setBitrateLimits(mid: string, limits: { maxBitrate?: number } | undefined): void {
    if (this.closed) return;
    this.session.setBitrateLimits(mid, limits);
  }

  requestKeyframe(mid: string, rid?: string): void {
    if (this.closed) return;
    this.session.requestKeyframe(this.now(), mid, rid);
    this.flush();
  }

  get ready(): boolean {
    return this.keyed && !this.closed;
  }

  stats(): MediaSessionStats {
    return this.session.getStats(this.now());
  }

  synchronizationSources(mid: string): RtpSourceInfo[] {
    return this.session.getSynchronizationSources(this.now(), mid);
  }

  contributingSources(mid: string): RtpSourceInfo[] {
    return this.session.getContributingSources(this.now(), mid);
  }

  /** The clock the session's times are on, as Unix milliseconds (for W3C timestamps). */
  toWallTime(sessionTime: number): number {
    return this.runtime.clock.wallTime() - this.runtime.clock.now() + sessionTime;
  }

  /** BYE for our streams, then nothing more. */
  close(): void {
    if (this.closed) return;
    this.session.close(this.now());
    this.flush();
    this.closed = true;
    this.timer.close();
    this.detachRtp();
    this.dtls.removeEventListener('statechange', this.onDtlsState);
  }

  private readonly onDtlsState = (): void => {
    if (this.keyed || this.dtls.state !== 'connected') return;
    const keys = this.dtls.getSrtpKeyingMaterial();
    if (!keys) {
      log.warn('DTLS connected without an SRTP profile: media cannot flow');
      return;
    }
    this.keyed = true;
    this.session.setKeys(this.now(), keys);
    this.flush();
  };

  private flush(): void {
    for (let d = this.session.pollTransmit(); d; d = this.session.pollTransmit()) this.dtls.sendRtp(d);
    for (let e = this.session.pollEvent(); e; e = this.session.pollEvent()) this.sink(e);
    this.timer.schedule();
  }
}

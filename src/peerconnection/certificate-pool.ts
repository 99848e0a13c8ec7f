/**
 * Each RTCPeerConnection gets its own certificate. A few are made ahead, so that a new connection takes one
 * at once, and the pool is refilled when the event loop is idle (an unref'd setImmediate after a take, one
 * certificate per turn), never inside the take: a certificate costs a fraction of a millisecond, but the
 * setup path is where STUN checks wait. A certificate that waited more than a day is dropped, so none
 * expires much earlier than a fresh one would; none is handed out twice.
 */
import { RTCCertificate } from '../dtls/certificate.js';

const DAY_MS = 24 * 3600 * 1000;

export interface CertificatePoolOptions {
  /** Certificates kept ready (default 2: applications often create connections in pairs). */
  readonly size?: number;
  /** Older ones are dropped (default a day). */
  readonly maxAgeMs?: number;
  /** Makes one certificate (default: ECDSA P-256, 30 days). */
  readonly generate?: () => Promise<RTCCertificate>;
  /** Wall clock in ms (default Date.now). */
  readonly now?: () => number;
}

export class CertificatePool {
  private readonly ready: { certificate: RTCCertificate; createdAt: number }[] = [];
  private readonly size: number;
  private readonly maxAgeMs: number;
  private readonly generate: () => Promise<RTCCertificate>;
  private readonly now: () => number;
  private refilling = false;

  constructor(options: CertificatePoolOptions = {}) {
    this.size = options.size ?? 2;
    this.maxAgeMs = options.maxAgeMs ?? DAY_MS;
    this.generate = options.generate ?? (() => RTCCertificate.generateCertificate());
    this.now = options.now ?? Date.now;
  }

  /** Certificates ready to hand out now. */
  get available(): number {
    return this.ready.length;
  }

  /** A certificate never handed out before: a ready one when there is one, else a new one. */
  take(): Promise<RTCCertificate> {
    const now = this.now();
    while (this.ready.length > 0 && now - this.ready[0]!.createdAt >= this.maxAgeMs) this.ready.shift();
    const ready = this.ready.shift();
    this.scheduleRefill();
    return ready ? Promise.resolve(ready.certificate) : this.generate();
  }

  /** Fill the pool now (at start-up, or in tests); resolves when it is full. */
  async fill(): Promise<void> {
    while (this.ready.length < this.size) await this.addOne();
  }

  private scheduleRefill(): void {
    if (this.refilling || this.ready.length >= this.size) return;
    this.refilling = true;
    // Unref'd: a pool that is still filling never keeps the process alive.
    setImmediate(() => this.refillStep()).unref();
  }

  /** One certificate per event-loop turn, so a refill never holds the loop for long. */
  private refillStep(): void {
    this.addOne().then(
      () => {
        this.refilling = false;
        this.scheduleRefill();
      },
      () => {
        // Generation failed (it should not): stop; the next take tries again.
        this.refilling = false;
      },
    );
  }

  private async addOne(): Promise<void> {
    const certificate = await this.generate();
    // The SHA-256 fingerprint (cached by the certificate) is hashed here, off the path of createOffer.
    certificate.getFingerprints();
    this.ready.push({ certificate, createdAt: this.now() });
  }
}

const shared = new CertificatePool();

/** A fresh certificate for a new connection from the process-wide pool, never handed out twice. */
export function takeCertificate(): Promise<RTCCertificate> {
  return shared.take();
}

/**
 * The W3C [[Operations]] chain of a peer connection (webrtc-pc, "operations chain"): createOffer, createAnswer,
 * setLocalDescription, setRemoteDescription and addIceCandidate run one after the other. On a closed
 * connection a new operation rejects at once; one that finds the connection closed when it starts or ends
 * never settles (the W3C steps abort), so a close() leaves no rejection for anyone to handle.
 */
import { invalidState } from '../common/errors.js';

/** The promise of an operation the W3C steps abort. */
const NEVER = new Promise<never>(() => undefined);

export class OperationsChain {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly isClosed: () => boolean,
    /** The chain became empty (W3C: update the negotiation-needed flag if an update was put off). */
    private readonly onEmpty: () => void,
  ) {}

  /** An operation is queued or running. */
  get busy(): boolean {
    return this.pending > 0;
  }

  run<T>(name: string, op: () => Promise<T>): Promise<T> {
    if (this.isClosed()) {
      return Promise.reject(invalidState(`${name}() called on a closed RTCPeerConnection`));
    }
    this.pending++;
    const run = this.tail.then(() => (this.isClosed() ? NEVER : op()));
    this.tail = run.catch(() => undefined);
    return new Promise<T>((resolve, reject) => {
      run.then(
        (value) => {
          this.done();
          if (!this.isClosed()) resolve(value);
        },
        (err: unknown) => {
          this.done();
          if (!this.isClosed()) reject(err);
        },
      );
    });
  }

  private done(): void {
    this.pending--;
    if (this.pending === 0) this.onEmpty();
  }
}

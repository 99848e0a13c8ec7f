/**
 * The receive side shared by every Signaling: a newline splitter with a size bound, and a queue that hands
 * parsed messages (or the error a bad one caused) to `receive()` callers in order.
 */
import {
  BYE,
  MAX_SIGNALING_MESSAGE_BYTES,
  objectFromString,
  SignalingError,
  type SignalingObject,
} from './wire.js';

type Entry = { obj: SignalingObject } | { error: SignalingError };

export class SignalingInbox {
  private readonly entries: Entry[] = [];
  private readonly waiters: ((entry: Entry) => void)[] = [];
  private ended = false;
  /** Messages refused as malformed or oversized (they surface once each from `receive()`). */
  rejected = 0;

  constructor(private readonly maxBytes = MAX_SIGNALING_MESSAGE_BYTES) {}

  /** Parse and queue one message text; a bad one is queued as its error so `receive()` reports it. */
  pushText(text: string): void {
    if (text.trim() === '') return;
    try {
      this.push({ obj: objectFromString(text, this.maxBytes) });
    } catch (e) {
      this.pushError(e instanceof SignalingError ? e : new SignalingError(String(e), 'malformed'));
    }
  }

  pushError(error: SignalingError): void {
    this.rejected++;
    this.push({ error });
  }

  /** The remote end went away: pending and later `receive()` calls get BYE. */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ obj: BYE });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Next message; BYE once the stream ended. Rejects with SignalingError for a bad message, then continues. */
  receive(): Promise<SignalingObject> {
    const entry = this.entries.shift();
    if (entry) return settle(entry);
    if (this.ended) return Promise.resolve(BYE);
    return new Promise<Entry>((resolve) => this.waiters.push(resolve)).then(settle);
  }

  private push(entry: Entry): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(entry);
    // Bound memory if nobody reads: keep at most 1024 unread messages, dropping the oldest.
    else if (this.entries.push(entry) > 1024) this.entries.shift();
  }
}

function settle(entry: Entry): Promise<SignalingObject> {
  return 'obj' in entry ? Promise.resolve(entry.obj) : Promise.reject(entry.error);
}

/**
 * Splits a byte stream into newline-terminated UTF-8 lines. A line longer than `maxBytes` is discarded up to its
 * newline (memory stays bounded) and reported once through `onOversize`.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void,
    private readonly maxBytes = MAX_SIGNALING_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.discarding) {
        this.size += end - start;
        if (this.size > this.maxBytes) {
          this.parts = [];
          this.size = 0;
          this.discarding = true;
          this.onOversize();
        } else if (end > start) this.parts.push(chunk.subarray(start, end));
      }
      if (nl === -1) return;
      if (!this.discarding) this.onLine(Buffer.concat(this.parts).toString('utf8').replace(/\r$/, ''));
      this.parts = [];
      this.size = 0;
      this.discarding = false;
      start = nl + 1;
    }
  }

  /** End of stream: a final unterminated line still counts. */
  flush(): void {
    if (!this.discarding && this.size > 0) this.onLine(Buffer.concat(this.parts).toString('utf8'));
    this.parts = [];
    this.size = 0;
    this.discarding = false;
  }
}

export function oversizeError(maxBytes = MAX_SIGNALING_MESSAGE_BYTES): SignalingError {
  return new SignalingError(`signaling message over ${maxBytes} bytes refused`, 'oversize');
}

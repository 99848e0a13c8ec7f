/**
 * Splits a TCP/TLS byte stream from a TURN server into STUN messages and ChannelData messages
 * (RFC 8656 §11.5/§12.5: STUN frames are 20 + length bytes; ChannelData frames are 4 + length bytes
 * rounded up to a multiple of 4). A first byte that is neither means the stream is out of step: there is
 * no way to find the next frame, so the buffer is dropped and `corrupt` is set for the runtime to reconnect.
 */
import { HEADER_LENGTH, MAGIC_COOKIE } from '../../stun/constants.js';

/** The largest frame either kind can describe; the buffer never holds more than one of these plus a chunk. */
const MAX_FRAME = HEADER_LENGTH + 0xffff;

export class StreamFramer {
  private buffer = new Uint8Array(0);
  private length = 0;
  /** Set once the stream could not be framed; further input is ignored until `reset()`. */
  corrupt = false;
  /** Bytes discarded because the stream was out of step. */
  discardedBytes = 0;

  /** Feed a chunk; returns the complete frames it finishes, in order. Frames are independent copies. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    if (this.corrupt) {
      this.discardedBytes += chunk.byteLength;
      return frames;
    }
    // Fast path: nothing buffered, so whole frames can be cut straight out of the chunk.
    let source = chunk;
    if (this.length > 0) {
      this.append(chunk);
      source = this.buffer.subarray(0, this.length);
    }
    let at = 0;
    for (;;) {
      const size = frameSize(source, at);
      if (size === undefined) break;
      if (size < 0) {
        this.corrupt = true;
        this.discardedBytes += source.byteLength - at;
        this.length = 0;
        return frames;
      }
      if (source.byteLength - at < size) break;
      frames.push(source.slice(at, at + size));
      at += size;
    }
    const rest = source.subarray(at);
    if (source === chunk) {
      this.length = 0;
      if (rest.byteLength > 0) this.append(rest);
    } else {
      this.buffer.copyWithin(0, at, this.length);
      this.length -= at;
    }
    return frames;
  }

  reset(): void {
    this.length = 0;
    this.corrupt = false;
  }

  /** Bytes waiting for the rest of their frame. */
  get buffered(): number {
    return this.length;
  }

  private append(bytes: Uint8Array): void {
    const need = this.length + bytes.byteLength;
    if (need > this.buffer.byteLength) {
      const next = new Uint8Array(Math.max(need, Math.min(this.buffer.byteLength * 2, MAX_FRAME * 2), 2048));
      next.set(this.buffer.subarray(0, this.length));
      this.buffer = next;
    }
    this.buffer.set(bytes, this.length);
    this.length = need;
  }
}

/** Size of the frame starting at `at`; undefined when more bytes are needed to tell; -1 when invalid. */
function frameSize(source: Uint8Array, at: number): number | undefined {
  const available = source.byteLength - at;
  if (available < 4) return available > 0 && (source[at]! & 0xc0) >= 0x80 ? -1 : undefined;
  const first = source[at]!;
  const length = (source[at + 2]! << 8) | source[at + 3]!;
  if ((first & 0xc0) === 0) {
    if ((length & 3) !== 0) return -1;
    if (available >= 8) {
      const cookie =
        ((source[at + 4]! << 24) | (source[at + 5]! << 16) | (source[at + 6]! << 8) | source[at + 7]!) >>> 0;
      if (cookie !== MAGIC_COOKIE) return -1;
    }
    return HEADER_LENGTH + length;
  }
  if (first >= 0x40 && first <= 0x4f) return 4 + length + ((4 - (length & 3)) & 3);
  return -1;
}

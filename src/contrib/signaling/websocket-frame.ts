/**
 * RFC 6455 framing, sans-I/O: `encodeFrame` builds one frame; `WebSocketFrameParser` turns received bytes into
 * frames, enforcing the masking direction, RSV bits (no extensions are negotiated), control-frame rules and a
 * frame size bound. A violation is reported once, with the close code to send, and the parser stops.
 */

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

const KNOWN_OPCODES: ReadonlySet<number> = new Set(Object.values(OPCODE));

/** RFC 6455 §7.4.1 close codes used here. */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  tooBig: 1009,
} as const;

export interface WebSocketFrame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

export interface FrameParserOptions {
  /** True on the server: client frames must be masked (§5.1); false on the client: server frames must not be. */
  expectMasked: boolean;
  maxFrameBytes: number;
}

export class WebSocketFrameParser {
  private pending: Uint8Array = new Uint8Array(0);
  private failed = false;

  constructor(
    private readonly options: FrameParserOptions,
    private readonly onFrame: (frame: WebSocketFrame) => void,
    private readonly onViolation: (closeCode: number, reason: string) => void,
  ) {}

  push(bytes: Uint8Array): void {
    if (this.failed) return;
    this.pending = this.pending.byteLength === 0 ? bytes : concat(this.pending, bytes);
    for (;;) {
      const consumed = this.parseOne(this.pending);
      if (consumed === 0 || this.failed) break;
      this.pending = this.pending.subarray(consumed);
    }
    // Keep only what an incomplete frame needs, never a view on a large consumed buffer.
    if (this.pending.byteLength > 0 && this.pending.buffer.byteLength > this.pending.byteLength * 2)
      this.pending = this.pending.slice();
  }

  /** Returns the bytes one complete frame used, or 0 when more bytes are needed (or parsing failed). */
  private parseOne(b: Uint8Array): number {
    if (b.byteLength < 2) return 0;
    const b0 = b[0] as number;
    const b1 = b[1] as number;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (b0 & 0x70) return this.fail(CLOSE_CODE.protocolError, 'reserved bits set without an extension');
    const control = opcode >= 0x8;
    if (!KNOWN_OPCODES.has(opcode)) return this.fail(CLOSE_CODE.protocolError, 'unknown opcode');
    if (control && (!fin || length > 125))
      return this.fail(CLOSE_CODE.protocolError, 'control frame fragmented or over 125 bytes');
    if (masked !== this.options.expectMasked)
      return this.fail(
        CLOSE_CODE.protocolError,
        masked ? 'server frames must not be masked' : 'frame not masked',
      );
    if (length === 126) {
      if (b.byteLength < 4) return 0;
      length = ((b[2] as number) << 8) | (b[3] as number);
      offset = 4;
    } else if (length === 127) {
      if (b.byteLength < 10) return 0;
      const view = new DataView(b.buffer, b.byteOffset + 2, 8);
      const high = view.getUint32(0);
      if (high & 0x80000000) return this.fail(CLOSE_CODE.protocolError, '64-bit length with the top bit set');
      if (high !== 0) return this.fail(CLOSE_CODE.tooBig, 'frame too big');
      length = view.getUint32(4);
      offset = 10;
    }
    if (length > this.options.maxFrameBytes) return this.fail(CLOSE_CODE.tooBig, 'frame too big');
    const maskOffset = offset;
    if (masked) offset += 4;
    if (b.byteLength < offset + length) return 0;
    const payload = b.slice(offset, offset + length);
    if (masked) {
      for (let i = 0; i < payload.byteLength; i++)
        payload[i] = (payload[i] as number) ^ (b[maskOffset + (i & 3)] as number);
    }
    this.onFrame({ fin, opcode, payload });
    return offset + length;
  }

  private fail(code: number, reason: string): number {
    this.failed = true;
    this.pending = new Uint8Array(0);
    this.onViolation(code, reason);
    return 0;
  }
}

/** One frame; `mask` (4 bytes) is required from clients and forbidden from servers. */
export function encodeFrame(opcode: number, payload: Uint8Array, mask?: Uint8Array, fin = true): Uint8Array {
  const length = payload.byteLength;
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const out = new Uint8Array(header + (mask ? 4 : 0) + length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) out[1] = length;
  else if (length < 0x10000) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setUint32(6, length);
  }
  let offset = header;
  if (mask) {
    out[1] = (out[1] as number) | 0x80;
    out.set(mask.subarray(0, 4), offset);
    offset += 4;
    for (let i = 0; i < length; i++) out[offset + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  } else out.set(payload, offset);
  return out;
}

/** Close frame payload: 2-byte code then a UTF-8 reason, cut to fit 125 bytes. */
export function closePayload(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const out = new Uint8Array(2 + text.byteLength);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

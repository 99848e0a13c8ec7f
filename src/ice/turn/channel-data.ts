/**
 * TURN ChannelData messages (RFC 8656 §12.4): a 4-byte header (channel number, length) and the
 * application data. Over UDP the padding to 4 bytes is optional; over TCP/TLS it is mandatory (§12.5).
 */

/** Channel numbers a client may bind (RFC 8656 §12: 0x4000 through 0x4FFF). */
export const CHANNEL_MIN = 0x4000;
export const CHANNEL_MAX = 0x4fff;
export const CHANNEL_HEADER_LENGTH = 4;

/** True when the first byte says ChannelData (RFC 7983: 64–79 is TURN channel data). */
export function isChannelData(data: Uint8Array): boolean {
  return data.byteLength >= CHANNEL_HEADER_LENGTH && data[0]! >= 0x40 && data[0]! <= 0x4f;
}

export interface ChannelDataMessage {
  readonly channel: number;
  /** A view into the input: no copy. */
  readonly data: Uint8Array;
}

/**
 * Parse one ChannelData message. Returns undefined (never throws) when the header is short, the channel
 * is outside the client range or the length field claims more bytes than there are. Trailing bytes
 * beyond the length (padding) are ignored.
 */
export function parseChannelData(frame: Uint8Array): ChannelDataMessage | undefined {
  if (frame.byteLength < CHANNEL_HEADER_LENGTH) return undefined;
  const channel = (frame[0]! << 8) | frame[1]!;
  const length = (frame[2]! << 8) | frame[3]!;
  if (channel < CHANNEL_MIN || channel > CHANNEL_MAX) return undefined;
  if (length > frame.byteLength - CHANNEL_HEADER_LENGTH) return undefined;
  return { channel, data: frame.subarray(CHANNEL_HEADER_LENGTH, CHANNEL_HEADER_LENGTH + length) };
}

/** Encode a ChannelData message; `pad` rounds the total length up to a multiple of 4 (needed on streams). */
export function encodeChannelData(channel: number, data: Uint8Array, pad: boolean): Uint8Array {
  if (channel < CHANNEL_MIN || channel > CHANNEL_MAX) throw new RangeError(`bad TURN channel ${channel}`);
  if (data.byteLength > 0xffff) throw new RangeError('ChannelData payload over 65535 bytes');
  const padding = pad ? (4 - (data.byteLength & 3)) & 3 : 0;
  const out = new Uint8Array(CHANNEL_HEADER_LENGTH + data.byteLength + padding);
  out[0] = channel >> 8;
  out[1] = channel & 0xff;
  out[2] = data.byteLength >> 8;
  out[3] = data.byteLength & 0xff;
  out.set(data, CHANNEL_HEADER_LENGTH);
  return out;
}

/**
 * Audio payload formats where one RTP payload carries exactly one frame: Opus (RFC 7587), PCMU/PCMA and G.722
 * (RFC 3551). Frames larger than the payload limit are refused rather than split: audio frames are never
 * fragmented in RTP.
 */
import {
  DEFAULT_MAX_PAYLOAD_SIZE,
  type Depayloader,
  type Payloader,
  type PayloadInfo,
  type RtpPacketLike,
  type RtpPayloadChunk,
} from './types.js';

const AUDIO_INFO: PayloadInfo = { frameStart: true, keyframe: true };

export class AudioPayloader implements Payloader {
  constructor(readonly maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE) {}

  packetize(frame: Uint8Array): RtpPayloadChunk[] {
    if (frame.byteLength === 0) return [];
    if (frame.byteLength > this.maxPayloadSize) {
      throw new RangeError(`audio frame of ${frame.byteLength} bytes exceeds ${this.maxPayloadSize}`);
    }
    // The marker bit flags the start of a talkspurt (RFC 3551 §4.1); a continuous stream leaves it clear.
    return [{ payload: frame, marker: false }];
  }
}

export class AudioDepayloader implements Depayloader {
  inspect(payload: Uint8Array): PayloadInfo | null {
    return payload.byteLength > 0 ? AUDIO_INFO : null;
  }

  depacketize(packets: readonly RtpPacketLike[]): Uint8Array | null {
    if (packets.length !== 1) return null;
    const payload = packets[0]!.payload;
    return payload.byteLength > 0 ? payload : null;
  }
}

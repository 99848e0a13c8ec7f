/** RTCSessionDescription (W3C): a type and an SDP string; plain init objects are accepted everywhere. */

export type RTCSdpType = 'offer' | 'pranswer' | 'answer' | 'rollback';

export interface RTCSessionDescriptionInit {
  type: RTCSdpType;
  sdp?: string;
}

const TYPES: readonly RTCSdpType[] = ['offer', 'pranswer', 'answer', 'rollback'];

export function isSdpType(value: unknown): value is RTCSdpType {
  return typeof value === 'string' && (TYPES as readonly string[]).includes(value);
}

export class RTCSessionDescription {
  readonly type: RTCSdpType;
  readonly sdp: string;

  constructor(init: RTCSessionDescriptionInit) {
    if (!init || !isSdpType(init.type)) {
      throw new TypeError(
        `RTCSessionDescription type must be one of ${TYPES.join(', ')}, not ${String(init?.type)}`,
      );
    }
    if (init.sdp !== undefined && typeof init.sdp !== 'string') throw new TypeError('sdp must be a string');
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }

  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp };
  }
}

/** W3C RTCError and RTCErrorEvent (webrtc-pc §11), as data channels report them. */

export type RTCErrorDetailType =
  | 'data-channel-failure'
  | 'dtls-failure'
  | 'fingerprint-failure'
  | 'sctp-failure'
  | 'sdp-syntax-error'
  | 'hardware-encoder-not-available'
  | 'hardware-encoder-error';

export interface RTCErrorInit {
  errorDetail: RTCErrorDetailType;
  sctpCauseCode?: number;
}

export class RTCError extends DOMException {
  readonly errorDetail: RTCErrorDetailType;
  readonly sctpCauseCode: number | null;
  readonly sdpLineNumber: number | null = null;
  readonly httpRequestStatusCode: number | null = null;
  readonly receivedAlert: number | null = null;
  readonly sentAlert: number | null = null;

  constructor(init: RTCErrorInit, message = '') {
    super(message, 'OperationError');
    this.errorDetail = init.errorDetail;
    this.sctpCauseCode = init.sctpCauseCode ?? null;
  }
}

export class RTCErrorEvent extends Event {
  readonly error: RTCError;
  constructor(type: string, init: { error: RTCError }) {
    super(type);
    this.error = init.error;
  }
}

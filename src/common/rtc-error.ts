/** W3C RTCError and RTCErrorEvent (webrtc-pc §11): one class for every layer that reports them. */

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
  sdpLineNumber?: number | null;
  sctpCauseCode?: number | null;
  /** DTLS alert received / sent (null when none). */
  receivedAlert?: number | null;
  sentAlert?: number | null;
  httpRequestStatusCode?: number | null;
}

/** An OperationError with the W3C details of what failed. */
export class RTCError extends DOMException {
  readonly errorDetail: RTCErrorDetailType;
  readonly sdpLineNumber: number | null;
  readonly sctpCauseCode: number | null;
  readonly receivedAlert: number | null;
  readonly sentAlert: number | null;
  readonly httpRequestStatusCode: number | null;

  constructor(init: RTCErrorInit, message = '') {
    super(message, 'OperationError');
    this.errorDetail = init.errorDetail;
    this.sdpLineNumber = init.sdpLineNumber ?? null;
    this.sctpCauseCode = init.sctpCauseCode ?? null;
    this.receivedAlert = init.receivedAlert ?? null;
    this.sentAlert = init.sentAlert ?? null;
    this.httpRequestStatusCode = init.httpRequestStatusCode ?? null;
  }
}

export class RTCErrorEvent extends Event {
  readonly error: RTCError;
  constructor(type: string, init: { error: RTCError }) {
    super(type);
    this.error = init.error;
  }
}

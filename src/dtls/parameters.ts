/** ORTC dictionaries of the DTLS layer (aiortc's RTCDtlsParameters, W3C RTCDtlsRole) and W3C RTCError. */
import type { RTCDtlsFingerprint } from './fingerprint.js';

export type RTCDtlsRole = 'auto' | 'client' | 'server';

export class RTCDtlsParameters {
  constructor(
    readonly fingerprints: RTCDtlsFingerprint[] = [],
    readonly role: RTCDtlsRole = 'auto',
  ) {}
}

export type RTCErrorDetailType = 'dtls-failure' | 'fingerprint-failure';

/** W3C RTCError: an OperationError with the DTLS details of what went wrong. */
export class RTCError extends DOMException {
  readonly errorDetail: RTCErrorDetailType;
  /** The alert we received (null when none) and the alert we sent (null when none). */
  readonly receivedAlert: number | null;
  readonly sentAlert: number | null;

  constructor(
    init: { errorDetail: RTCErrorDetailType; receivedAlert?: number | null; sentAlert?: number | null },
    message = '',
  ) {
    super(message, 'OperationError');
    this.errorDetail = init.errorDetail;
    this.receivedAlert = init.receivedAlert ?? null;
    this.sentAlert = init.sentAlert ?? null;
  }
}

/** W3C RTCErrorEvent, fired as `error` on RTCDtlsTransport when the handshake fails. */
export class RTCErrorEvent extends Event {
  constructor(
    type: 'error',
    readonly error: RTCError,
  ) {
    super(type);
  }
}

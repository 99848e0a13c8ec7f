/** ORTC dictionaries of the DTLS layer (aiortc's RTCDtlsParameters, W3C RTCDtlsRole); RTCError lives in common. */
import type { RTCDtlsFingerprint } from './fingerprint.js';

export type RTCDtlsRole = 'auto' | 'client' | 'server';

export class RTCDtlsParameters {
  constructor(
    readonly fingerprints: RTCDtlsFingerprint[] = [],
    readonly role: RTCDtlsRole = 'auto',
  ) {}
}

export { RTCError, type RTCErrorDetailType, RTCErrorEvent } from '../common/rtc-error.js';

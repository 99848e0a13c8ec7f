/** Data channels report errors with the W3C RTCError shared by every layer. */
export { RTCError, type RTCErrorDetailType, RTCErrorEvent, type RTCErrorInit } from '../common/rtc-error.js';

/**
 * The one error the SDP parser throws: a DOMException named `SyntaxError` that also carries the W3C
 * RTCError fields (`errorDetail: 'sdp-syntax-error'`, `sdpLineNumber`), so the peer connection can reject
 * `setRemoteDescription` with it as it stands or wrap it.
 */
export class SdpSyntaxError extends DOMException {
  readonly errorDetail = 'sdp-syntax-error';
  /** 1-based line number in the SDP text; 0 when the problem is the description as a whole. */
  readonly sdpLineNumber: number;

  constructor(message: string, sdpLineNumber: number) {
    super(sdpLineNumber > 0 ? `SDP line ${sdpLineNumber}: ${message}` : `SDP: ${message}`, 'SyntaxError');
    this.sdpLineNumber = sdpLineNumber;
  }
}

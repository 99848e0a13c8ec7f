/**
 * The SCTP data channel section in its two forms: the modern `UDP/DTLS/SCTP webrtc-datachannel` with
 * `a=sctp-port` and `a=max-message-size` (RFC 8841), and the legacy `DTLS/SCTP <port>` with
 * `a=sctpmap:<port> webrtc-datachannel <streams>` (draft-ietf-mmusic-sctp-sdp-05) that old peers still send.
 */
import type { MediaSection } from '../types.js';
import { emptyMediaSection } from '../types.js';

/** RFC 8841 §6: without `a=max-message-size` the peer accepts at least 64 KiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65536;
/** RFC 8841 §5: `a=sctp-port` defaults to 5000. */
export const DEFAULT_SCTP_PORT = 5000;

export interface DataChannelSection {
  /** The SCTP port of the peer's association. */
  sctpPort: number;
  /** Largest message the peer accepts; 0 means no limit (RFC 8841 §6). */
  maxMessageSize: number;
  legacy: boolean;
  /** The protocol token as offered, to answer in the same form. */
  protocol: string;
}

/** The data channel parameters of a section, or undefined when it is not an SCTP data channel section. */
export function dataChannelSection(section: MediaSection): DataChannelSection | undefined {
  if (section.kind !== 'application') return undefined;
  const p = section.protocol.toUpperCase();
  const maxMessageSize = section.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if ((p === 'UDP/DTLS/SCTP' || p === 'TCP/DTLS/SCTP') && section.formats.includes('webrtc-datachannel')) {
    return {
      sctpPort: section.sctpPort ?? DEFAULT_SCTP_PORT,
      maxMessageSize,
      legacy: false,
      protocol: section.protocol,
    };
  }
  if (p === 'DTLS/SCTP') {
    if (section.sctpmap && section.sctpmap.protocol !== 'webrtc-datachannel') return undefined;
    const fromFormat = Number(section.formats[0]);
    const sctpPort = section.sctpmap?.port ?? (Number.isInteger(fromFormat) ? fromFormat : DEFAULT_SCTP_PORT);
    return { sctpPort, maxMessageSize, legacy: true, protocol: section.protocol };
  }
  return undefined;
}

/**
 * A data section for an offer or answer, in the modern form unless `legacy` (answer a legacy offer in kind,
 * as aiortc does). Browsers write `max-message-size:262144`.
 */
export function createDataChannelSection(
  options: { legacy?: boolean; sctpPort?: number; maxMessageSize?: number; mid?: string } = {},
): MediaSection {
  const port = options.sctpPort ?? DEFAULT_SCTP_PORT;
  const section = options.legacy
    ? emptyMediaSection('application', 'DTLS/SCTP', [String(port)])
    : emptyMediaSection('application', 'UDP/DTLS/SCTP', ['webrtc-datachannel']);
  section.connection = { netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  if (options.mid !== undefined) section.mid = options.mid;
  if (options.legacy) section.sctpmap = { port, protocol: 'webrtc-datachannel', streams: 65535 };
  else section.sctpPort = port;
  if (options.maxMessageSize !== undefined) section.maxMessageSize = options.maxMessageSize;
  return section;
}

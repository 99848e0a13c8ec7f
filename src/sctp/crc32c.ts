/** The SCTP checksum (RFC 9260 Appendix A): CRC-32C over the packet with its checksum field as zero. */
import { crc32c, crc32cContinue } from '../common/crc.js';

const ZERO4 = new Uint8Array(4);

/**
 * The checksum as it sits on the wire: SCTP stores the CRC-32C in little-endian byte order in the
 * big-endian header field, so read/write it with DataView little-endian.
 */
export function sctpChecksum(packet: Uint8Array): number {
  // The checksum field (bytes 8..11) counts as zero.
  let c = crc32c(packet, 0, 8);
  c = crc32cContinue(c, ZERO4, 0, 4);
  return crc32cContinue(c, packet, 12, packet.byteLength);
}

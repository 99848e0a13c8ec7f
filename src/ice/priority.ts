/**
 * Candidate and pair priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3, §6.1.2.3).
 */
import { crc32 } from '../common/crc.js';

export type RTCIceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** RFC 8445 §5.1.2.2 recommended type preferences. */
export const TYPE_PREFERENCE: Readonly<Record<RTCIceCandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/**
 * priority = 2^24·type preference + 2^8·local preference + (256 − component id).
 * The local preference (0–65535) orders candidates of one type, e.g. by interface or address family.
 */
export function candidatePriority(
  type: RTCIceCandidateType,
  localPreference = 65535,
  componentId = 1,
): number {
  if (localPreference < 0 || localPreference > 65535) throw new RangeError('local preference is 0–65535');
  if (componentId < 1 || componentId > 256) throw new RangeError('component id is 1–256');
  return TYPE_PREFERENCE[type] * 2 ** 24 + localPreference * 2 ** 8 + (256 - componentId);
}

/**
 * Pair priority = 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G the controlling side's candidate priority.
 * It needs 64 bits, hence bigint.
 */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling);
  const d = BigInt(controlled);
  const min = g < d ? g : d;
  const max = g < d ? d : g;
  return (min << 32n) + 2n * max + (g > d ? 1n : 0n);
}

/**
 * A foundation is equal for candidates that share type, base IP, protocol and STUN/TURN server
 * (RFC 8445 §5.1.1.3); any string of 1–32 ice-chars works, so a CRC of those fields does.
 */
export function candidateFoundation(
  type: RTCIceCandidateType,
  baseAddress: string,
  protocol: 'udp' | 'tcp' = 'udp',
  serverAddress = '',
): string {
  const key = new TextEncoder().encode(`${type}|${baseAddress}|${protocol}|${serverAddress}`);
  return String(crc32(key) >>> 0);
}

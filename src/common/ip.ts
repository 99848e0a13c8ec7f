/** IP address text <-> bytes (IPv4 dotted quad; IPv6 with RFC 5952 canonical output). */
import { isIPv4, isIPv6 } from 'node:net';

export function isIpAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** Parse an IPv4 or IPv6 literal to 4 or 16 bytes; throws TypeError for anything else. */
export function ipToBytes(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zoneless = bare.split('%')[0]!;
  if (!isIPv6(zoneless)) throw new TypeError(`not an IP address: ${text}`);
  let head = zoneless;
  let tail = '';
  const dbl = zoneless.indexOf('::');
  if (dbl >= 0) {
    head = zoneless.slice(0, dbl);
    tail = zoneless.slice(dbl + 2);
  }
  const toGroups = (s: string): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(Number.parseInt(part, 16));
    }
    return out;
  };
  const h = toGroups(head);
  const t = toGroups(tail);
  const groups = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** Format 4 or 16 bytes as an address literal (IPv6 compressed, lower case, RFC 5952). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.byteLength !== 16)
    throw new TypeError(`an IP address has 4 or 16 bytes, not ${bytes.byteLength}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of two or more zero groups becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

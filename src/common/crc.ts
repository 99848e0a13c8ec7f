/**
 * CRC-32 (STUN FINGERPRINT, RFC 8489 §14.7), byte-at-a-time, and CRC-32C (SCTP, RFC 9260 Appendix A),
 * slicing-by-8: about four times faster, which matters because every SCTP packet is checksummed twice.
 */

function makeTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = makeTable(0xedb88320);

function run(table: Uint32Array, data: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crc32(data: Uint8Array, start = 0, end = data.byteLength): number {
  return run(CRC32_TABLE, data, start, end);
}

export function crc32c(data: Uint8Array, start = 0, end = data.byteLength): number {
  return crc32cContinue(0, data, start, end);
}

const CRC32C_TABLES: Uint32Array[] = [];
{
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  CRC32C_TABLES.push(t0);
  for (let k = 1; k < 8; k++) {
    const prev = CRC32C_TABLES[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    CRC32C_TABLES.push(t);
  }
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = CRC32C_TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** Continue a finished CRC-32C over more bytes (prev = 0 starts a new one). */
export function crc32cContinue(prev: number, data: Uint8Array, start: number, end: number): number {
  let c = (prev ^ 0xffffffff) >>> 0;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  while (i < stop8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

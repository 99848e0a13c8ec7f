/** Table-driven CRC-32 (STUN FINGERPRINT, RFC 8489 §14.7) and CRC-32C (SCTP, RFC 9260 Appendix A). */

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
const CRC32C_TABLE = makeTable(0x82f63b78);

function run(table: Uint32Array, data: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crc32(data: Uint8Array, start = 0, end = data.byteLength): number {
  return run(CRC32_TABLE, data, start, end);
}

export function crc32c(data: Uint8Array, start = 0, end = data.byteLength): number {
  return run(CRC32C_TABLE, data, start, end);
}

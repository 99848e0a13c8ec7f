/**
 * Making demuxed bitstreams RTP-ready for pass-through, in TypeScript (no native filter to manage):
 * H.264 from MP4/MKV (length-prefixed, parameter sets in the avcC record) becomes Annex B, and every keyframe
 * carries SPS and PPS in front (a receiver may join at any keyframe); an AV1 keyframe gets the sequence header
 * OBU when it lacks one. Malformed input never throws: what cannot be parsed is passed on unchanged.
 */

const START_CODE = new Uint8Array([0, 0, 0, 1]);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** The NAL units of an Annex B buffer (without start codes). */
export function annexBNalUnits(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.byteLength) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        while (end > start && data[end - 1] === 0) end--; // trailing zero of a 4-byte start code
        units.push(data.subarray(start, end));
      }
      i += 3;
      start = i;
    } else i++;
  }
  if (start >= 0 && start < data.byteLength) units.push(data.subarray(start));
  return units.filter((u) => u.byteLength > 0);
}

export const isAnnexB = (data: Uint8Array): boolean =>
  data.byteLength >= 4 &&
  data[0] === 0 &&
  data[1] === 0 &&
  (data[2] === 1 || (data[2] === 0 && data[3] === 1));

/** Parameter sets and NAL length size of an avcC record (ISO/IEC 14496-15 §5.3.3.1), or null. */
export function parseAvcC(
  record: Uint8Array,
): { lengthSize: number; sps: Uint8Array[]; pps: Uint8Array[] } | null {
  if (record.byteLength < 7 || record[0] !== 1) return null;
  const lengthSize = ((record[4] as number) & 3) + 1;
  let offset = 5;
  const read = (count: number): Uint8Array[] | null => {
    const sets: Uint8Array[] = [];
    for (let n = 0; n < count; n++) {
      if (offset + 2 > record.byteLength) return null;
      const len = ((record[offset] as number) << 8) | (record[offset + 1] as number);
      offset += 2;
      if (offset + len > record.byteLength) return null;
      sets.push(record.subarray(offset, offset + len));
      offset += len;
    }
    return sets;
  };
  const sps = read((record[offset++] as number) & 0x1f);
  if (!sps || offset >= record.byteLength) return null;
  const pps = read(record[offset++] as number);
  if (!pps) return null;
  return { lengthSize, sps, pps };
}

/** Length-prefixed NAL units (AVCC) to their payloads, or null when the lengths do not add up. */
export function lengthPrefixedNalUnits(data: Uint8Array, lengthSize: number): Uint8Array[] | null {
  const units: Uint8Array[] = [];
  let offset = 0;
  while (offset < data.byteLength) {
    if (offset + lengthSize > data.byteLength) return null;
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + (data[offset + i] as number);
    offset += lengthSize;
    if (offset + len > data.byteLength) return null;
    if (len > 0) units.push(data.subarray(offset, offset + len));
    offset += len;
  }
  return units;
}

const nalType = (unit: Uint8Array): number => (unit[0] as number) & 0x1f;

/**
 * H.264 access units to Annex B with SPS/PPS before every IDR picture. The last parameter sets seen (from the
 * avcC record or in-band) are remembered and inserted where a keyframe lacks them.
 */
export class H264AnnexB {
  private sps: Uint8Array[] = [];
  private pps: Uint8Array[] = [];
  private readonly lengthSize: number | null;

  constructor(extradata: Uint8Array | null) {
    const avcC = extradata && !isAnnexB(extradata) ? parseAvcC(extradata) : null;
    this.lengthSize = avcC?.lengthSize ?? null;
    if (avcC) {
      this.sps = avcC.sps.map((s) => s.slice());
      this.pps = avcC.pps.map((p) => p.slice());
    } else if (extradata) this.remember(annexBNalUnits(extradata));
  }

  /**
   * One access unit as Annex B; `keyframe` as the container flagged it. `data` may be rewritten in place (4-byte
   * lengths become start codes): pass a buffer you own. Nothing is copied unless parameter sets must be added.
   */
  convert(data: Uint8Array, keyframe: boolean): Uint8Array {
    // Length-prefixed first when the avcC said so: a length of 256–511 starts like a 3-byte start code.
    const prefixed = this.lengthSize !== null ? lengthPrefixedNalUnits(data, this.lengthSize) : null;
    const units = prefixed ?? annexBNalUnits(data);
    if (units.length === 0) return data;
    this.remember(units);
    const types = units.map(nalType);
    const idr = types.includes(5) || keyframe;
    const complete = !idr || (types.includes(7) && types.includes(8));
    if (complete && (!prefixed || this.lengthSize === 4)) {
      if (prefixed) {
        // Same size: each 4-byte length becomes a 4-byte start code.
        for (const unit of units) data.set(START_CODE, unit.byteOffset - data.byteOffset - 4);
      }
      return data;
    }
    const parts: Uint8Array[] = [];
    let inserted = complete;
    for (const unit of units) {
      const type = nalType(unit);
      // Parameter sets go after an access unit delimiter or SEI, right before the first slice.
      if (!inserted && (type === 5 || type === 1)) {
        for (const set of [...this.sps, ...this.pps]) parts.push(START_CODE, set);
        inserted = true;
      }
      parts.push(START_CODE, unit);
    }
    return concat(parts);
  }

  private remember(units: readonly Uint8Array[]): void {
    const sps = units.filter((u) => nalType(u) === 7);
    const pps = units.filter((u) => nalType(u) === 8);
    if (sps.length) this.sps = sps.map((s) => s.slice());
    if (pps.length) this.pps = pps.map((p) => p.slice());
  }
}

/** OBUs of a low-overhead AV1 bitstream (every OBU with its size field): [type, whole OBU]. */
export function av1Obus(data: Uint8Array): { type: number; obu: Uint8Array }[] | null {
  const obus: { type: number; obu: Uint8Array }[] = [];
  let offset = 0;
  while (offset < data.byteLength) {
    const header = data[offset] as number;
    const type = (header >> 3) & 0x0f;
    const hasExtension = (header & 0x04) !== 0;
    if ((header & 0x02) === 0) return null; // no size field: not the format containers carry
    let p = offset + 1 + (hasExtension ? 1 : 0);
    let size = 0;
    for (let i = 0; i < 8; i++, p++) {
      if (p >= data.byteLength) return null;
      const b = data[p] as number;
      size += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        p++;
        break;
      }
    }
    if (p + size > data.byteLength) return null;
    obus.push({ type, obu: data.subarray(offset, p + size) });
    offset = p + size;
  }
  return obus;
}

const OBU_SEQUENCE_HEADER = 1;

/** AV1 temporal units with the sequence header OBU in every keyframe (from the av1C record or in-band). */
export class Av1SequenceHeaders {
  private sequenceHeader: Uint8Array | null = null;

  constructor(extradata: Uint8Array | null) {
    // av1C: 4 bytes of fields, then configOBUs (ISO AV1 binding §2.3).
    if (extradata && extradata.byteLength > 4 && ((extradata[0] as number) & 0x80) !== 0) {
      this.remember(av1Obus(extradata.subarray(4)));
    }
  }

  convert(data: Uint8Array, keyframe: boolean): Uint8Array {
    const obus = av1Obus(data);
    if (!obus) return data;
    this.remember(obus);
    if (!keyframe || !this.sequenceHeader || obus.some((o) => o.type === OBU_SEQUENCE_HEADER)) return data;
    // After a temporal delimiter, if any; before everything else.
    const parts = obus.map((o) => o.obu);
    const at = obus[0]?.type === 2 ? 1 : 0;
    parts.splice(at, 0, this.sequenceHeader);
    return concat(parts);
  }

  private remember(obus: { type: number; obu: Uint8Array }[] | null): void {
    const header = obus?.find((o) => o.type === OBU_SEQUENCE_HEADER);
    if (header) this.sequenceHeader = header.obu.slice();
  }
}

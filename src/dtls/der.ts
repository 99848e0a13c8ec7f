/**
 * A small DER writer (ITU-T X.690): just the ASN.1 types a self-signed X.509 certificate needs. Each
 * function returns the whole encoding (tag, length, contents); constructed types take encoded children.
 */

const Tag = {
  integer: 0x02,
  bitString: 0x03,
  null: 0x05,
  objectIdentifier: 0x06,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

const ascii = new TextEncoder();

/** Bytes of the length field (X.690 §8.1.3): short form below 128, else 0x80 | count and the bytes. */
function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let rest = length; rest > 0xff; rest = Math.floor(rest / 256)) n++;
  return 1 + n;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Tag, length and contents. */
export function derElement(tag: number, contents: Uint8Array): Uint8Array {
  const length = contents.byteLength;
  const size = lengthSize(length);
  const out = new Uint8Array(1 + size + length);
  out[0] = tag;
  if (size === 1) {
    out[1] = length;
  } else {
    out[1] = 0x80 | (size - 1);
    for (let i = size, rest = length; i >= 2; i--, rest = Math.floor(rest / 256)) out[i] = rest & 0xff;
  }
  out.set(contents, 1 + size);
  return out;
}

export function derSequence(...children: Uint8Array[]): Uint8Array {
  return derElement(Tag.sequence, concat(children));
}

export function derSet(...children: Uint8Array[]): Uint8Array {
  return derElement(Tag.set, concat(children));
}

/** `[n] EXPLICIT`: a constructed context-specific tag around one element. */
export function derExplicit(n: number, child: Uint8Array): Uint8Array {
  return derElement(0xa0 | n, child);
}

/** A non-negative INTEGER from its big-endian magnitude (minimal: no extra leading zeros). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.byteLength - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  // A set high bit would read as negative: prefix a zero byte.
  if (trimmed.byteLength === 0 || trimmed[0]! & 0x80)
    return derElement(Tag.integer, concat([Uint8Array.of(0), trimmed]));
  return derElement(Tag.integer, trimmed);
}

export function derSmallInteger(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff)
    throw new RangeError(`bad INTEGER ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  return derUnsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

export function derNull(): Uint8Array {
  return Uint8Array.of(Tag.null, 0);
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. '1.2.840.10045.4.3.2'. */
export function derObjectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const bytes: number[] = [];
  const base128 = (value: number): void => {
    const groups = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  };
  base128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return derElement(Tag.objectIdentifier, Uint8Array.from(bytes));
}

/** A BIT STRING of whole bytes (no unused bits). */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return derElement(Tag.bitString, concat([Uint8Array.of(0), bytes]));
}

export function derPrintableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) throw new RangeError(`not a PrintableString: ${text}`);
  return derElement(Tag.printableString, ascii.encode(text));
}

/**
 * An X.509 Time (RFC 5280 §4.1.2.5): UTCTime for the years 1950-2049, GeneralizedTime otherwise, in whole
 * seconds (milliseconds are dropped).
 */
export function derTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const utc = year >= 1950 && year < 2050;
  const text = utc ? `${two(year % 100)}${rest}` : `${String(year).padStart(4, '0')}${rest}`;
  return derElement(utc ? Tag.utcTime : Tag.generalizedTime, ascii.encode(text));
}

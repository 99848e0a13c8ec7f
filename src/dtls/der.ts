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

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
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
  const head = [tag, ...lengthBytes(contents.byteLength)];
  const out = new Uint8Array(head.length + contents.byteLength);
  out.set(head);
  out.set(contents, head.length);
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
  return derElement(Tag.printableString, new TextEncoder().encode(text));
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
  return derElement(utc ? Tag.utcTime : Tag.generalizedTime, new TextEncoder().encode(text));
}

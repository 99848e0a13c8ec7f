/**
 * The WebIDL conversions the W3C API applies to arguments before its own steps run (WebIDL §3.2): what a
 * browser does to `null`, numbers, lone surrogates and unknown enum values before the WebRTC algorithm
 * ever sees them. Each throws the TypeError WebIDL prescribes.
 */

/** DOMString: ToString, which throws for a Symbol (as String() does not). */
export function toDOMString(value: unknown, what: string): string {
  if (typeof value === 'symbol') throw new TypeError(`${what} cannot be converted from a Symbol`);
  return `${value as string}`;
}

/** USVString: a DOMString with every lone surrogate replaced by U+FFFD. */
export function toUSVString(value: unknown, what: string): string {
  return toDOMString(value, what).replace(LONE_SURROGATE, '\uFFFD');
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A nullable DOMString (`DOMString?`): null and undefined stay null. */
export function toNullableDOMString(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : toDOMString(value, what);
}

function toNumber(value: unknown, what: string): number {
  if (typeof value === 'symbol' || typeof value === 'bigint') {
    throw new TypeError(`${what} cannot be converted to a number`);
  }
  return Number(value);
}

/**
 * An integer type of `bits` bits, unsigned: [EnforceRange] throws for NaN, infinities and values out of
 * range; without it the value wraps modulo 2^bits (WebIDL ConvertToInt).
 */
export function toUnsigned(value: unknown, bits: 8 | 16 | 32, what: string, enforceRange: boolean): number {
  const n = toNumber(value, what);
  const max = 2 ** bits - 1;
  if (enforceRange) {
    if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number, not ${String(n)}`);
    const t = Math.trunc(n);
    if (t < 0 || t > max) throw new TypeError(`${what} must be an integer from 0 to ${max}, not ${t}`);
    return t;
  }
  if (!Number.isFinite(n) || n === 0) return 0;
  const t = Math.trunc(n);
  return ((t % 2 ** bits) + 2 ** bits) % 2 ** bits;
}

/** A WebIDL enumeration: ToString, then one of `values`, else TypeError. */
export function toEnum<T extends string>(value: unknown, values: readonly T[], what: string): T {
  const s = toDOMString(value, what);
  if (!(values as readonly string[]).includes(s)) {
    throw new TypeError(`${what} must be one of ${values.map((v) => `'${v}'`).join(', ')}, not '${s}'`);
  }
  return s as T;
}

/** A dictionary argument: undefined and null are an empty dictionary; any other non-object is a TypeError. */
export function toDictionary(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeError(`${what} must be a dictionary (an object), not ${typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** A WebIDL sequence: every iterable object, converted element by element. */
export function toSequence<T>(value: unknown, what: string, convert: (item: unknown, i: number) => T): T[] {
  if (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function') ||
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`${what} must be a sequence (an iterable object)`);
  }
  return Array.from(value as Iterable<unknown>, convert);
}

/** An interface type: an instance of `ctor`, else TypeError. */
export function toInterface<T>(
  value: unknown,
  ctor: { readonly prototype: T; readonly name: string },
  what: string,
): T {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Object.prototype.isPrototypeOf.call(ctor.prototype, value)
  ) {
    throw new TypeError(`${what} must be a ${ctor.name}`);
  }
  return value as T;
}

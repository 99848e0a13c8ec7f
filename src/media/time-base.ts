/**
 * Exact rational numbers for time bases (aiortc uses Python's `Fraction`). A float such as 1/90000 cannot
 * represent the clock exactly, and pts × timeBase must stay exact over hours of media.
 */

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class Fraction {
  /** Numerator and denominator in lowest terms; the denominator is always positive. */
  readonly num: number;
  readonly den: number;

  constructor(num: number, den = 1) {
    if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den)) {
      throw new TypeError(`Fraction needs integers, got ${num}/${den}`);
    }
    if (den === 0) throw new RangeError('Fraction denominator must not be zero');
    const g = gcd(num, den) || 1;
    const sign = den < 0 ? -1 : 1;
    this.num = (sign * num) / g;
    this.den = (sign * den) / g;
  }

  mul(other: Fraction | number): Fraction {
    const o = typeof other === 'number' ? new Fraction(other) : other;
    return new Fraction(this.num * o.num, this.den * o.den);
  }

  div(other: Fraction | number): Fraction {
    const o = typeof other === 'number' ? new Fraction(other) : other;
    return new Fraction(this.num * o.den, this.den * o.num);
  }

  add(other: Fraction | number): Fraction {
    const o = typeof other === 'number' ? new Fraction(other) : other;
    return new Fraction(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  equals(other: Fraction): boolean {
    return this.num === other.num && this.den === other.den;
  }

  /** The nearest float; for display and timers only, never for accumulating timestamps. */
  valueOf(): number {
    return this.num / this.den;
  }

  toString(): string {
    return this.den === 1 ? `${this.num}` : `${this.num}/${this.den}`;
  }
}

/**
 * Convert a timestamp between time bases exactly, rounding half away from zero only at the end
 * (pts × from / to).
 */
export function rescale(pts: number, from: Fraction, to: Fraction): number {
  const num = BigInt(pts) * BigInt(from.num) * BigInt(to.den);
  const den = BigInt(from.den) * BigInt(to.num);
  const q = num / den;
  const r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= (den < 0n ? -den : den)) return Number(q + (num < 0n !== den < 0n ? -1n : 1n));
  return Number(q);
}

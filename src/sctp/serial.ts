/** Serial number arithmetic on 32-bit TSNs (RFC 1982), and on 16-bit SSNs. */

/** a < b in 32-bit serial order. */
export function tsnLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function tsnLte(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function tsnGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** b - a in serial order (may be negative). */
export function tsnDiff(a: number, b: number): number {
  return (b - a) | 0;
}
export function tsnAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** a < b in 16-bit serial order. */
export function ssnLt(a: number, b: number): boolean {
  const d = (b - a) & 0xffff;
  return d !== 0 && d < 0x8000;
}
export function ssnLte(a: number, b: number): boolean {
  return a === b || ssnLt(a, b);
}

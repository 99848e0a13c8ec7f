/**
 * NTP timestamps for RTCP (RFC 3550 §4): 32-bit seconds since 1900 and a 32-bit fraction. The session reads
 * no clock: wall time is `wallClockAtZero + now`, where the runtime gives the Unix time of its now = 0.
 */

/** Milliseconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** The NTP timestamp of a Unix time in milliseconds (seconds wrap modulo 2^32, as on the wire). */
export function ntpFromUnixMs(unixMs: number): NtpTime {
  const ms = unixMs + NTP_UNIX_OFFSET_MS;
  const whole = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - whole * 1000) / 1000) * 0x100000000) >>> 0;
  return { seconds: whole % 0x100000000, fraction };
}

/** Unix milliseconds of an NTP timestamp (era 0, i.e. until 2036; the seconds are taken as unsigned). */
export function unixMsFromNtp(seconds: number, fraction: number): number {
  return (seconds >>> 0) * 1000 + ((fraction >>> 0) / 0x100000000) * 1000 - NTP_UNIX_OFFSET_MS;
}

/** The middle 32 bits of an NTP timestamp (LSR in report blocks, RFC 3550 §6.4.1). */
export function ntpMiddle(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** The middle 32 bits of the NTP time of a Unix time in milliseconds. */
export function ntpMiddleFromUnixMs(unixMs: number): number {
  const t = ntpFromUnixMs(unixMs);
  return ntpMiddle(t.seconds, t.fraction);
}

/** Milliseconds to the 1/65536 s units of DLSR. */
export function toNtpShortUnits(ms: number): number {
  return Math.max(0, Math.min(0xffffffff, Math.round((ms * 65536) / 1000))) >>> 0;
}

/**
 * Round-trip time from a report block (RFC 3550 §6.4.1): arrival − LSR − DLSR, all in the middle-32-bit
 * NTP format (wrapping). Undefined when the block carries no LSR or the result is not plausible.
 */
export function roundTripMs(
  arrivalMiddle: number,
  lastSr: number,
  delaySinceLastSr: number,
): number | undefined {
  if (lastSr === 0) return undefined;
  const units = (arrivalMiddle - lastSr - delaySinceLastSr) | 0; // signed: a negative result is clock noise
  if (units < 0) return units > -66 ? 0 : undefined; // up to 1 ms of rounding is taken as 0
  return (units * 1000) / 65536;
}

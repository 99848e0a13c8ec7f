/** Line-level helpers shared by the session and media parts of the parser. */
import { parseUint } from './attributes.js';
import { SdpSyntaxError } from './errors.js';
import type { Bandwidth, ConnectionData } from './types.js';

/** A parsed `name[:value]` attribute line. */
export interface AttributeLine {
  name: string;
  value: string | undefined;
  line: number;
}

export function fail(message: string, line: number): never {
  // Garbage input can make messages huge: keep them readable.
  throw new SdpSyntaxError(message.length > 200 ? `${message.slice(0, 200)}…` : message, line);
}

export function parseConnection(value: string, line: number): ConnectionData {
  const w = value.trim().split(/\s+/);
  if (w.length !== 3) fail(`c= needs <nettype> <addrtype> <address>, got "${value}"`, line);
  return { netType: w[0]!, addrType: w[1]!, address: w[2]! };
}

export function parseBandwidth(value: string, line: number): Bandwidth {
  const m = /^([\w-]+):(\d{1,10})\s*$/.exec(value);
  const n = parseUint(m?.[2], 0xffffffff);
  if (!m || n === undefined) fail(`b= needs <type>:<kbit/s>, got "${value}"`, line);
  return { type: m[1]!, value: n };
}

/** The value of an attribute that must have one. */
export function required(a: AttributeLine): string {
  if (a.value === undefined || a.value.trim() === '') fail(`a=${a.name} needs a value`, a.line);
  return a.value;
}

export function valid<T>(parsed: T | undefined, a: AttributeLine): T {
  if (parsed === undefined) fail(`malformed a=${a.name}:${a.value ?? ''}`, a.line);
  return parsed;
}

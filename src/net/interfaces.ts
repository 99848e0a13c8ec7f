/** Host addresses for ICE host candidates. */
import { networkInterfaces } from 'node:os';

export interface HostAddressOptions {
  /** Also offer loopback (always offered when it is the only thing up, as inside a test namespace). */
  includeLoopback?: boolean;
  /** Offer IPv6 addresses (default true). */
  ipv6?: boolean;
  /** Offer loopback addresses only (demos and tests that must not touch any other interface). */
  loopbackOnly?: boolean;
  /** Keep only interfaces whose name passes this filter. */
  interfaceFilter?: (name: string) => boolean;
  /** Extra addresses to offer as host candidates (aiortc/werift's iceAdditionalHostAddresses). */
  additional?: readonly string[];
}

function isLinkLocalV6(a: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(a);
}

/** Addresses to bind, IPv4 first. Link-local IPv6 is skipped (it needs a scope id peers cannot use). */
export function hostAddresses(options: HostAddressOptions = {}): string[] {
  const ipv6 = options.ipv6 ?? true;
  const external: string[] = [];
  const loopback: string[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    if (options.interfaceFilter && !options.interfaceFilter(name)) continue;
    for (const info of infos ?? []) {
      if (info.family === 'IPv6' && (!ipv6 || isLinkLocalV6(info.address))) continue;
      (info.internal ? loopback : external).push(info.address);
    }
  }
  const out = options.loopbackOnly ? [] : [...external];
  if (options.includeLoopback || options.loopbackOnly || external.length === 0) out.push(...loopback);
  for (const a of options.additional ?? []) if (!out.includes(a)) out.push(a);
  const v4 = out.filter((a) => !a.includes(':'));
  const v6 = out.filter((a) => a.includes(':'));
  return [...new Set([...v4, ...v6])];
}

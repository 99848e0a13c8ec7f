/**
 * RTCIceServer parsing and validation, as the W3C WebRTC specification's "validate an ICE server" steps
 * say: `urls` is a string or a list; each URL is `stun:`, `stuns:`, `turn:` or `turns:` host[:port] with an
 * optional `?transport=udp|tcp` on TURN URLs only. A malformed URL throws a SyntaxError DOMException; a TURN
 * URL on a server without `username` and `credential` throws InvalidAccessError. Default ports are 3478, and
 * 5349 for the TLS schemes (RFC 7064, RFC 7065).
 */
import { invalidAccess, notSupported, syntaxError } from '../common/errors.js';

export interface RTCIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
  /** Only 'password' exists in the current specification. */
  credentialType?: 'password';
}

export type IceServerScheme = 'stun' | 'stuns' | 'turn' | 'turns';

/** One usable server address taken from an RTCIceServer URL. */
export interface ParsedIceServerUrl {
  /** The URL as the application wrote it (echoed in icecandidateerror events). */
  readonly url: string;
  readonly scheme: IceServerScheme;
  readonly kind: 'stun' | 'turn';
  /** A host name or an IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** How to reach the server: `turns:`/`stuns:` mean TLS over TCP. */
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly username?: string;
  readonly credential?: string;
}

export const DEFAULT_PORT = 3478;
export const DEFAULT_TLS_PORT = 5349;
export const MAX_USERNAME_BYTES = 509;

const SCHEMES: ReadonlySet<string> = new Set(['stun', 'stuns', 'turn', 'turns']);

/** Parse one URL (without the credential check, which needs the whole RTCIceServer). */
export function parseIceServerUrl(url: string): ParsedIceServerUrl {
  if (typeof url !== 'string') throw new TypeError('an ICE server URL must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw syntaxError(`ICE server URL "${url}" is not a valid URL`);
  }
  const scheme = parsed.protocol.slice(0, -1) as IceServerScheme;
  if (!SCHEMES.has(scheme)) {
    throw syntaxError(
      `ICE server URL "${url}" has scheme "${scheme}:"; expected stun:, stuns:, turn: or turns:`,
    );
  }
  // stun:/turn: URIs have an opaque path (RFC 7064/7065): "turn://host" has an authority instead.
  if (parsed.host !== '' || parsed.pathname === '' || parsed.pathname.startsWith('/')) {
    throw syntaxError(`ICE server URL "${url}" must be ${scheme}:host[:port] (no "//")`);
  }
  if (parsed.hash !== '') throw syntaxError(`ICE server URL "${url}" must not have a fragment`);
  const isTurn = scheme === 'turn' || scheme === 'turns';
  if (!isTurn && parsed.search !== '') {
    throw syntaxError(`STUN URL "${url}" must not have a query (?transport= is for TURN URLs)`);
  }
  let transport: 'udp' | 'tcp' | 'tls' = scheme.endsWith('s') ? 'tls' : 'udp';
  if (isTurn && parsed.search !== '') {
    const query = parsed.search.slice(1);
    if (query !== 'transport=udp' && query !== 'transport=tcp') {
      throw syntaxError(
        `TURN URL "${url}" has query "${query}"; only transport=udp or transport=tcp is allowed`,
      );
    }
    if (scheme === 'turns' && query === 'transport=udp') {
      throw notSupported(`TURN URL "${url}": TURN over DTLS (turns: with transport=udp) is not supported`);
    }
    if (scheme === 'turn') transport = query === 'transport=tcp' ? 'tcp' : 'udp';
  }
  const { host, port } = parseHostPort(url, parsed.pathname, transport === 'tls');
  return { url, scheme, kind: isTurn ? 'turn' : 'stun', host, port, transport };
}

function parseHostPort(url: string, hostPort: string, tls: boolean): { host: string; port: number } {
  let check: URL;
  try {
    check = new URL(`https://${hostPort}`);
  } catch {
    throw syntaxError(`ICE server URL "${url}" has an invalid host or port "${hostPort}"`);
  }
  if (check.username !== '' || check.password !== '' || check.pathname !== '/' || hostPort.includes('/')) {
    throw syntaxError(`ICE server URL "${url}" must be host[:port] only (no user info or path)`);
  }
  // The https parser hides port 443 (its default), so the port is read from the text itself.
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d*))?$/.exec(hostPort);
  if (!match) throw syntaxError(`ICE server URL "${url}" has an invalid host or port "${hostPort}"`);
  const portText = match[2] ?? '';
  const port = portText === '' ? (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT) : Number(portText);
  if (!Number.isInteger(port) || port > 65535) {
    throw syntaxError(`ICE server URL "${url}" has port ${portText}, outside 0–65535`);
  }
  const hostname = check.hostname;
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return { host, port };
}

/** Validate one RTCIceServer and return its URLs with the credentials attached to TURN ones. */
export function parseIceServer(server: RTCIceServer): ParsedIceServerUrl[] {
  if (server === null || typeof server !== 'object') throw new TypeError('an RTCIceServer must be an object');
  const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
  if (!Array.isArray(urls)) throw new TypeError('RTCIceServer.urls must be a string or an array of strings');
  if (urls.length === 0) throw syntaxError('RTCIceServer.urls is empty');
  if (server.credentialType !== undefined && server.credentialType !== 'password') {
    throw new TypeError(`RTCIceServer.credentialType "${String(server.credentialType)}" is not "password"`);
  }
  return urls.map((u) => {
    const parsed = parseIceServerUrl(u);
    if (parsed.kind !== 'turn') return parsed;
    if (server.username === undefined || server.credential === undefined) {
      throw invalidAccess(`TURN server "${u}" needs both username and credential`);
    }
    if (typeof server.username !== 'string' || typeof server.credential !== 'string') {
      throw new TypeError(`TURN server "${u}": username and credential must be strings`);
    }
    // STUN's USERNAME holds at most 509 bytes of UTF-8 (RFC 8489 §14.3); a longer one could never work.
    if (Buffer.byteLength(server.username, 'utf8') > MAX_USERNAME_BYTES) {
      throw invalidAccess(`TURN server "${u}": username longer than ${MAX_USERNAME_BYTES} bytes`);
    }
    return { ...parsed, username: server.username, credential: server.credential };
  });
}

/** Validate a whole `iceServers` list (RTCConfiguration); every server is checked, in order. */
export function parseIceServers(servers: readonly RTCIceServer[] | undefined): ParsedIceServerUrl[] {
  if (servers === undefined) return [];
  if (!Array.isArray(servers)) throw new TypeError('iceServers must be an array');
  return servers.flatMap((s) => parseIceServer(s));
}

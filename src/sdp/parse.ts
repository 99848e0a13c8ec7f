/**
 * SDP text → SessionDescription. Tolerant of `\n` or `\r\n`, blank lines and trailing spaces; strict on what
 * makes a description unusable (missing `v=`/`o=`/`s=`/`t=`, malformed lines, malformed known attributes):
 * those throw an SdpSyntaxError naming the line. It never throws anything else, whatever the input.
 */
import {
  parseExtmap,
  parseFingerprint,
  parseGroup,
  parseMsidSemantic,
  parseSetup,
  parseUint,
} from './attributes.js';
import { type AttributeLine, fail, parseBandwidth, parseConnection, required, valid } from './parse-lines.js';
import { MediaSectionBuilder } from './parse-media.js';
import type { Origin, SessionDescription, Timing } from './types.js';
import { emptySession } from './types.js';

function parseOrigin(value: string, line: number): Origin {
  const w = value.trim().split(/\s+/);
  if (w.length !== 6 || !/^\d+$/.test(w[1]!) || !/^\d+$/.test(w[2]!))
    fail(`o= needs <username> <sess-id> <sess-version> <nettype> <addrtype> <address>, got "${value}"`, line);
  return {
    username: w[0]!,
    sessionId: w[1]!,
    sessionVersion: w[2]!,
    netType: w[3]!,
    addrType: w[4]!,
    address: w[5]!,
  };
}

function parseTiming(value: string, line: number): Timing {
  const w = value.trim().split(/\s+/);
  const start = parseUint(w[0], Number.MAX_SAFE_INTEGER);
  const stop = parseUint(w[1], Number.MAX_SAFE_INTEGER);
  if (w.length !== 2 || start === undefined || stop === undefined)
    fail(`t= needs <start> <stop>, got "${value}"`, line);
  return { start, stop, repeats: [] };
}

/** Session-level lines that may appear at most once. */
const SINGLE_SESSION_LINES: readonly string[] = ['v', 'o', 's', 'i', 'u', 'c', 'z', 'k'];

function splitAttribute(value: string, line: number): AttributeLine {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (!/^[\w.-]+$/.test(name)) fail(`malformed attribute name "${name}"`, line);
  return { name, value: colon < 0 ? undefined : value.slice(colon + 1), line };
}

function sessionAttribute(desc: SessionDescription, a: AttributeLine): void {
  switch (a.name) {
    case 'group':
      desc.groups.push(valid(parseGroup(required(a)), a));
      return;
    case 'msid-semantic':
      desc.msidSemantics.push(valid(parseMsidSemantic(required(a)), a));
      return;
    case 'extmap-allow-mixed':
      desc.extmapAllowMixed = true;
      return;
    case 'ice-lite':
      desc.iceLite = true;
      return;
    case 'ice-ufrag':
      desc.iceUfrag = required(a).trim();
      return;
    case 'ice-pwd':
      desc.icePwd = required(a).trim();
      return;
    case 'ice-options':
      desc.iceOptions = required(a).trim().split(/\s+/);
      return;
    case 'fingerprint':
      desc.fingerprints.push(valid(parseFingerprint(required(a)), a));
      return;
    case 'setup':
      desc.setup = valid(parseSetup(required(a)), a);
      return;
    case 'extmap':
      desc.headerExtensions.push(valid(parseExtmap(required(a)), a));
      return;
    default:
      desc.attributes.push(a.value === undefined ? { name: a.name } : { name: a.name, value: a.value });
  }
}

/** Parse an SDP text. Throws SdpSyntaxError (a DOMException named `SyntaxError`) and nothing else. */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') fail('the description is not a string', 0);
  const lines = text.split('\n');
  const desc = emptySession('0');
  desc.timing = [];
  const seen = new Set<string>();
  let media: MediaSectionBuilder | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i]!.trimEnd();
    if (line === '') continue;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]!))
      fail(`expected "<letter>=<value>", got "${line.slice(0, 40)}"`, lineNumber);
    const type = line[0]!;
    const value = line.slice(2);
    if (seen.size === 0 && type !== 'v') fail('the description must start with v=', lineNumber);
    if (media === undefined && SINGLE_SESSION_LINES.includes(type) && seen.has(type))
      fail(`duplicate ${type}= line`, lineNumber);
    seen.add(type);
    if (type === 'm') {
      if (!seen.has('o') || !seen.has('s') || desc.timing.length === 0)
        fail('o=, s= and t= must come before the first m= line', lineNumber);
      if (media) desc.media.push(media.finish());
      media = new MediaSectionBuilder(value, lineNumber);
      continue;
    }
    if (media) {
      media.addLine(type, value, lineNumber, type === 'a' ? splitAttribute(value, lineNumber) : undefined);
      continue;
    }
    switch (type) {
      case 'v':
        if (value !== '0') fail(`unsupported version v=${value}`, lineNumber);
        desc.version = 0;
        break;
      case 'o':
        desc.origin = parseOrigin(value, lineNumber);
        break;
      case 's':
        desc.sessionName = value;
        break;
      case 'i':
        desc.information = value;
        break;
      case 'u':
        desc.uri = value;
        break;
      case 'e':
        desc.emails.push(value);
        break;
      case 'p':
        desc.phones.push(value);
        break;
      case 'c':
        desc.connection = parseConnection(value, lineNumber);
        break;
      case 'b':
        desc.bandwidths.push(parseBandwidth(value, lineNumber));
        break;
      case 't':
        desc.timing.push(parseTiming(value, lineNumber));
        break;
      case 'r': {
        const last = desc.timing[desc.timing.length - 1];
        if (!last) fail('r= without a preceding t=', lineNumber);
        last.repeats.push(value);
        break;
      }
      case 'z':
        desc.timeZones = value;
        break;
      case 'k':
        desc.encryptionKey = value;
        break;
      case 'a':
        sessionAttribute(desc, splitAttribute(value, lineNumber));
        break;
      default:
        fail(`unknown line type ${type}=`, lineNumber);
    }
  }
  if (seen.size === 0) fail('the description is empty', 0);
  if (!seen.has('o')) fail('missing o= line', 0);
  if (!seen.has('s')) fail('missing s= line', 0);
  if (desc.timing.length === 0) fail('missing t= line', 0);
  if (media) desc.media.push(media.finish());
  return desc;
}

/**
 * One `m=` section of the parser: the m-line, then each line below it, then `finish()` assembles the codecs
 * (rtpmap + fmtp + rtcp-fb per payload type, in the m-line's order).
 */
import {
  isDirection,
  parseExtmap,
  parseFingerprint,
  parseFmtp,
  parseMsid,
  parseRid,
  parseRtcp,
  parseRtcpFb,
  parseRtpmap,
  parseSctpmap,
  parseSdpCandidate,
  parseSetup,
  parseSimulcast,
  parseSsrc,
  parseSsrcGroup,
  parseUint,
  type Rtpmap,
} from './attributes.js';
import { staticPayloadType } from './codecs.js';
import { type AttributeLine, fail, parseBandwidth, parseConnection, required, valid } from './parse-lines.js';
import type { Codec, MediaSection, RtcpFeedback } from './types.js';
import { emptyMediaSection } from './types.js';

/** True for an RTP profile (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, …): formats are payload types. */
export function isRtpProtocol(protocol: string): boolean {
  return /(^|\/)RTP\//.test(protocol);
}

export class MediaSectionBuilder {
  private readonly section: MediaSection;
  private readonly rtp: boolean;
  private readonly rtpmaps = new Map<number, Rtpmap>();
  private readonly fmtps = new Map<number, { parameters: Record<string, string>; raw: string }>();
  private readonly feedback = new Map<number, { feedback: RtcpFeedback; raw: string }[]>();

  constructor(value: string, line: number) {
    const m = /^(\S+) (\d{1,5})(?:\/(\d{1,5}))? (\S+)(?: +(.*))?$/.exec(value);
    const port = parseUint(m?.[2], 65535);
    if (!m || port === undefined)
      fail(`m= needs <media> <port>[/<count>] <proto> <fmt>…, got "${value.slice(0, 60)}"`, line);
    const formats =
      m[5] === undefined
        ? []
        : m[5]
            .trim()
            .split(/\s+/)
            .filter((f) => f !== '');
    this.section = emptyMediaSection(m[1]!, m[4]!, formats);
    this.section.port = port;
    if (m[3] !== undefined) this.section.numberOfPorts = Number(m[3]);
    this.rtp = isRtpProtocol(this.section.protocol);
    if (this.rtp) {
      for (const f of formats) {
        if (parseUint(f, 127) === undefined) fail(`RTP payload type "${f}" is not 0–127`, line);
      }
    }
  }

  addLine(type: string, value: string, line: number, attribute: AttributeLine | undefined): void {
    const s = this.section;
    switch (type) {
      case 'i':
        s.information = value;
        return;
      case 'c':
        s.connection = parseConnection(value, line);
        return;
      case 'b':
        s.bandwidths.push(parseBandwidth(value, line));
        return;
      case 'k':
        s.encryptionKey = value;
        return;
      case 'a':
        if (attribute) this.addAttribute(attribute);
        return;
      default:
        fail(`${type}= is not allowed in a media section`, line);
    }
  }

  private addAttribute(a: AttributeLine): void {
    const s = this.section;
    if (isDirection(a.name) && a.value === undefined) {
      s.direction = a.name;
      return;
    }
    switch (a.name) {
      case 'mid':
        s.mid = required(a).trim();
        return;
      case 'bundle-only':
        s.bundleOnly = true;
        return;
      case 'rtcp':
        s.rtcp = valid(parseRtcp(required(a)), a);
        return;
      case 'rtcp-mux':
        s.rtcpMux = true;
        return;
      case 'rtcp-mux-only':
        s.rtcpMuxOnly = true;
        return;
      case 'rtcp-rsize':
        s.rtcpReducedSize = true;
        return;
      case 'rtcp-xr':
        s.rtcpXr = required(a).trim();
        return;
      case 'ice-ufrag':
        s.iceUfrag = required(a).trim();
        return;
      case 'ice-pwd':
        s.icePwd = required(a).trim();
        return;
      case 'ice-options':
        s.iceOptions = required(a).trim().split(/\s+/);
        return;
      case 'candidate':
        s.candidates.push(valid(parseSdpCandidate(required(a)), a));
        return;
      case 'end-of-candidates':
        s.endOfCandidates = true;
        return;
      case 'fingerprint':
        s.fingerprints.push(valid(parseFingerprint(required(a)), a));
        return;
      case 'setup':
        s.setup = valid(parseSetup(required(a)), a);
        return;
      case 'extmap-allow-mixed':
        s.extmapAllowMixed = true;
        return;
      case 'extmap':
        s.headerExtensions.push(valid(parseExtmap(required(a)), a));
        return;
      case 'msid':
        s.msids.push(valid(parseMsid(required(a)), a));
        return;
      case 'ssrc':
        s.ssrcs.push(valid(parseSsrc(required(a)), a));
        return;
      case 'ssrc-group':
        s.ssrcGroups.push(valid(parseSsrcGroup(required(a)), a));
        return;
      case 'rid':
        s.rids.push(valid(parseRid(required(a)), a));
        return;
      case 'simulcast':
        s.simulcast = valid(parseSimulcast(required(a)), a);
        return;
      case 'sctp-port':
        s.sctpPort = valid(parseUint(required(a).trim(), 65535), a);
        return;
      case 'max-message-size':
        s.maxMessageSize = valid(parseUint(required(a).trim(), Number.MAX_SAFE_INTEGER), a);
        return;
      case 'sctpmap':
        s.sctpmap = valid(parseSctpmap(required(a)), a);
        return;
    }
    if (this.rtp && this.addCodecAttribute(a)) return;
    s.attributes.push(a.value === undefined ? { name: a.name } : { name: a.name, value: a.value });
  }

  /** rtpmap / fmtp / rtcp-fb of an RTP section; false when the attribute is something else. */
  private addCodecAttribute(a: AttributeLine): boolean {
    switch (a.name) {
      case 'rtpmap': {
        const map = valid(parseRtpmap(required(a).trim()), a);
        if (this.rtpmaps.has(map.payloadType))
          fail(`second a=rtpmap for payload type ${map.payloadType}`, a.line);
        this.rtpmaps.set(map.payloadType, map);
        return true;
      }
      case 'fmtp': {
        const raw = required(a);
        const fmtp = valid(parseFmtp(raw), a);
        const known = this.fmtps.get(fmtp.payloadType);
        // A repeated fmtp line adds to the first one.
        if (known) Object.assign(known.parameters, fmtp.parameters);
        else this.fmtps.set(fmtp.payloadType, { parameters: fmtp.parameters, raw });
        return true;
      }
      case 'rtcp-fb': {
        const raw = required(a);
        const fb = valid(parseRtcpFb(raw), a);
        if (fb.payloadType === '*') this.section.wildcardFeedback.push(fb.feedback);
        else {
          const list = this.feedback.get(fb.payloadType) ?? [];
          list.push({ feedback: fb.feedback, raw });
          this.feedback.set(fb.payloadType, list);
        }
        return true;
      }
      default:
        return false;
    }
  }

  private codecFor(payloadType: number): Codec | undefined {
    const map = this.rtpmaps.get(payloadType) ?? staticPayloadType(payloadType);
    if (!map) return undefined;
    const codec: Codec = {
      payloadType,
      name: map.name,
      clockRate: map.clockRate,
      parameters: this.fmtps.get(payloadType)?.parameters ?? {},
      feedback: (this.feedback.get(payloadType) ?? []).map((f) => f.feedback),
    };
    if (map.channels !== undefined) codec.channels = map.channels;
    return codec;
  }

  finish(): MediaSection {
    const s = this.section;
    if (!this.rtp) return s;
    const order: number[] = [];
    for (const f of s.formats) order.push(Number(f));
    for (const pt of [...this.rtpmaps.keys(), ...this.fmtps.keys(), ...this.feedback.keys()]) order.push(pt);
    const done = new Set<number>();
    for (const pt of order) {
      if (done.has(pt)) continue;
      done.add(pt);
      const codec = this.codecFor(pt);
      if (codec) {
        s.codecs.push(codec);
        continue;
      }
      // A dynamic payload type without rtpmap is unusable; its fmtp / rtcp-fb lines are kept verbatim.
      const fmtp = this.fmtps.get(pt);
      if (fmtp) s.attributes.push({ name: 'fmtp', value: fmtp.raw });
      for (const fb of this.feedback.get(pt) ?? []) s.attributes.push({ name: 'rtcp-fb', value: fb.raw });
    }
    return s;
  }
}

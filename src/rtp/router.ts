/**
 * Demultiplexing inside a BUNDLE (RFC 8843 §9.2, JSEP §5.8): which media section, layer and stream an RTP
 * packet belongs to, and which stream each packet of an RTCP compound concerns.
 *
 * RTP, in order: a known SSRC → its stream; an SSRC the peer announced (a=ssrc, FID) → its section; the MID
 * header extension → the section, then RID (or repaired-RID for RTX) → the layer, and the SSRC is learned;
 * a payload type unique to one section → that section; else the packet is dropped and counted. The router
 * decides; the session creates streams (bounded in number) and binds their SSRCs here.
 */
import { parseSdesItem } from './header-extensions.js';
import type { RtpPacket } from './packet.js';
import type { RtcpPacket, RtcpReportBlock, RtcpSenderReport } from './rtcp/types.js';
import { codecOfPayloadType, type MediaSectionConfig, receives } from './session-config.js';

/** What the router knows of a receive stream. */
export interface RoutedStream {
  readonly mid: string;
  readonly rid: string | undefined;
  readonly ssrc: number;
  rtxSsrc: number | undefined;
}

export type RouteDecision<S extends RoutedStream> =
  | { type: 'stream'; stream: S; rtx: boolean }
  /** A new media stream to create for (mid, rid), learning the packet's SSRC. */
  | { type: 'new'; section: MediaSectionConfig; rid: string | undefined; signalled: boolean }
  /** A new RTX SSRC repairing an existing stream: bind it, then treat the packet as RTX. */
  | { type: 'new-rtx'; stream: S }
  | { type: 'drop'; reason: DropReason };

export type DropReason =
  | 'unknown-mid'
  | 'not-receiving'
  | 'unknown-rid'
  | 'rtx-without-stream'
  | 'unroutable';

interface Signalled {
  mid: string;
  /** For an RTX SSRC, the media SSRC it repairs. */
  repairs: number | undefined;
}

export class RtpRouter<S extends RoutedStream> {
  private readonly bySsrc = new Map<number, { stream: S; rtx: boolean }>();
  private sections = new Map<string, MediaSectionConfig>();
  private signalled = new Map<number, Signalled>();
  /** Payload type → the one receiving section using it, or null when several do. */
  private payloadTypes = new Map<number, string | null>();
  private midIds: number[] = [];
  private ridIds: number[] = [];
  private repairedRidIds: number[] = [];

  /** Apply a new configuration (streams stay bound; the session unbinds those it removes). */
  configure(media: readonly MediaSectionConfig[]): void {
    this.sections = new Map(media.map((m) => [m.mid, m]));
    this.signalled = new Map();
    this.payloadTypes = new Map();
    const ids = (key: 'mid' | 'rid' | 'repairedRid'): number[] => [
      ...new Set(media.map((m) => m.extensions[key]).filter((id): id is number => id !== undefined)),
    ];
    this.midIds = ids('mid');
    this.ridIds = ids('rid');
    this.repairedRidIds = ids('repairedRid');
    for (const m of media) {
      if (!receives(m.direction)) continue;
      for (const s of m.receiveSsrcs) {
        this.signalled.set(s.ssrc, { mid: m.mid, repairs: undefined });
        if (s.rtxSsrc !== undefined) this.signalled.set(s.rtxSsrc, { mid: m.mid, repairs: s.ssrc });
      }
      for (const c of m.receiveCodecs) {
        for (const pt of [c.payloadType, c.rtxPayloadType]) {
          if (pt === undefined) continue;
          const owner = this.payloadTypes.get(pt);
          this.payloadTypes.set(pt, owner === undefined || owner === m.mid ? m.mid : null);
        }
      }
    }
  }

  section(mid: string): MediaSectionConfig | undefined {
    return this.sections.get(mid);
  }

  /** The SSRC the peer announced as the RTX of `ssrc`, if any. */
  signalledRtxOf(ssrc: number): number | undefined {
    for (const [rtx, s] of this.signalled) if (s.repairs === ssrc) return rtx;
    return undefined;
  }

  isSignalled(ssrc: number): boolean {
    return this.signalled.has(ssrc);
  }

  bind(ssrc: number, stream: S, rtx: boolean): void {
    this.bySsrc.set(ssrc, { stream, rtx });
    if (rtx) stream.rtxSsrc = ssrc;
  }

  unbind(stream: S): void {
    if (this.bySsrc.get(stream.ssrc)?.stream === stream) this.bySsrc.delete(stream.ssrc);
    if (stream.rtxSsrc !== undefined && this.bySsrc.get(stream.rtxSsrc)?.stream === stream)
      this.bySsrc.delete(stream.rtxSsrc);
  }

  /** SSRCs bound (media and RTX). */
  get size(): number {
    return this.bySsrc.size;
  }

  /** Where an RTP packet goes. `streams` lists the live receive streams (to find an RTX's primary). */
  route(packet: RtpPacket, streams: Iterable<S>): RouteDecision<S> {
    const known = this.bySsrc.get(packet.ssrc);
    if (known) return { type: 'stream', stream: known.stream, rtx: known.rtx };
    const signalled = this.signalled.get(packet.ssrc);
    if (signalled) {
      const section = this.sections.get(signalled.mid)!;
      if (!receives(section.direction)) return { type: 'drop', reason: 'not-receiving' };
      if (signalled.repairs === undefined) return { type: 'new', section, rid: undefined, signalled: true };
      for (const s of streams) if (s.ssrc === signalled.repairs) return { type: 'new-rtx', stream: s };
      return { type: 'drop', reason: 'rtx-without-stream' };
    }
    const mid = this.extension(packet, this.midIds);
    if (mid !== undefined) {
      const section = this.sections.get(mid);
      if (!section) return { type: 'drop', reason: 'unknown-mid' };
      return this.routeInSection(packet, section, streams);
    }
    const owner = this.payloadTypes.get(packet.payloadType);
    if (owner) return this.routeInSection(packet, this.sections.get(owner)!, streams);
    return { type: 'drop', reason: 'unroutable' };
  }

  private routeInSection(
    packet: RtpPacket,
    section: MediaSectionConfig,
    streams: Iterable<S>,
  ): RouteDecision<S> {
    if (!receives(section.direction)) return { type: 'drop', reason: 'not-receiving' };
    const repairedRid = this.extension(packet, this.repairedRidIds);
    const rid = this.extension(packet, this.ridIds);
    const pt = codecOfPayloadType(section.receiveCodecs, packet.payloadType);
    if (pt?.rtx || repairedRid !== undefined) {
      const layer = repairedRid ?? rid;
      let only: S | undefined;
      let count = 0;
      for (const s of streams) {
        if (s.mid !== section.mid) continue;
        if (layer !== undefined && s.rid === layer) return { type: 'new-rtx', stream: s };
        only = s;
        count++;
      }
      // no RID to match: an RTX SSRC belongs to the section's only stream, if it has exactly one and that
      // one has no RTX SSRC yet (an announced or learned one is not taken over)
      if (layer === undefined && count === 1 && only!.rtxSsrc === undefined)
        return { type: 'new-rtx', stream: only! };
      return { type: 'drop', reason: 'rtx-without-stream' };
    }
    if (rid !== undefined && section.receiveRids.length > 0 && !section.receiveRids.includes(rid))
      return { type: 'drop', reason: 'unknown-rid' };
    return { type: 'new', section, rid, signalled: false };
  }

  /** The first of the given extension ids present in the packet, decoded as an SDES item. */
  private extension(packet: RtpPacket, ids: readonly number[]): string | undefined {
    if (ids.length === 0) return undefined;
    for (const e of packet.extensions) {
      if (ids.includes(e.id)) {
        const value = parseSdesItem(e.data);
        if (value.length > 0) return value;
      }
    }
    return undefined;
  }
}

/** Where each packet of an RTCP compound goes (the session implements these). */
export interface RtcpSink {
  /** A report block about one of our SSRCs (from an SR or RR). */
  onReportBlock(block: RtcpReportBlock, reporterSsrc: number): void;
  /** A sender report about a stream we receive. */
  onSenderReport(report: RtcpSenderReport): void;
  onCname(ssrc: number, cname: string): void;
  onBye(ssrc: number): void;
  onNack(mediaSsrc: number, lost: readonly number[]): void;
  onPli(mediaSsrc: number): void;
  onFir(mediaSsrc: number, requester: number, sequenceNumber: number): void;
  /** Session-level feedback: REMB and TWCC. */
  onSessionFeedback(packet: Extract<RtcpPacket, { type: 'remb' | 'twcc' }>): void;
}

/** Hand each packet of a parsed compound to the sink; returns how many packets were of no concern. */
export function fanOutRtcp(packets: readonly RtcpPacket[], sink: RtcpSink): number {
  let ignored = 0;
  for (const p of packets) {
    switch (p.type) {
      case 'sr':
        sink.onSenderReport(p);
        for (const b of p.reports) sink.onReportBlock(b, p.ssrc);
        break;
      case 'rr':
        for (const b of p.reports) sink.onReportBlock(b, p.ssrc);
        break;
      case 'sdes':
        for (const chunk of p.chunks)
          for (const item of chunk.items) if (item.type === 1) sink.onCname(chunk.source, item.value);
        break;
      case 'bye':
        for (const ssrc of p.sources) sink.onBye(ssrc);
        break;
      case 'nack':
        sink.onNack(p.mediaSsrc, p.lost);
        break;
      case 'pli':
        sink.onPli(p.mediaSsrc);
        break;
      case 'fir':
        for (const e of p.entries) sink.onFir(e.ssrc, p.senderSsrc, e.sequenceNumber);
        break;
      case 'remb':
      case 'twcc':
        sink.onSessionFeedback(p);
        break;
      default:
        ignored++;
    }
  }
  return ignored;
}

/**
 * The transceivers of a peer connection and what negotiation does to them: addTrack/removeTrack/
 * addTransceiver, binding remote m-lines to transceivers (W3C "process remote tracks"), mids for new
 * sections, current directions once a round completes, and which receivers get a `track` event.
 */
import { invalidAccess } from '../common/errors.js';
import type { RandomSource } from '../common/random.js';
import { MediaStream } from '../media/media-stream.js';
import { MediaStreamTrack } from '../media/track.js';
import type { MediaDirection, MediaSection, SessionDescription } from '../sdp/types.js';
import { preloadCodecs } from './media-pipelines.js';
import type { SectionSlot } from './negotiation.js';
import type { RemoteTrackChanges } from './remote-streams.js';
import { parametersOf, type RTCRtpEncodingParameters, toSendEncodings } from './rtp-parameters.js';
import {
  checkDirection,
  RTCRtpSender,
  RTCRtpTransceiver,
  type RTCRtpTransceiverDirection,
  type TransceiverHost,
} from './transceiver.js';
import { toDictionary, toDOMString, toInterface, toSequence } from './webidl.js';

export interface RTCRtpTransceiverInit {
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  streams?: MediaStream[];
  sendEncodings?: RTCRtpEncodingParameters[];
}

export class TransceiverSet {
  readonly list: RTCRtpTransceiver[] = [];
  /** The m-lines of the last applied local description, in order (mids stay in their slots). */
  private slots: SectionSlot[] = [];

  constructor(
    private readonly random: RandomSource,
    /** A transceiver changed in a way that may need negotiation. */
    private readonly onChange: () => void,
    /** What senders and transceivers need from the connection (tasks, the operations chain). */
    private readonly host?: TransceiverHost,
  ) {}

  byMid(mid: string | undefined | null): RTCRtpTransceiver | undefined {
    return mid == null ? undefined : this.list.find((t) => t.mid === mid);
  }

  /** addTransceiver(trackOrKind, init), with the WebIDL conversion of both arguments. */
  add(trackOrKind: MediaStreamTrack | 'audio' | 'video', init?: RTCRtpTransceiverInit): RTCRtpTransceiver {
    const track = trackOrKind instanceof MediaStreamTrack ? trackOrKind : null;
    const kind = track ? track.kind : toDOMString(trackOrKind, 'kind');
    if (kind !== 'audio' && kind !== 'video')
      throw new TypeError(`transceiver kind must be 'audio' or 'video', not '${kind}'`);
    const d = toDictionary(init, 'RTCRtpTransceiverInit');
    const direction = d.direction === undefined ? 'sendrecv' : toDOMString(d.direction, 'direction');
    checkDirection(direction);
    const encodings = toSendEncodings(d.sendEncodings ?? [], kind);
    const streams =
      d.streams === undefined
        ? []
        : toSequence(d.streams, 'streams', (s, i) => toInterface(s, MediaStream, `streams[${i}]`));
    const sender = new RTCRtpSender(kind, track, streams, encodings, this.random);
    const t = new RTCRtpTransceiver(kind, sender, direction);
    this.bind(t);
    this.onChange();
    return t;
  }

  addTrack(track: MediaStreamTrack, streams: MediaStream[]): RTCRtpSender {
    const kind = track.kind;
    if (kind !== 'audio' && kind !== 'video') throw new TypeError(`a track of kind '${kind}' cannot be sent`);
    if (this.list.some((t) => t.sender.track === track)) {
      throw invalidAccess('this track already has a sender on this connection');
    }
    const reusable = this.list.find(
      (t) => !t.stopped && t.kind === kind && t.sender.track === null && !t.usedToSend,
    );
    if (reusable) {
      reusable.sender.setTrack(track);
      reusable.sender.streamIds = streams.map((s) => s.id);
      if (reusable.direction === 'recvonly') reusable.direction = 'sendrecv';
      else if (reusable.direction === 'inactive') reusable.direction = 'sendonly';
      this.onChange();
      return reusable.sender;
    }
    return this.add(track, { direction: 'sendrecv', streams }).sender;
  }

  removeTrack(sender: RTCRtpSender): void {
    const t = this.list.find((x) => x.sender === sender);
    if (!t) throw invalidAccess('this sender was not created by this connection');
    if (!sender.track) return;
    sender.setTrack(null);
    if (t.direction === 'sendrecv') t.direction = 'recvonly';
    else if (t.direction === 'sendonly') t.direction = 'inactive';
    this.onChange();
  }

  private bind(t: RTCRtpTransceiver): void {
    t.onDirectionChange = () => this.onChange();
    if (this.list.length === 0) preloadCodecs();
    t.host = this.host;
    t.sender.host = this.host;
    this.list.push(t);
  }

  /** The m-lines of our next offer: existing ones in order, then new transceivers, then data if wanted. */
  planSlots(wantsData: boolean): SectionSlot[] {
    const used = new Set(this.slots.map((s) => s.mid));
    for (const t of this.list) {
      if (t.mid !== null) used.add(t.mid);
      else if (t.offeredMid !== null) used.add(t.offeredMid);
    }
    const nextMid = (): string => {
      let i = 0;
      while (used.has(String(i))) i++;
      used.add(String(i));
      return String(i);
    };
    const slots = [...this.slots];
    for (const t of this.list) {
      if (t.stopped || slots.some((s) => s.kind !== 'application' && s.transceiver === t)) continue;
      // W3C: transceiver.mid stays null until a description is applied; our offers keep one mid for it.
      if (t.mid === null) t.offeredMid ??= nextMid();
      slots.push({ mid: t.mid ?? t.offeredMid!, kind: t.kind, transceiver: t });
    }
    if (wantsData && !slots.some((s) => s.kind === 'application')) {
      slots.push({ mid: nextMid(), kind: 'application' });
    }
    return slots;
  }

  /** Remember the m-lines of an applied local description; transceivers it offered get their mid. */
  setSlotsFrom(model: SessionDescription | undefined): void {
    const slots: SectionSlot[] = [];
    for (const m of model?.media ?? []) {
      if (m.mid === undefined) continue;
      if (m.kind === 'application') slots.push({ mid: m.mid, kind: 'application' });
      else {
        const kind = mediaKind(m.kind);
        const t = this.byMid(m.mid) ?? this.list.find((x) => x.mid === null && x.offeredMid === m.mid);
        if (t) t.mid = m.mid;
        if (kind && t) slots.push({ mid: m.mid, kind, transceiver: t });
      }
    }
    this.slots = slots;
  }

  /**
   * The legacy RTCOfferOptions (W3C §11.2.2), applied when createOffer() is called: `false` stops receiving
   * (sendrecv becomes sendonly, recvonly inactive); `true` adds a recvonly transceiver unless one of the kind
   * already receives. Neither updates the negotiation-needed flag.
   */
  applyLegacyOfferOptions(options: { offerToReceiveAudio?: boolean; offerToReceiveVideo?: boolean }): void {
    for (const kind of ['audio', 'video'] as const) {
      const value = kind === 'audio' ? options.offerToReceiveAudio : options.offerToReceiveVideo;
      if (value === undefined) continue;
      const live = this.list.filter((t) => t.kind === kind && !t.stopped);
      if (!value) {
        for (const t of live) {
          if (t.direction === 'sendrecv') t.setDirectionQuietly('sendonly');
          else if (t.direction === 'recvonly') t.setDirectionQuietly('inactive');
        }
        continue;
      }
      if (live.some((t) => t.direction === 'sendrecv' || t.direction === 'recvonly')) continue;
      const sender = new RTCRtpSender(kind, null, [], undefined, this.random);
      this.bind(new RTCRtpTransceiver(kind, sender, 'recvonly'));
    }
  }

  /** W3C "process remote tracks": bind a remote offer's m-lines to transceivers, creating what is missing. */
  associate(model: SessionDescription): void {
    for (const m of model.media) {
      const kind = mediaKind(m.kind);
      if (!kind || m.mid === undefined) continue;
      const bound = this.byMid(m.mid);
      // W3C: a section the offer rejects stops its transceiver (the offerer stopped it).
      if (bound && isRejected(m) && !bound.isStopped) bound.markStopped();
      if (bound) continue;
      const free = this.list.find(
        (t) => t.mid === null && !t.stopped && t.kind === kind && t.sender.track !== null,
      );
      if (free) {
        free.mid = m.mid;
        free.offeredMid = null;
        continue;
      }
      const t = new RTCRtpTransceiver(
        kind,
        new RTCRtpSender(kind, null, [], undefined, this.random),
        'recvonly',
      );
      t.mid = m.mid;
      t.createdByRemote = true;
      this.bind(t);
    }
  }

  /**
   * After a local description: which transceivers sent, and (with a remote one) their current direction and
   * negotiated parameters; a stopped transceiver whose section the negotiation rejected is now W3C [[Stopped]].
   */
  updateDirections(local: SessionDescription, remote: SessionDescription | undefined, cname?: string): void {
    local.media.forEach((m, i) => {
      const t = this.byMid(m.mid);
      if (!t) return;
      if (isRejected(m)) {
        if (remote && t.stopped) t.markStopped();
        else t.setCurrentDirection('inactive');
        return;
      }
      const d = m.direction ?? 'sendrecv';
      if (d === 'sendrecv' || d === 'sendonly') t.usedToSend = true;
      if (!remote) return;
      t.setCurrentDirection(d);
      const theirs =
        remote.media[i]?.mid === m.mid ? remote.media[i]! : remote.media.find((r) => r.mid === m.mid);
      t.receiver.negotiated = parametersOf(m, t.kind);
      // What we may send with is what the peer accepts, in its order (JSEP).
      t.sender.negotiated = parametersOf(theirs ?? m, t.kind, cname);
    });
  }

  /**
   * W3C "process remote tracks" for a remote description: the receivers it starts feeding (their `track`
   * event is due) and those it stops feeding (their track is muted and leaves its streams).
   */
  remoteTrackChanges(remote: SessionDescription): RemoteTrackChanges {
    const started: RTCRtpTransceiver[] = [];
    const stopped: RTCRtpTransceiver[] = [];
    const fed: RTCRtpTransceiver[] = [];
    for (const m of remote.media) {
      const t = this.byMid(m.mid);
      if (!t || t.stopped) continue;
      const d = m.direction ?? 'sendrecv';
      const sends = !isRejected(m) && (d === 'sendrecv' || d === 'sendonly');
      if (sends) fed.push(t);
      if (sends === t.firedReceiving) continue;
      t.firedReceiving = sends;
      (sends ? started : stopped).push(t);
    }
    return { started, stopped, fed };
  }

  /** A rolled-back local offer: transceivers that got their mid from it lose it. */
  rollbackLocal(current: SessionDescription | undefined): void {
    const kept = new Set((current?.media ?? []).map((m) => m.mid));
    for (const t of this.list) if (t.mid !== null && !kept.has(t.mid)) t.mid = null;
    this.setSlotsFrom(current);
  }

  /** A rolled-back remote offer: transceivers it created go away; others it bound lose the mid. */
  rollbackRemote(current: SessionDescription | undefined): void {
    const kept = new Set((current?.media ?? []).map((m) => m.mid));
    for (const t of [...this.list]) {
      if (t.mid === null || kept.has(t.mid)) continue;
      if (t.createdByRemote) {
        this.list.splice(this.list.indexOf(t), 1);
        t.markStopped();
      } else t.mid = null;
    }
  }

  /** What we answer for a section: the transceiver's direction (recvonly when there is none). */
  answerDirection(mid: string | undefined): MediaDirection {
    const t = this.byMid(mid);
    if (!t || t.stopped) return 'recvonly';
    const d: RTCRtpTransceiverDirection = t.direction;
    return d === 'stopped' ? 'inactive' : d;
  }

  /** RTCPeerConnection.close(): every transceiver is stopped at once (W3C "stop the transceiver"). */
  stopAll(): void {
    for (const t of this.list) t.markStopped();
  }
}

function mediaKind(kind: string): 'audio' | 'video' | undefined {
  return kind === 'audio' || kind === 'video' ? kind : undefined;
}

/** A section with port 0 is rejected, unless it is bundle-only (it then rides on the bundle's transport). */
export function isRejected(m: MediaSection): boolean {
  return m.port === 0 && !m.bundleOnly;
}

/**
 * The Node peer of the `server` page (and of aiortc's own `server` page, whose requests it also understands):
 * it answers the browser's offer; the browser's camera comes back through the chosen transform, its
 * microphone is answered with a 440 Hz tone and recorded (`--record-to`, with the video) or discarded
 * (MediaBlackhole); data-channel pings are answered; a file sent on channel "file" is hashed.
 */
import { createHash } from 'node:crypto';
import { MediaBlackhole } from '../contrib/media/media-blackhole.js';
import { MediaRecorder } from '../contrib/media/media-recorder.js';
import { MediaRelay } from '../contrib/media/media-relay.js';
import { gatheringComplete } from '../contrib/signaling/negotiate.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { MediaStream } from '../media/media-stream.js';
import type { MediaStreamTrack } from '../media/track.js';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';
import {
  isVideoTransform,
  ToneTrack,
  type TransformEngine,
  type VideoTransform,
  VideoTransformTrack,
} from './demo-tracks.js';

export interface DemoPeerOptions {
  /** Offer loopback candidates only (the default for a server on 127.0.0.1). */
  loopbackOnly: boolean;
  /** Record the browser's audio and video into this file (each connection overwrites it, as aiortc). */
  recordTo?: string;
  engine?: TransformEngine;
  /** Log lines (aiortc's "Connection state is …", "Track … received"). */
  log?: (line: string) => void;
}

/** What the page posts: tsrtc's page sends `transform`, aiortc's `video_transform`. */
interface OfferBody {
  type?: unknown;
  sdp?: unknown;
  transform?: unknown;
  video_transform?: unknown;
}

/** Text pings: aiortc's page sends `ping <ms>` and wants `pong <ms>`; tsrtc's sends JSON {ping} and {text}. */
function serveChat(channel: RTCDataChannel): void {
  channel.onmessage = ({ data }) => {
    if (typeof data !== 'string') return;
    if (data.startsWith('ping')) {
      channel.send(`pong${data.slice(4)}`);
      return;
    }
    let msg: { ping?: number; text?: string };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      return;
    }
    if (msg.ping !== undefined) channel.send(JSON.stringify({ ping: msg.ping }));
    else channel.send(JSON.stringify({ echo: msg.text ?? '' }));
  };
}

/** A file sent as {start}, binary chunks, {end}: answered with its size, SHA-256 and the time it took. */
function serveFile(channel: RTCDataChannel): void {
  channel.binaryType = 'arraybuffer';
  let hash = createHash('sha256');
  let bytes = 0;
  let started = 0;
  channel.onmessage = ({ data }) => {
    if (typeof data === 'string') {
      const msg = JSON.parse(data) as { start?: number; end?: boolean };
      if (msg.start !== undefined) {
        hash = createHash('sha256');
        bytes = 0;
        started = performance.now();
      } else if (msg.end) {
        const ms = performance.now() - started;
        channel.send(JSON.stringify({ bytes, sha256: hash.digest('hex'), ms }));
      }
      return;
    }
    const chunk = new Uint8Array(data as ArrayBuffer);
    hash.update(chunk);
    bytes += chunk.byteLength;
  };
}

/** One browser's connection: closing it stops the replies and finalises the recording. */
export interface DemoConnection {
  readonly pc: RTCPeerConnection;
  readonly transform: VideoTransform;
  /** The video reply, once the browser's camera arrived (its engineInUse says which implementation runs). */
  readonly videoReply: VideoTransformTrack | undefined;
  close(): Promise<void>;
}

/**
 * Answers one offer; the connection stays in `connections` until it closes or fails. Returns the answer's
 * JSON.
 */
export async function answerDemoOffer(
  body: string,
  options: DemoPeerOptions,
  connections: Set<DemoConnection>,
): Promise<string> {
  const offer = JSON.parse(body) as OfferBody;
  if (offer.type !== 'offer' || typeof offer.sdp !== 'string') throw new TypeError('expected an offer');
  const requested = offer.transform ?? offer.video_transform;
  const transform: VideoTransform = isVideoTransform(requested) ? requested : 'edges';
  const log = options.log ?? (() => undefined);

  const pc = new RTCPeerConnection({ iceLoopbackOnly: options.loopbackOnly });
  const relay = new MediaRelay();
  const recorder = options.recordTo ? new MediaRecorder(options.recordTo) : null;
  const blackhole = new MediaBlackhole();
  const replies: MediaStreamTrack[] = [];
  let recorderStarted = false;
  let recorded = 0;

  const stream = new MediaStream();
  pc.ontrack = ({ track }) => {
    log(`Track ${track.kind} received`);
    let reply: MediaStreamTrack;
    if (track.kind === 'video') {
      videoReply = new VideoTransformTrack(relay.subscribe(track), transform, options.engine);
      reply = videoReply;
      if (recorder && !recorderStarted) {
        recorder.addTrack(relay.subscribe(track));
        recorded++;
      }
    } else {
      reply = new ToneTrack(440);
      if (recorder && !recorderStarted) {
        recorder.addTrack(track);
        recorded++;
      } else if (!recorder) blackhole.addTrack(track);
    }
    replies.push(reply);
    // addTrack (not replaceTrack) so the reply belongs to a stream: aiortc's page shows `event.streams[0]`.
    pc.addTrack(reply, stream);
    track.addEventListener('ended', () => log(`Track ${track.kind} ended`));
  };
  pc.ondatachannel = ({ channel }) => {
    if (channel.label === 'file') serveFile(channel);
    else serveChat(channel);
  };
  let videoReply: VideoTransformTrack | undefined;
  let closing: Promise<void> | undefined;
  const connection: DemoConnection = {
    pc,
    transform,
    get videoReply() {
      return videoReply;
    },
    close() {
      closing ??= (async () => {
        connections.delete(connection);
        pc.close();
        for (const r of replies) r.stop();
        await blackhole.stop();
        await recorder?.stop();
      })();
      return closing;
    },
  };
  connections.add(connection);
  pc.onconnectionstatechange = () => {
    log(`Connection state is ${pc.connectionState}`);
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') void connection.close();
  };

  await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  await pc.setLocalDescription();
  await blackhole.start();
  if (recorder && recorded > 0) {
    recorderStarted = true;
    await recorder.start();
  }
  await gatheringComplete(pc);
  return JSON.stringify(pc.localDescription);
}

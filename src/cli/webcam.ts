/**
 * webcam, aiortc's example of the same name: a web server whose page (web/webcam.html, or aiortc's own with
 * --page-dir) receives one shared source, a file (--play-from), the camera, or, without one, aiortc's flag.
 * Every viewer gets the same frames through MediaRelay and, per codec, the same encode (shared-media.ts);
 * --play-without-decoding passes the file's encoded frames through, with the codecs forced as aiortc does.
 *   npm run webcam -- [--play-from FILE [--play-without-decoding]] [--video-codec video/VP8]
 *                     [--audio-codec audio/opus] [--host H] [--port P] [--cert-file F --key-file F] [-v]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gatheringComplete } from '../contrib/signaling/negotiate.js';
import type { CodecName } from '../media/encoded-frame.js';
import { MediaStreamError } from '../media/errors.js';
import { MediaStream } from '../media/media-stream.js';
import { type MediaFrame, type MediaKind, MediaStreamTrack } from '../media/track.js';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';
import { RTCRtpSender } from '../peerconnection/transceiver.js';
import { isResilienceCodec } from '../sdp/codecs.js';
import { parseSdp } from '../sdp/parse.js';
import { enableVerbose, interrupted, parseOrUsage, runMain, UsageError } from './cli-support.js';
import { isLoopbackHost, type OfferServer, type StaticFile, startOfferServer } from './offer-server.js';
import { type NegotiatedCodec, SharedMedia, type SharedMediaOptions } from './shared-media.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface WebcamOptions extends SharedMediaOptions {
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  certFile?: string;
  keyFile?: string;
  /** Force a codec, as aiortc's `--video-codec video/H264` (setCodecPreferences). */
  videoCodec?: string;
  audioCodec?: string;
  /** Serve another page (index.html and client.js), e.g. aiortc's examples/webcam. */
  pageDir?: string;
}

const CODECS: Readonly<Record<string, CodecName>> = {
  opus: 'opus',
  pcmu: 'pcmu',
  pcma: 'pcma',
  g722: 'g722',
  vp8: 'vp8',
  vp9: 'vp9',
  h264: 'h264',
  av1: 'av1',
};

/** Holds a sender's place until the negotiated codec says which shared track it gets. */
class PendingTrack extends MediaStreamTrack {
  constructor(private readonly mediaKind: 'audio' | 'video') {
    super();
  }
  override get kind(): MediaKind {
    return this.mediaKind;
  }
  recv(): Promise<MediaFrame> {
    return new Promise((_, reject) => {
      const end = (): void => reject(new MediaStreamError('replaced'));
      if (this.readyState === 'ended') end();
      else this.addEventListener('ended', end, { once: true });
    });
  }
}

/** The codec our answer lists first for `mid`: the one the sender will use. */
function negotiatedCodec(sdp: string, mid: string): NegotiatedCodec | null {
  const section = parseSdp(sdp).media.find((m) => m.mid === mid);
  const codec = section?.port === 0 ? undefined : section?.codecs.find((c) => !isResilienceCodec(c));
  const name = codec && CODECS[codec.name.toLowerCase()];
  return codec && name ? { codec: name, parameters: codec.parameters } : null;
}

function forcedCodecs(kind: 'audio' | 'video', mimeType: string | undefined) {
  if (!mimeType) return null;
  const all = RTCRtpSender.getCapabilities(kind)?.codecs ?? [];
  const chosen = all.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (chosen.length === 0)
    throw new UsageError(`${mimeType} is not one of ${[...new Set(all.map((c) => c.mimeType))].join(', ')}`);
  return [...chosen, ...all.filter((c) => c.mimeType.toLowerCase() === `${kind}/rtx`)];
}

export interface WebcamServer extends OfferServer {
  readonly media: SharedMedia;
  readonly viewers: ReadonlySet<RTCPeerConnection>;
}

export async function startWebcamServer(options: WebcamOptions = {}): Promise<WebcamServer> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopbackHost(host) && process.env.TSRTC_ALL_INTERFACES !== '1';
  const preferences = {
    audio: forcedCodecs('audio', options.audioCodec),
    video: forcedCodecs('video', options.videoCodec),
  };
  if (options.decode === false && options.playFrom === undefined)
    throw new UsageError('--play-without-decoding needs --play-from');
  const media = new SharedMedia(options);
  const viewers = new Set<RTCPeerConnection>();
  // Open the source now, so that a missing file fails at start and the first viewer waits for nothing.
  const source = await media.source();
  if (media.passThrough) {
    for (const kind of ['audio', 'video'] as const) {
      if (source[kind] && !preferences[kind])
        throw new UsageError(`you must specify the ${kind} codec using --${kind}-codec`);
    }
  }

  const answer = async (body: string): Promise<string> => {
    const offer = JSON.parse(body) as { type?: unknown; sdp?: unknown };
    if (offer.type !== 'offer' || typeof offer.sdp !== 'string') throw new TypeError('expected an offer');
    const pc = new RTCPeerConnection({ iceLoopbackOnly: loopbackOnly });
    viewers.add(pc);
    const releases: (() => void)[] = [];
    const leave = (): void => {
      if (!viewers.delete(pc)) return;
      for (const release of releases.splice(0)) release();
      pc.close();
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') leave();
    };
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const tracks = await media.source();
      const stream = new MediaStream();
      const pending: { kind: 'audio' | 'video'; sender: RTCRtpSender; placeholder: PendingTrack }[] = [];
      for (const kind of ['audio', 'video'] as const) {
        if (!tracks[kind]) continue;
        const placeholder = new PendingTrack(kind);
        const sender = pc.addTrack(placeholder, stream);
        const forced = preferences[kind];
        if (forced)
          pc.getTransceivers()
            .find((t) => t.sender === sender)
            ?.setCodecPreferences(forced);
        pending.push({ kind, sender, placeholder });
      }
      await pc.setLocalDescription();
      const sdp = pc.localDescription!.sdp;
      for (const { kind, sender, placeholder } of pending) {
        const mid = pc.getTransceivers().find((t) => t.sender === sender)?.mid;
        const codec = mid == null ? null : negotiatedCodec(sdp, mid);
        const shared = codec ? await media.subscribe(kind, codec) : null;
        if (shared) {
          releases.push(shared.release);
          await sender.replaceTrack(shared.track);
        }
        placeholder.stop();
      }
      await gatheringComplete(pc);
      return JSON.stringify(pc.localDescription);
    } catch (error) {
      leave();
      throw error;
    }
  };

  const server = await startOfferServer({
    host,
    port: options.port ?? 8080,
    certFile: options.certFile,
    keyFile: options.keyFile,
    files: pageFiles(options.pageDir),
    json: { '/stats': () => ({ viewers: viewers.size, ...media.stats() }) },
    onOffer: answer,
  });
  return {
    url: server.url,
    media,
    viewers,
    async close() {
      for (const pc of [...viewers]) pc.close();
      viewers.clear();
      media.close();
      await server.close();
    },
  };
}

function pageFiles(dir: string | undefined): Record<string, StaticFile> {
  const html = { type: 'text/html; charset=utf-8' };
  const js = { type: 'text/javascript; charset=utf-8' };
  if (!dir) {
    const page = { ...html, body: readFileSync(join(here, 'web', 'webcam.html')) };
    return {
      '/': page,
      '/index.html': page,
      '/webcam.js': { ...js, body: readFileSync(join(here, 'web', 'webcam.js')) },
    };
  }
  const page = { ...html, body: readFileSync(join(dir, 'index.html')) };
  const files: Record<string, StaticFile> = { '/': page, '/index.html': page };
  for (const script of ['client.js', 'webcam.js'])
    if (existsSync(join(dir, script))) files[`/${script}`] = { ...js, body: readFileSync(join(dir, script)) };
  return files;
}

const USAGE = `usage: webcam [options]
  --play-from FILE          share this file (default: the camera, or a test pattern without one)
  --play-without-decoding   send the file's encoded frames as they are (needs --video-codec/--audio-codec)
  --loop                    play the file again at its end
  --video-codec MIME        force a video codec (video/VP8, video/H264, video/VP9, video/AV1)
  --audio-codec MIME        force an audio codec (audio/opus, audio/PCMU, audio/PCMA, audio/G722)
  --encode-per-viewer       each viewer's sender encodes for itself (aiortc's way; for comparison)
  --host HOST               listen address (default 127.0.0.1)
  --port PORT               HTTP port (default 8080)
  --cert-file FILE          serve HTTPS with this certificate (PEM) …
  --key-file FILE           … and this key
  --page-dir DIR            serve another page, e.g. aiortc's examples/webcam
  -v, --verbose             debug logs (same as DEBUG=tsrtc:*)`;

function parse(argv: string[]): WebcamOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'play-from': { type: 'string' },
      'play-without-decoding': { type: 'boolean', default: false },
      loop: { type: 'boolean', default: false },
      'video-codec': { type: 'string' },
      'audio-codec': { type: 'string' },
      'encode-per-viewer': { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.PORT ?? '8080' },
      'cert-file': { type: 'string' },
      'key-file': { type: 'string' },
      'page-dir': { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError('share one source with every viewer');
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError('--port must be 0–65535');
  if (Boolean(values['cert-file']) !== Boolean(values['key-file']))
    throw new UsageError('--cert-file and --key-file go together');
  enableVerbose(values.verbose);
  return {
    playFrom: values['play-from'],
    decode: !values['play-without-decoding'],
    loop: values.loop,
    videoCodec: values['video-codec'],
    audioCodec: values['audio-codec'],
    encodePerViewer: values['encode-per-viewer'],
    host: values.host,
    port,
    certFile: values['cert-file'],
    keyFile: values['key-file'],
    pageDir: values['page-dir'],
  };
}

async function main(): Promise<number> {
  const options = parseOrUsage(() => parse(process.argv.slice(2)));
  const server = await startWebcamServer(options);
  console.log(`sharing ${server.media.sourceKind}: open ${server.url} in a browser (Ctrl-C to stop)`);
  await interrupted();
  await server.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain('webcam', USAGE, main);

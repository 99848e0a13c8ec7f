/**
 * videostream-cli, aiortc's example of the same name between two processes:
 *   tsx src/cli/videostream-cli.ts offer  [--play-from FILE] [--record-to FILE] [-s tcp-socket]
 *   tsx src/cli/videostream-cli.ts answer [--play-from FILE] [--record-to FILE] [-s tcp-socket]
 * Each side sends the waving flag (or the file's audio and video through MediaPlayer) and records what it
 * receives (MediaRecorder; without --record-to a MediaBlackhole consumes it). It runs until the other side says
 * BYE, Ctrl-C, or --duration seconds after connecting; every way out finalises the recording and sends BYE.
 */
import { parseArgs } from 'node:util';
import { MediaBlackhole } from '../contrib/media/media-blackhole.js';
import { MediaPlayer } from '../contrib/media/media-player.js';
import { MediaRecorder } from '../contrib/media/media-recorder.js';
import {
  createSignaling,
  DescriptionSender,
  SIGNALING_ARG_OPTIONS,
  SIGNALING_USAGE,
  type Signaling,
  SignalingBye,
  SignalingError,
  signalingOptionsFrom,
} from '../contrib/signaling/index.js';
import type { MediaStreamTrack } from '../media/track.js';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';
import { RTCSessionDescription } from '../peerconnection/session-description.js';
import {
  enableVerbose,
  interrupted,
  numberOption,
  parseOrUsage,
  runMain,
  sleep,
  UsageError,
} from './cli-support.js';
import { FlagVideoStreamTrack } from './flag-track.js';

const USAGE = `usage: videostream-cli {offer,answer} [options]
  --play-from FILE   send this file's audio and video (default: the waving flag)
  --record-to FILE   record what is received (mp4, webm, mkv, frame-%3d.png, …; default: discard it)
  --duration S       stop S seconds after the connection is up (default: run until BYE or Ctrl-C)
  --loopback         gather 127.0.0.1 / ::1 candidates only
  -v, --verbose      debug logs (same as DEBUG=tsrtc:*)
${SIGNALING_USAGE}`;

interface Sink {
  addTrack(track: MediaStreamTrack): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SIGNALING_ARG_OPTIONS,
      'play-from': { type: 'string' },
      'record-to': { type: 'string' },
      duration: { type: 'string' },
      loopback: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError('video from the command line');
  const role = positionals[0];
  if (positionals.length !== 1 || (role !== 'offer' && role !== 'answer'))
    throw new UsageError('expected one role: offer or answer');
  enableVerbose(values.verbose);
  return {
    role,
    playFrom: values['play-from'],
    recordTo: values['record-to'],
    duration: values.duration === undefined ? undefined : numberOption('duration', values.duration, 0),
    loopback: values.loopback,
    signalingOptions: signalingOptionsFrom(values),
  } as const;
}

/** Connected, then `seconds` later (never when undefined). */
function afterConnected(pc: RTCPeerConnection, seconds: number | undefined): Promise<void> {
  if (seconds === undefined) return new Promise(() => undefined);
  return new Promise((resolve) => {
    const check = (): void => {
      if (pc.connectionState !== 'connected') return;
      pc.removeEventListener('connectionstatechange', check);
      void sleep(seconds * 1000).then(resolve);
    };
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}

/** aiortc's run(): offer or answer with our tracks, record theirs, until BYE. */
async function negotiate(
  pc: RTCPeerConnection,
  signaling: Signaling,
  role: 'offer' | 'answer',
  addTracks: () => void,
  startSink: () => Promise<void>,
  sender: DescriptionSender,
): Promise<void> {
  await signaling.connect();
  if (role === 'offer') {
    addTracks();
    await pc.setLocalDescription();
    await sender.send();
  }
  for (;;) {
    let obj: Awaited<ReturnType<Signaling['receive']>>;
    try {
      obj = await signaling.receive();
    } catch (e) {
      if (!(e instanceof SignalingError) || e.code === 'connection') throw e;
      console.error(`signaling: ${e.message} (ignored)`);
      continue;
    }
    if (obj instanceof SignalingBye) {
      console.log('Exiting');
      return;
    }
    if (obj instanceof RTCSessionDescription) {
      await pc.setRemoteDescription(obj);
      await startSink();
      if (obj.type === 'offer') {
        addTracks();
        await pc.setLocalDescription();
        await sender.send();
      }
    } else if (pc.remoteDescription) {
      await pc.addIceCandidate(obj);
    }
  }
}

async function main(): Promise<number> {
  const options = parseOrUsage(() => parse(process.argv.slice(2)));
  const player = options.playFrom ? await MediaPlayer.open(options.playFrom) : null;
  // The flag's 30 frames take a moment to compute: before signaling, not while the peer waits for an answer.
  const video: MediaStreamTrack = player?.video ?? new FlagVideoStreamTrack();
  const recorder = options.recordTo ? new MediaRecorder(options.recordTo) : null;
  const sink: Sink = recorder ?? new MediaBlackhole();
  const signaling = createSignaling(options.signalingOptions);
  const pc = new RTCPeerConnection({ iceLoopbackOnly: options.loopback });
  const sender = new DescriptionSender(pc, signaling, false);

  let sinkTracks = 0;
  let sinkStarted = false;
  pc.ontrack = ({ track }) => {
    console.log(`Receiving ${track.kind}`);
    // A track announced after the recorder started (a renegotiation) cannot join its file.
    if (sinkStarted && recorder) return;
    sink.addTrack(track);
    sinkTracks++;
  };
  const startSink = async (): Promise<void> => {
    if (sinkStarted || sinkTracks === 0) return;
    sinkStarted = true;
    await sink.start();
  };
  let tracksAdded = false;
  const addTracks = (): void => {
    if (tracksAdded) return;
    tracksAdded = true;
    if (player?.audio) pc.addTrack(player.audio);
    pc.addTrack(video);
  };

  let code = 0;
  try {
    await Promise.race([
      negotiate(pc, signaling, options.role, addTracks, startSink, sender),
      afterConnected(pc, options.duration),
      interrupted(),
    ]);
  } catch (e) {
    console.error(`videostream-cli: ${(e as Error).message}`);
    code = 1;
  } finally {
    // aiortc's order: the recording first, then BYE, then the connection.
    await sink.stop();
    if (recorder?.error) {
      console.error(`videostream-cli: recording failed: ${recorder.error.message}`);
      code = 1;
    }
    await signaling.close().catch(() => undefined);
    pc.close();
    player?.stop();
    video.stop();
  }
  return code;
}

runMain('videostream-cli', USAGE, main);

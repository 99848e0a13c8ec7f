/**
 * datachannel-cli, aiortc's ping/pong example between two processes:
 *   tsx src/cli/datachannel-cli.ts offer  [-s tcp-socket] [--count N] [--trickle] [--loopback]
 *   tsx src/cli/datachannel-cli.ts answer [-s tcp-socket] [--trickle] [--loopback]
 * The offerer creates channel "chat" and sends `ping <µs>` every second; the answerer replies `pong <µs>`;
 * the offerer prints the round-trip time. Either side ends on BYE or when the signaling channel closes.
 */
import { parseArgs } from 'node:util';
import { refreshLogConfig } from '../common/logger.js';
import {
  consumeSignaling,
  createSignaling,
  DescriptionSender,
  SIGNALING_ARG_OPTIONS,
  SIGNALING_USAGE,
  type Signaling,
  signalingOptionsFrom,
} from '../contrib/signaling/index.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';

const USAGE = `usage: datachannel-cli {offer,answer} [options]
  --count N      offer: stop after N pongs (default: run until interrupted)
  --trickle      send candidates as they are found (default: wait for gathering, as aiortc)
  --loopback     gather 127.0.0.1 / ::1 candidates only
  -v, --verbose  debug logs (same as DEBUG=tsrtc:*)
${SIGNALING_USAGE}`;

let timeStart: bigint | undefined;

/** Microseconds since the first call (aiortc's current_stamp). */
function currentStamp(): number {
  const now = process.hrtime.bigint();
  timeStart ??= now;
  return Number((now - timeStart) / 1000n);
}

function channelLog(channel: RTCDataChannel, direction: string, message: string): void {
  console.log(`channel(${channel.label}) ${direction} ${message}`);
}

function channelSend(channel: RTCDataChannel, message: string): void {
  channelLog(channel, '>', message);
  channel.send(message);
}

async function runAnswer(
  pc: RTCPeerConnection,
  signaling: Signaling,
  sender: DescriptionSender,
): Promise<void> {
  await signaling.connect();
  pc.ondatachannel = (event) => {
    const channel = event.channel;
    channelLog(channel, '-', 'created by remote party');
    channel.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      channelLog(channel, '<', e.data);
      if (e.data.startsWith('ping')) channelSend(channel, `pong${e.data.slice(4)}`);
    };
  };
  await consumeSignaling(pc, signaling, sender);
  console.log('Exiting');
}

async function runOffer(
  pc: RTCPeerConnection,
  signaling: Signaling,
  sender: DescriptionSender,
  count: number | undefined,
): Promise<void> {
  await signaling.connect();
  const channel = pc.createDataChannel('chat');
  channelLog(channel, '-', 'created by local party');

  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  let sent = 0;
  let pongs = 0;
  const ping = (): void => {
    if (channel.readyState !== 'open' || (count !== undefined && sent >= count)) return;
    sent++;
    channelSend(channel, `ping ${currentStamp()}`);
  };
  channel.onopen = () => {
    ping();
    timer = setInterval(ping, 1000);
  };
  channel.onmessage = (e) => {
    if (typeof e.data !== 'string') return;
    channelLog(channel, '<', e.data);
    if (!e.data.startsWith('pong')) return;
    const elapsedMs = (currentStamp() - Number.parseInt(e.data.slice(5), 10)) / 1000;
    console.log(` RTT ${elapsedMs.toFixed(2)} ms`);
    if (count !== undefined && ++pongs >= count) finished();
  };
  channel.onclose = () => finished();

  await pc.setLocalDescription();
  await sender.send();
  try {
    await consumeSignaling(pc, signaling, sender, { stop: done });
  } finally {
    clearInterval(timer);
  }
  if (count === undefined || pongs < count) console.log('Exiting');
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { role, count, trickle, loopback, signalingOptions } = parsed;
  const signaling = createSignaling(signalingOptions);
  const pc = new RTCPeerConnection({ iceLoopbackOnly: loopback });
  const sender = new DescriptionSender(pc, signaling, trickle);
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    void shutdown(pc, signaling).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (role === 'offer') await runOffer(pc, signaling, sender, count);
    else await runAnswer(pc, signaling, sender);
  } catch (e) {
    if (interrupted) return 130;
    console.error(`datachannel-cli: ${(e as Error).message}`);
    await shutdown(pc, signaling);
    return 1;
  }
  await shutdown(pc, signaling);
  return 0;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SIGNALING_ARG_OPTIONS,
      count: { type: 'string' },
      trickle: { type: 'boolean', default: false },
      loopback: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new Error('datachannel-cli: ping/pong over a data channel');
  const role = positionals[0];
  if (positionals.length !== 1 || (role !== 'offer' && role !== 'answer'))
    throw new Error('expected one role: offer or answer');
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!/^\d+$/.test(values.count) || count < 1) throw new Error(`--count must be a positive integer`);
  }
  if (values.verbose && !process.env.DEBUG) {
    process.env.DEBUG = 'tsrtc:*';
    refreshLogConfig();
  }
  return {
    role,
    count,
    trickle: values.trickle,
    loopback: values.loopback,
    signalingOptions: signalingOptionsFrom(values),
  } as const;
}

async function shutdown(pc: RTCPeerConnection, signaling: Signaling): Promise<void> {
  await signaling.close().catch(() => undefined);
  pc.close();
}

// Exit explicitly: stdin (copy-and-paste) and socket timers would otherwise keep the process alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

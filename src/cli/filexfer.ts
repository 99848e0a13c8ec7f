/**
 * filexfer, aiortc's datachannel-filexfer between two processes:
 *   tsx src/cli/filexfer.ts send    FILE [-s tcp-socket]   (offers, sends the file)
 *   tsx src/cli/filexfer.ts receive FILE [-s tcp-socket]   (answers, writes the file)
 * The sender opens channel "filexfer" and sends 16 KiB chunks, pumping while bufferedAmount is at or below
 * bufferedAmountLowThreshold and again on each `bufferedamountlow`; an empty message marks the end. The
 * receiver writes the chunks, prints aiortc's line ("received N bytes in T s (R Mbps)") and the SHA-256, and
 * says BYE; the sender prints its own figures and the SHA-256 of what it read, and answers BYE. A progress bar
 * is drawn on stderr when it is a terminal.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  BYE,
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
import { enableVerbose, interrupted, parseOrUsage, runMain, UsageError } from './cli-support.js';
import { mbps, ProgressBar } from './progress.js';

const USAGE = `usage: filexfer {send,receive} FILE [options]
  --loopback     gather 127.0.0.1 / ::1 candidates only
  -v, --verbose  debug logs (same as DEBUG=tsrtc:*)
${SIGNALING_USAGE}`;

/** aiortc's chunk size. */
export const CHUNK_BYTES = 16 * 1024;
/** Read this much at a time and send it as chunk views (a fresh buffer per read: send() may keep views). */
const READ_BYTES = 64 * CHUNK_BYTES;
/**
 * Refill when at most this much is still queued. aiortc uses 0, which works there because its bufferedAmount
 * falls when a message enters the SCTP queue; ours falls as SCTP sends, so 0 would leave the pipe empty at
 * every refill.
 */
export const LOW_WATER_BYTES = 4 * 1024 * 1024;

interface Transfer {
  bytes: number;
  seconds: number;
  sha256: string;
  complete: boolean;
}

function report(verb: string, t: Transfer): void {
  console.log(
    `${verb} ${t.bytes} bytes in ${t.seconds.toFixed(1)} s (${mbps(t.bytes, t.seconds).toFixed(3)} Mbps)`,
  );
  console.log(`sha-256 ${t.sha256}`);
}

/** The offer side: reads FILE and pumps it into the channel. Resolves with what was sent once BYE comes. */
async function runSend(pc: RTCPeerConnection, signaling: Signaling, fd: number): Promise<Transfer> {
  const size = fstatSync(fd).size;
  const hash = createHash('sha256');
  const progress = new ProgressBar(process.stderr, size);
  const channel = pc.createDataChannel('filexfer');
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  let block = new Uint8Array(0);
  let offset = 0;
  let sent = 0;
  let doneReading = false;
  let started = 0;

  const nextChunk = (): Uint8Array => {
    if (offset >= block.byteLength) {
      block = new Uint8Array(READ_BYTES);
      const n = readSync(fd, block, 0, READ_BYTES, null);
      block = block.subarray(0, n);
      offset = 0;
    }
    const chunk = block.subarray(offset, offset + CHUNK_BYTES);
    offset += chunk.byteLength;
    return chunk;
  };
  const sendData = (): void => {
    while (channel.bufferedAmount <= channel.bufferedAmountLowThreshold && !doneReading) {
      const chunk = nextChunk();
      channel.send(chunk);
      hash.update(chunk);
      sent += chunk.byteLength;
      if (chunk.byteLength === 0) doneReading = true;
    }
    progress.update(sent);
  };
  channel.onopen = () => {
    started = performance.now();
    sendData();
  };
  channel.onbufferedamountlow = sendData;

  await pc.setLocalDescription();
  const sender = new DescriptionSender(pc, signaling, false);
  await sender.send();
  await consumeSignaling(pc, signaling, sender);
  // Timed to the receiver's BYE, which it sends once it has everything (the last send() only queued it).
  const seconds = started ? (performance.now() - started) / 1000 : 0;
  progress.finish(sent);
  return {
    bytes: sent,
    seconds,
    sha256: hash.digest('hex'),
    complete: doneReading,
  };
}

/** The answer side: writes what the channel brings into FILE until the empty message, then says BYE. */
async function runReceive(pc: RTCPeerConnection, signaling: Signaling, fd: number): Promise<Transfer> {
  const hash = createHash('sha256');
  const progress = new ProgressBar(process.stderr, undefined);
  let result: Transfer | undefined;
  let octets = 0;
  pc.ondatachannel = ({ channel }: { channel: RTCDataChannel }) => {
    channel.binaryType = 'arraybuffer';
    const start = performance.now();
    channel.onmessage = ({ data }) => {
      if (result) return;
      const bytes =
        typeof data === 'string' ? Buffer.from(data, 'utf8') : new Uint8Array(data as ArrayBuffer);
      if (bytes.byteLength > 0) {
        writeSync(fd, bytes);
        hash.update(bytes);
        octets += bytes.byteLength;
        progress.update(octets);
        return;
      }
      progress.finish(octets);
      result = {
        bytes: octets,
        seconds: (performance.now() - start) / 1000,
        sha256: hash.digest('hex'),
        complete: true,
      };
      report('received', result);
      // Say goodbye (aiortc's receiver does); the sender answers with its own BYE.
      void signaling.send(BYE).catch(() => undefined);
    };
  };
  await signaling.connect();
  await consumeSignaling(pc, signaling, new DescriptionSender(pc, signaling, false));
  return result ?? { bytes: octets, seconds: 0, sha256: hash.digest('hex'), complete: false };
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SIGNALING_ARG_OPTIONS,
      loopback: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError('data-channel file transfer');
  const [role, file] = positionals;
  if (positionals.length !== 2 || (role !== 'send' && role !== 'receive') || !file)
    throw new UsageError('expected a role (send or receive) and a file');
  enableVerbose(values.verbose);
  return { role, file, loopback: values.loopback, signalingOptions: signalingOptionsFrom(values) } as const;
}

async function main(): Promise<number> {
  const options = parseOrUsage(() => parse(process.argv.slice(2)));
  const fd = openSync(options.file, options.role === 'send' ? 'r' : 'w');
  const signaling = createSignaling(options.signalingOptions);
  const pc = new RTCPeerConnection({ iceLoopbackOnly: options.loopback });
  try {
    const run =
      options.role === 'send'
        ? (async () => {
            await signaling.connect();
            return runSend(pc, signaling, fd);
          })()
        : runReceive(pc, signaling, fd);
    const outcome = await Promise.race([run, interrupted()]);
    if (typeof outcome === 'string') return 130;
    console.log('Exiting');
    if (options.role === 'send') report('sent', outcome);
    if (!outcome.complete) {
      console.error(`filexfer: the transfer ended early after ${outcome.bytes} bytes`);
      return 1;
    }
    return 0;
  } finally {
    closeSync(fd);
    await signaling.close().catch(() => undefined);
    pc.close();
  }
}

runMain('filexfer', USAGE, main);

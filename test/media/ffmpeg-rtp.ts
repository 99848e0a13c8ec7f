/**
 * Helpers for RTP interop with the FFmpeg CLI over loopback: receive what `ffmpeg … -f rtp` sends, and feed our
 * packets to `ffmpeg -i stream.sdp`. Packets are parsed and written with tsrtc's RtpPacket.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { RtpPacket } from '../../src/rtp/packet.js';

export function requireFfmpeg(t: TestContext): boolean {
  const ok = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
  if (ok) return true;
  if (process.env.CI) throw new Error('the ffmpeg CLI is required in CI (apt-get install ffmpeg)');
  t.skip('ffmpeg CLI not installed: FFmpeg RTP interop skipped');
  return false;
}

/** Bind a UDP socket on 127.0.0.1 with an OS-chosen port. */
export async function bindLoopback(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return { socket, port: socket.address().port };
}

/** Run `ffmpeg … -f rtp rtp://127.0.0.1:port` and collect every RTP packet it sends (RTCP is ignored). */
export async function receiveFromFfmpeg(args: string[], timeoutMs = 60_000): Promise<RtpPacket[]> {
  const { socket, port } = await bindLoopback();
  const packets: RtpPacket[] = [];
  socket.on('message', (msg) => {
    const pt = msg[1]! & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP multiplexed on the same port
    const p = RtpPacket.tryParse(new Uint8Array(msg));
    if (p) packets.push(p);
  });
  try {
    await runFfmpeg(
      [...args, '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`],
      timeoutMs,
    );
    await new Promise((r) => setTimeout(r, 200)); // the last datagrams are already queued on loopback
  } finally {
    socket.close();
  }
  return packets;
}

function runFfmpeg(args: string[], timeoutMs: number, stdout?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
      stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    if (stdout) child.stdout!.on('data', stdout);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal === 'SIGTERM') resolve();
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * Local ports of this network namespace from /proc, to know when a child process listens: UDP sockets bound,
 * or TCP sockets in LISTEN (state 0A).
 */
export function localPorts(protocol: 'udp' | 'tcp-listen'): Set<number> {
  const ports = new Set<number>();
  const base = protocol === 'udp' ? '/proc/net/udp' : '/proc/net/tcp';
  for (const file of [base, `${base}6`]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local && (protocol === 'udp' || state === '0A'))
        ports.add(Number.parseInt(local.split(':')[1]!, 16));
    }
  }
  return ports;
}
const boundUdpPorts = (): Set<number> => localPorts('udp');

export interface FfmpegReceiver {
  /** Resolves with ffmpeg's stdout once it exits. */
  done: Promise<Buffer>;
  child: ChildProcess;
  /** Bytes ffmpeg has written so far. */
  received(): number;
}

/**
 * Wait until ffmpeg has written `bytes`, or its output stalled for a second (it can linger ~10 s closing an RTP
 * input, holding back its last buffered output), or `timeoutMs` passed; then stop it and return its output.
 */
export async function finish(receiver: FfmpegReceiver, bytes: number, timeoutMs = 20_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stalledSince = Date.now();
  while (receiver.received() < bytes && Date.now() < deadline && receiver.child.exitCode === null) {
    const now = receiver.received();
    if (now !== last) {
      last = now;
      stalledSince = Date.now();
    } else if (now > 0 && Date.now() - stalledSince > 1000) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  receiver.child.kill('SIGTERM');
  return receiver.done;
}

/**
 * Start `ffmpeg -i stream.sdp …` (output to stdout) and wait until it listens on `port`.
 * `sdpMedia` holds the m= line and its attributes.
 */
export async function startFfmpegReceiver(
  sdpMedia: string,
  port: number,
  outputArgs: string[],
): Promise<FfmpegReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'tsrtc-media-'));
  const sdpPath = join(dir, 'stream.sdp');
  writeFileSync(
    sdpPath,
    [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=tsrtc',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      sdpMedia.replace('PORT', String(port)),
      '',
    ].join('\r\n'),
  );
  const chunks: Buffer[] = [];
  let child: ChildProcess | undefined;
  const done = new Promise<Buffer>((resolve, reject) => {
    child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        process.env.FFMPEG_DEBUG ? 'verbose' : 'error',
        '-nostdin',
        '-protocol_whitelist',
        'file,udp,rtp',
        // Our streams are short: probe 0.3 s of media, not the default 5 s, or ffmpeg is still probing at the end.
        '-analyzeduration',
        '300000',
        // …and do not wait for more frames to guess the frame rate (VP8/VP9 otherwise stall ~10 s at the end).
        '-fpsprobesize',
        '1',
        // One decoder thread: frame threading holds the last frames back until more input comes.
        '-threads',
        '1',
        '-i',
        sdpPath,
        ...outputArgs,
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (process.env.FFMPEG_DEBUG) process.stderr.write(d);
    });
    child.stdout!.on('data', (d: Buffer) => chunks.push(d));
    const timer = setTimeout(() => child!.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // ffmpeg catches SIGTERM (our "enough") and exits with 255 after flushing its output.
      if (code === 0 || signal === 'SIGTERM' || (code === 255 && child!.killed))
        resolve(Buffer.concat(chunks));
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
  for (let i = 0; i < 400 && !boundUdpPorts().has(port); i++) await new Promise((r) => setTimeout(r, 25));
  // Bound is not yet reading: leave ffmpeg a moment to finish opening the input before the keyframe arrives.
  await new Promise((r) => setTimeout(r, 500));
  return { done, child: child!, received: () => chunks.reduce((n, c) => n + c.length, 0) };
}

/** Send packets to 127.0.0.1:port, a little apart so ffmpeg's socket never overflows. */
export async function sendPackets(packets: RtpPacket[], port: number, gapMs = 2): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const p of packets) {
      await new Promise<void>((resolve, reject) =>
        socket.send(p.serialize(), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    socket.close();
  }
}

/** A free UDP port on 127.0.0.1 (bound and released). ffmpeg also uses port+1 for RTCP: both are checked. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const { socket, port } = await bindLoopback();
    socket.close();
    if (port % 2 !== 0 || port > 65000) continue;
    const ports = boundUdpPorts();
    if (!ports.has(port) && !ports.has(port + 1)) return port;
  }
}

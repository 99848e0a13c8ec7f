/**
 * Setup time through the W3C API: new RTCPeerConnection() x2 → offer/answer with trickle → data channel
 * `open` on both sides, both peers in one process, median of many runs; then 64 KiB throughput and
 * 5,000-byte round trips (p50, p99) on one such pair. For tsrtc (with the native accelerator and without,
 * TSRTC_NATIVE=1 / 0), node-datachannel, @roamhq/wrtc and werift, each in a fresh process, with tsrtc's
 * ratios to node-datachannel from the same run (setup and RTT: ours / reference, below 1.0 = faster).
 *
 *   npm run bench -- peerconnection   (inside netns.sh; BENCH_RUNS=20, BENCH_STACKS=…, BENCH_NATIVE=1,0)
 *   BENCH_STACKS=tsrtc>node-datachannel,node-datachannel>tsrtc   mixed pairs (offerer>answerer), setup only
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/common/native.js';
import { exitWhenDone } from './exit-when-done.js';
import { type AnyPeer, listen, STACKS } from './peer-stacks.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);

interface Connected {
  ms: number;
  a: AnyPeer;
  b: AnyPeer;
  sender: Channel;
  receiver: Channel;
}

interface Channel {
  readyState: string;
  bufferedAmount: number;
  binaryType: string;
  send(data: Uint8Array | string): void;
}

async function setupOnce(make: () => Promise<AnyPeer>, makeB = make): Promise<number> {
  const c = await connect(make, makeB);
  await c.a.close();
  await c.b.close();
  return c.ms;
}

async function connect(make: () => Promise<AnyPeer>, makeB = make): Promise<Connected> {
  const t0 = performance.now();
  const a = await make();
  const b = await makeB();
  listen<{ candidate: unknown }>(a, 'icecandidate', (e) => {
    if (e.candidate) void b.addIceCandidate(e.candidate as never).catch(() => undefined);
  });
  listen<{ candidate: unknown }>(b, 'icecandidate', (e) => {
    if (e.candidate) void a.addIceCandidate(e.candidate as never).catch(() => undefined);
  });
  const channel = a.createDataChannel('bench');
  const openA = new Promise<void>((resolve) => listen(channel, 'open', () => resolve()));
  let receiver: Channel | undefined;
  const openB = new Promise<void>((resolve) =>
    listen<{ channel: unknown }>(b, 'datachannel', (e) => {
      const ch = e.channel as Channel;
      receiver = ch;
      if (ch.readyState === 'open') resolve();
      else listen(ch, 'open', () => resolve());
    }),
  );
  await a.setLocalDescription((await a.createOffer()) as never);
  await b.setRemoteDescription(a.localDescription as never);
  await b.setLocalDescription((await b.createAnswer()) as never);
  await a.setRemoteDescription(b.localDescription as never);
  await Promise.all([openA, openB]);
  return { ms: performance.now() - t0, a, b, sender: channel as Channel, receiver: receiver! };
}

/** Reliable ordered throughput of 64 KiB messages (MB/s), sender kept under 1 MiB buffered. */
async function throughput(c: Connected, totalBytes = 32 * 1024 * 1024): Promise<number> {
  const size = 64 * 1024;
  const count = Math.floor(totalBytes / size);
  const payload = new Uint8Array(size).fill(7);
  let received = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) =>
    listen<{ data: unknown }>(c.receiver, 'message', (e) => {
      const d = e.data as ArrayBuffer | Uint8Array | string;
      received += typeof d === 'string' ? d.length : d.byteLength;
      if (received >= count * size) resolve();
    }),
  );
  c.receiver.binaryType = 'arraybuffer';
  for (let i = 0; i < count; i++) {
    while (c.sender.bufferedAmount > 1024 * 1024) await new Promise((r) => setTimeout(r, 1));
    c.sender.send(payload);
  }
  await done;
  return (count * size) / 1e6 / ((performance.now() - t0) / 1000);
}

/** Ping-pong of 5,000-byte messages: p50 and p99 round trip in ms. */
async function pingPong(c: Connected, rounds = 300): Promise<{ p50: number; p99: number }> {
  const msg = new Uint8Array(5000).fill(1);
  listen<{ data: unknown }>(c.receiver, 'message', (e) =>
    c.receiver.send(new Uint8Array(e.data as ArrayBuffer)),
  );
  const times: number[] = [];
  let pending: (() => void) | undefined;
  listen(c.sender, 'message', () => pending?.());
  (c.sender as { binaryType: string }).binaryType = 'arraybuffer';
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      pending = resolve;
      c.sender.send(msg);
    });
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(rounds / 2)]!, p99: times[Math.floor(rounds * 0.99)]! };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(
  name: string,
  make: () => Promise<AnyPeer>,
  makeB = make,
): Promise<number | undefined> {
  const times: number[] = [];
  try {
    await setupOnce(make, makeB); // warm-up (module loading, JIT)
    for (let i = 0; i < RUNS; i++) times.push(await setupOnce(make, makeB));
  } catch (err) {
    console.log(JSON.stringify({ bench: 'pc.setup_to_open', stack: name, error: (err as Error).message }));
    return undefined;
  }
  const m = median(times);
  const sorted = [...times].sort((x, y) => x - y);
  console.log(
    JSON.stringify({
      bench: 'pc.setup_to_open',
      stack: name,
      runs: RUNS,
      median_ms: +m.toFixed(2),
      min_ms: +sorted[0]!.toFixed(2),
      max_ms: +sorted[sorted.length - 1]!.toFixed(2),
    }),
  );
  return m;
}

type TransferResult = { mbps: number; p50: number; p99: number };

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} over ${ms / 1000} s`)), ms)),
  ]);
}

async function transfer(name: string, make: () => Promise<AnyPeer>): Promise<TransferResult | undefined> {
  let c: Connected | undefined;
  try {
    c = await connect(make);
    const mbps = await within(throughput(c), 60_000, 'throughput step');
    const lat = await within(pingPong(c), 60_000, 'ping-pong');
    console.log(
      JSON.stringify({
        bench: 'pc.datachannel_64k_throughput_and_5000b_rtt',
        stack: name,
        mb_per_s: +mbps.toFixed(1),
        rtt_p50_ms: +lat.p50.toFixed(3),
        rtt_p99_ms: +lat.p99.toFixed(3),
      }),
    );
    return { mbps, p50: lat.p50, p99: lat.p99 };
  } catch (err) {
    const error = (err as Error).message;
    console.log(JSON.stringify({ bench: 'pc.datachannel_64k_throughput_and_5000b_rtt', stack: name, error }));
    return undefined;
  } finally {
    await c?.a.close();
    await c?.b.close();
  }
}

type StackName =
  | 'tsrtc'
  | 'node-datachannel'
  | '@roamhq/wrtc'
  | 'werift'
  | `${'tsrtc' | 'node-datachannel'}>${'tsrtc' | 'node-datachannel'}`;

/** One stack in this (fresh) process: its setup median and transfer lines. */
async function stackMain(name: StackName): Promise<void> {
  // Native peers' threads do not keep Node's event loop alive while we await them.
  const keepAlive = setInterval(() => {}, 1000);
  if (name.includes('>')) {
    // A mixed pair, offerer>answerer: setup only.
    const [offerer, answerer] = name.split('>') as [StackName, StackName];
    await measure(name, STACKS[offerer], STACKS[answerer]);
    clearInterval(keepAlive);
    process.exit(0);
  }
  await measure(name, STACKS[name]);
  await transfer(name, STACKS[name]);
  clearInterval(keepAlive);
  process.exit(0);
}

interface Line {
  bench: string;
  stack: string;
  median_ms?: number;
  mb_per_s?: number;
  rtt_p50_ms?: number;
  rtt_p99_ms?: number;
  error?: string;
}

/** Run `name` in a child process (tsrtc with TSRTC_NATIVE=native), echoing and returning its lines. */
function runStack(name: StackName, native?: boolean): Line[] {
  const env = { ...process.env };
  if (native !== undefined) env.TSRTC_NATIVE = native ? '1' : '0';
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--stack', name],
    {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 600_000,
    },
  );
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  for (const l of lines) console.log(JSON.stringify({ ...l, ...(native !== undefined ? { native } : {}) }));
  if (r.status !== 0 && lines.length === 0)
    console.log(
      JSON.stringify({ bench: 'pc', stack: name, error: `exited with ${r.status} ${r.signal ?? ''}` }),
    );
  return lines;
}

/**
 * Every stack in a fresh process of its own (no library's threads or garbage weigh on another's figures);
 * tsrtc with the native accelerator and without it, each with its ratios to node-datachannel.
 */
async function main(): Promise<void> {
  const wanted = (process.env.BENCH_STACKS ?? 'node-datachannel,tsrtc,@roamhq/wrtc,werift').split(
    ',',
  ) as StackName[];
  const engines = (process.env.BENCH_NATIVE ?? (nativeStatus().loaded ? '1,0' : '0'))
    .split(',')
    .map((e) => e === '1');
  const reference = wanted.includes('node-datachannel') ? runStack('node-datachannel') : [];
  const refSetup = reference.find((l) => l.median_ms !== undefined)?.median_ms;
  const refTransfer = reference.find((l) => l.mb_per_s !== undefined);
  for (const name of wanted) {
    if (name === 'node-datachannel') continue;
    if (name !== 'tsrtc' && !(name.includes('>') && name.includes('tsrtc'))) {
      runStack(name);
      continue;
    }
    for (const native of engines) {
      const lines = runStack(name, native);
      const setup = lines.find((l) => l.median_ms !== undefined)?.median_ms;
      const moved = lines.find((l) => l.mb_per_s !== undefined);
      if (setup !== undefined && refSetup !== undefined)
        console.log(
          JSON.stringify({
            bench: 'pc.setup_to_open.ratio',
            native,
            reference: 'node-datachannel',
            tsrtc_ms: setup,
            reference_ms: refSetup,
            ratio: +(setup / refSetup).toFixed(2),
          }),
        );
      if (moved?.mb_per_s && refTransfer?.mb_per_s && moved.rtt_p50_ms && refTransfer.rtt_p50_ms)
        console.log(
          JSON.stringify({
            bench: 'pc.datachannel.ratio',
            native,
            reference: 'node-datachannel',
            throughput_ratio: +(moved.mb_per_s / refTransfer.mb_per_s).toFixed(2),
            rtt_p50_ratio: +(moved.rtt_p50_ms / refTransfer.rtt_p50_ms).toFixed(2),
            rtt_p99_ratio: +((moved.rtt_p99_ms ?? 0) / (refTransfer.rtt_p99_ms ?? 1)).toFixed(2),
          }),
        );
    }
  }
}

const stackAt = process.argv.indexOf('--stack');
if (stackAt >= 0) void stackMain(process.argv[stackAt + 1] as StackName);
else exitWhenDone(main());

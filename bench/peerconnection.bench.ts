/**
 * Setup time through the W3C API: new RTCPeerConnection() x2 → offer/answer with trickle → data channel
 * `open` on both sides, both peers in one process, median of many runs; for tsrtc, node-datachannel,
 * @roamhq/wrtc and werift in the same run, with tsrtc's ratio to node-datachannel (below 1.0 = faster).
 */
import { RTCPeerConnection } from '../src/peerconnection/peer-connection.js';
import {
  NODE_DATACHANNEL,
  type PeerFactory,
  ROAMHQ_WRTC,
  type W3cPeer,
  WERIFT,
} from '../test/interop/w3c-peers.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);

type Listenable = { addEventListener(type: string, listener: (e: never) => void): void };
function listen<T>(target: unknown, type: string, fn: (e: T) => void): void {
  (target as Listenable).addEventListener(type, fn as (e: never) => void);
}

interface AnyPeer {
  createDataChannel(label: string): unknown;
  setLocalDescription(d?: never): Promise<void>;
  setRemoteDescription(d: never): Promise<void>;
  createOffer(): Promise<unknown>;
  createAnswer(): Promise<unknown>;
  addIceCandidate(c: never): Promise<void>;
  readonly localDescription: unknown;
  close(): void | Promise<void>;
}

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

async function setupOnce(make: () => Promise<AnyPeer>): Promise<number> {
  const c = await connect(make);
  await c.a.close();
  await c.b.close();
  return c.ms;
}

async function connect(make: () => Promise<AnyPeer>): Promise<Connected> {
  const t0 = performance.now();
  const a = await make();
  const b = await make();
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

async function measure(name: string, make: () => Promise<AnyPeer>): Promise<number | undefined> {
  const times: number[] = [];
  try {
    await setupOnce(make); // warm-up (module loading, JIT)
    for (let i = 0; i < RUNS; i++) times.push(await setupOnce(make));
  } catch (err) {
    console.log(JSON.stringify({ bench: 'pc.setup_to_open', stack: name, error: (err as Error).message }));
    return undefined;
  }
  const m = median(times);
  console.log(
    JSON.stringify({ bench: 'pc.setup_to_open', stack: name, runs: RUNS, median_ms: +m.toFixed(2) }),
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

async function main(): Promise<void> {
  const ours = await measure(
    'tsrtc',
    async () => new RTCPeerConnection({ iceLoopbackOnly: true }) as unknown as AnyPeer,
  );
  const peers: PeerFactory[] = [NODE_DATACHANNEL, ROAMHQ_WRTC, WERIFT];
  const results = new Map<string, number | undefined>();
  for (const p of peers)
    results.set(
      p.name,
      await measure(p.name, async () => (await p.create()) as W3cPeer as unknown as AnyPeer),
    );
  const ndc = results.get(NODE_DATACHANNEL.name);
  const ourTransfer = await transfer(
    'tsrtc',
    async () => new RTCPeerConnection({ iceLoopbackOnly: true }) as unknown as AnyPeer,
  );
  const transfers = new Map<string, Awaited<ReturnType<typeof transfer>>>();
  for (const p of peers)
    transfers.set(
      p.name,
      await transfer(p.name, async () => (await p.create()) as W3cPeer as unknown as AnyPeer),
    );
  const ndcTransfer = transfers.get(NODE_DATACHANNEL.name);
  if (ourTransfer && ndcTransfer) {
    console.log(
      JSON.stringify({
        bench: 'pc.datachannel.ratio',
        reference: 'node-datachannel',
        throughput_ratio: +(ourTransfer.mbps / ndcTransfer.mbps).toFixed(2),
        rtt_p50_ratio: +(ourTransfer.p50 / ndcTransfer.p50).toFixed(2),
      }),
    );
  }
  if (ours !== undefined && ndc !== undefined) {
    console.log(
      JSON.stringify({
        bench: 'pc.setup_to_open.ratio',
        reference: 'node-datachannel',
        tsrtc_ms: +ours.toFixed(2),
        reference_ms: +ndc.toFixed(2),
        ratio: +(ours / ndc).toFixed(2),
      }),
    );
  }
  process.exit(0);
}

void main();

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

async function setupOnce(make: () => Promise<AnyPeer>): Promise<number> {
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
  const openB = new Promise<void>((resolve) =>
    listen<{ channel: unknown }>(b, 'datachannel', (e) => {
      const ch = e.channel as { readyState: string };
      if (ch.readyState === 'open') resolve();
      else listen(ch, 'open', () => resolve());
    }),
  );
  await a.setLocalDescription((await a.createOffer()) as never);
  await b.setRemoteDescription(a.localDescription as never);
  await b.setLocalDescription((await b.createAnswer()) as never);
  await a.setRemoteDescription(b.localDescription as never);
  await Promise.all([openA, openB]);
  const ms = performance.now() - t0;
  await a.close();
  await b.close();
  return ms;
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

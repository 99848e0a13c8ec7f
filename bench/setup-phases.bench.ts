/**
 * Where the time of a data-channel setup goes, per phase and per one-way trip. Both peers in one process
 * (as bench/peerconnection.bench.ts): offer/answer with trickle, then the channel `open` on both sides.
 * tsrtc's sockets and DTLS/SCTP layers are wrapped (this bench only) to log every datagram with what it
 * carries (STUN check / nomination / response, DTLS handshake messages by type, SCTP chunks inside DTLS:
 * INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DCEP OPEN/ACK, SACK), so a tsrtc↔tsrtc setup shows both ends and
 * a mixed pair (tsrtc with node-datachannel) shows tsrtc's end of every exchange. node-datachannel↔
 * node-datachannel gives only the total (the reference).
 *
 *   ../shared/scripts/netns.sh npm run bench -- setup-phases
 *   BENCH_STACKS=tsrtc,tsrtc>node-datachannel,node-datachannel>tsrtc,node-datachannel  BENCH_RUNS=15
 *   BENCH_TIMELINE=1   print the datagram timeline of the median run of each stack
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TransportAddress } from '../src/common/engine.js';
import { DataChannelEngine } from '../src/datachannel/channel-engine.js';
import { RTCDtlsTransport } from '../src/dtls/transport.js';
import { UdpSocket } from '../src/net/udp-socket.js';
import { listen, STACKS } from './peer-stacks.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SELF = fileURLToPath(import.meta.url);

interface Mark {
  t: number;
  what: string;
}
let t0 = 0;
let marks: Mark[] = [];
const mark = (what: string) => marks.push({ t: performance.now() - t0, what });

// ---- what a datagram carries ----

const HANDSHAKE: Record<number, string> = {
  1: 'ClientHello',
  2: 'ServerHello',
  3: 'HelloVerifyRequest',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
};
const CHUNK: Record<number, string> = {
  1: 'INIT',
  2: 'INIT-ACK',
  3: 'SACK',
  4: 'HEARTBEAT',
  6: 'ABORT',
  10: 'COOKIE-ECHO',
  11: 'COOKIE-ACK',
};

function describeDatagram(d: Uint8Array): string {
  const first = d[0]!;
  if (first < 4) {
    const type = (d[0]! << 8) | d[1]!;
    if (type === 0x0101) return 'STUN response';
    if (type !== 0x0001) return `STUN ${type.toString(16)}`;
    // USE-CANDIDATE (0x0025) among the attributes: a nomination.
    for (let at = 20; at + 4 <= d.length; ) {
      const attr = (d[at]! << 8) | d[at + 1]!;
      const len = (d[at + 2]! << 8) | d[at + 3]!;
      if (attr === 0x0025) return 'STUN check+USE-CANDIDATE';
      at += 4 + ((len + 3) & ~3);
    }
    return 'STUN check';
  }
  if (first >= 20 && first <= 63) {
    const parts: string[] = [];
    for (let at = 0; at + 13 <= d.length; ) {
      const ct = d[at]!;
      const epoch = (d[at + 3]! << 8) | d[at + 4]!;
      const len = (d[at + 11]! << 8) | d[at + 12]!;
      if (ct === 22 && epoch === 0) parts.push(HANDSHAKE[d[at + 13]!] ?? `hs${d[at + 13]}`);
      else if (ct === 22) parts.push('Finished');
      else if (ct === 20) parts.push('ChangeCipherSpec');
      else if (ct === 21) parts.push('Alert');
      else if (ct === 23) parts.push('app');
      at += 13 + len;
    }
    return `DTLS ${[...new Set(parts)].join('+')}`;
  }
  return `other ${first}`;
}

function describeSctp(p: Uint8Array): string {
  const parts: string[] = [];
  for (let at = 12; at + 4 <= p.length; ) {
    const type = p[at]!;
    const len = (p[at + 2]! << 8) | p[at + 3]!;
    if (len < 4) break;
    if (type === 0 || type === 64) {
      // DATA: PPID at 12, payload at 16; I-DATA (RFC 8260): PPID at 16, payload at 20 (first fragment).
      const o = type === 0 ? at + 12 : at + 16;
      const ppid = (p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!;
      const dcep = p[o + 4];
      parts.push(ppid === 50 ? (dcep === 3 ? 'DCEP-OPEN' : dcep === 2 ? 'DCEP-ACK' : 'DCEP?') : 'DATA');
    } else parts.push(CHUNK[type] ?? `chunk${type}`);
    at += (len + 3) & ~3;
  }
  return `SCTP ${parts.join('+')}`;
}

// ---- wrapping tsrtc ----

type Method = (this: unknown, ...args: unknown[]) => unknown;
const sideOfPort = new Map<number, string>();
/** Ports of tsrtc's own sockets: what arrives from any other port is logged on arrival. */
const tracedPorts = new Set<number>();
const side = (port: number) => sideOfPort.get(port) ?? `:${port}`;

function install(): void {
  const proto = UdpSocket.prototype as unknown as Record<string, Method>;
  const send = proto.send!;
  proto.send = function (this: unknown, ...a: unknown[]) {
    const self = this as UdpSocket;
    const to = a[1] as TransportAddress;
    mark(`${side(self.local.port)}→${side(to.port)} ${describeDatagram(a[0] as Uint8Array)}`);
    return send.apply(this, a);
  };
  // Incoming: only datagrams from a peer we do not trace (a mixed pair) are logged, on arrival.
  const bind = UdpSocket.bind;
  UdpSocket.bind = async (address: string, port?: number) => {
    const s = await bind.call(UdpSocket, address, port);
    tracedPorts.add(s.local.port);
    let receiver: UdpSocket['onMessage'];
    Object.defineProperty(s, 'onMessage', {
      get: () => receiver,
      set: (fn: UdpSocket['onMessage']) => {
        receiver =
          fn &&
          ((data, source) => {
            if (!tracedPorts.has(source.port))
              mark(`${side(source.port)}→${side(s.local.port)} ${describeDatagram(data)} (arrived)`);
            fn(data, source);
          });
      },
    });
    return s;
  };
  const dtls = RTCDtlsTransport.prototype as unknown as Record<string, Method>;
  const dtlsSend = dtls.send!;
  dtls.send = function (this: unknown, ...a: unknown[]) {
    mark(`  sealed: ${describeSctp(a[0] as Uint8Array)}`);
    return dtlsSend.apply(this, a);
  };
  const engine = DataChannelEngine.prototype as unknown as Record<string, Method>;
  const input = engine.handleInput!;
  engine.handleInput = function (this: unknown, ...a: unknown[]) {
    mark(`  opened: ${describeSctp(a[1] as Uint8Array)}`);
    return input.apply(this, a);
  };
}

// ---- one setup ----

async function setupOnce(offerer: string, answerer: string): Promise<{ ms: number; marks: Mark[] }> {
  marks = [];
  sideOfPort.clear();
  tracedPorts.clear();
  t0 = performance.now();
  const a = await STACKS[offerer]!();
  const b = await STACKS[answerer]!();
  for (const [name, pc, other] of [
    ['A', a, b],
    ['B', b, a],
  ] as const) {
    listen<{ candidate: { port?: number | null; candidate?: string } | null }>(pc, 'icecandidate', (e) => {
      if (!e.candidate) return;
      const port = e.candidate.port ?? Number(e.candidate.candidate?.split(' ')[5]);
      if (port) sideOfPort.set(port, name);
      mark(`${name} candidate :${port}`);
      void other.addIceCandidate(e.candidate as never).catch(() => undefined);
    });
    listen(pc, 'iceconnectionstatechange', () =>
      mark(`${name} ice ${(pc as unknown as { iceConnectionState: string }).iceConnectionState}`),
    );
    listen(pc, 'connectionstatechange', () =>
      mark(`${name} pc ${(pc as unknown as { connectionState: string }).connectionState}`),
    );
  }
  const channel = a.createDataChannel('bench');
  const openA = new Promise<void>((resolve) =>
    listen(channel, 'open', () => {
      mark('A channel open');
      resolve();
    }),
  );
  const openB = new Promise<void>((resolve) =>
    listen(b, 'datachannel', () => {
      mark('B datachannel (open)');
      resolve();
    }),
  );
  await a.setLocalDescription((await a.createOffer()) as never);
  mark('A offer set');
  await b.setRemoteDescription(a.localDescription as never);
  mark('B offer applied');
  await b.setLocalDescription((await b.createAnswer()) as never);
  mark('B answer set');
  await a.setRemoteDescription(b.localDescription as never);
  mark('A answer applied');
  await Promise.all([openA, openB]);
  const ms = performance.now() - t0;
  await a.close();
  await b.close();
  return { ms, marks };
}

/** Time of the first mark matching `test`, or undefined. */
function first(m: Mark[], test: (w: string) => boolean): number | undefined {
  return m.find((x) => test(x.what))?.t;
}

/** The phases of one setup, in ms from the start. */
function phases(m: Mark[]): Record<string, number | undefined> {
  const has = (s: string) => (w: string) => w.includes(s);
  return {
    offerSet: first(m, has('A offer set')),
    answerApplied: first(m, has('A answer applied')),
    firstCheck: first(m, has('STUN check')),
    nomination: first(m, has('USE-CANDIDATE')),
    iceConnectedA: first(m, has('A ice connected')),
    iceConnectedB: first(m, has('B ice connected')),
    clientHello: first(m, has('ClientHello')),
    serverFlight: first(m, has('ServerHello')),
    clientFlight: first(m, has('ClientKeyExchange')),
    lastFinished: m.filter((x) => x.what.includes('Finished')).pop()?.t,
    init: first(m, has('INIT')),
    cookieEcho: first(m, has('COOKIE-ECHO')),
    cookieAck: first(m, has('COOKIE-ACK')),
    dcepOpen: first(m, has('DCEP-OPEN')),
    dcepAck: first(m, has('DCEP-ACK')),
    openA: first(m, has('A channel open')),
    openB: first(m, has('B datachannel')),
  };
}

async function stackMain(name: string): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  install();
  const [offerer, answerer] = name.includes('>') ? name.split('>') : [name, name];
  await setupOnce(offerer!, answerer!); // warm-up: JIT, certificate pool
  const runs: { ms: number; marks: Mark[] }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await setupOnce(offerer!, answerer!));
  const sorted = [...runs].sort((x, y) => x.ms - y.ms);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const r = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 100) / 100);
  // Median of each phase over the runs (ms from the start of the setup).
  const table: Record<string, number | undefined> = {};
  const all = runs.map((x) => phases(x.marks));
  for (const key of Object.keys(all[0]!)) {
    const xs = all
      .map((p) => p[key])
      .filter((x): x is number => x !== undefined)
      .sort((x, y) => x - y);
    table[key] = xs.length ? r(xs[Math.floor(xs.length / 2)]) : undefined;
  }
  console.log(
    JSON.stringify({
      bench: 'setup-phases',
      stack: name,
      native: process.env.TSRTC_NATIVE,
      runs: RUNS,
      median_ms: r(median.ms),
      min_ms: r(sorted[0]!.ms),
      max_ms: r(sorted[sorted.length - 1]!.ms),
      phaseMedians: table,
    }),
  );
  if (process.env.BENCH_TIMELINE === '1')
    for (const x of median.marks) console.log(`  ${x.t.toFixed(2).padStart(8)}  ${x.what}`);
  clearInterval(keepAlive);
  process.exit(0);
}

function main(): void {
  const stacks = (
    process.env.BENCH_STACKS ?? 'node-datachannel,tsrtc,tsrtc>node-datachannel,node-datachannel>tsrtc'
  ).split(',');
  for (const stack of stacks) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--stack', stack], {
      stdio: 'inherit',
      timeout: 300_000,
    });
    if (r.status !== 0)
      console.log(JSON.stringify({ bench: 'setup-phases', stack, error: `exit ${r.status}` }));
  }
}

const at = process.argv.indexOf('--stack');
if (at >= 0) void stackMain(process.argv[at + 1]!);
else main();

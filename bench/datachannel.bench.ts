/**
 * Data channel benchmark: reliable ordered throughput (16 KiB and 64 KiB messages), 100-byte message rate
 * and 5,000-byte ping-pong latency, both peers in one process and in two processes, for tsrtc (over an
 * in-process transport pair and over real DTLS + UDP loopback), node-datachannel, @roamhq/wrtc and werift.
 * Prints one JSON line per result; tsrtc results carry `ratio` against node-datachannel measured in this run.
 *
 *   npm run bench -- datachannel                         (everything)
 *   BENCH_LIBS=tsrtc,node-datachannel npm run bench -- datachannel
 *   BENCH_QUICK=1 …                                       (smaller volumes)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type BenchChannel,
  type ConnectedPair,
  LIBRARIES,
  type LibName,
  respond,
  type Signal,
} from '../test/datachannel/peers.js';

const QUICK = process.env.BENCH_QUICK === '1';
const MB = 1024 * 1024;
const HIGH_WATER = 1 * MB;
const LOW_WATER = 256 * 1024;
const STEP_LIMIT_MS = 60_000;

// ---- the driver ----

class Inbox {
  private waiters: ((d: string | Uint8Array) => void)[] = [];
  constructor(ch: BenchChannel) {
    ch.onMessage((d) => this.waiters.shift()?.(d));
  }
  next(): Promise<string | Uint8Array> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** Forget waiters of a step that timed out, so the next step starts clean. */
  clear(): void {
    this.waiters = [];
  }
}

function pump(ch: BenchChannel, message: Uint8Array, count: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    const fill = (): void => {
      while (sent < count && ch.bufferedAmount < HIGH_WATER) {
        ch.send(message);
        sent++;
      }
      if (sent >= count) resolve();
    };
    ch.setBufferedAmountLow(LOW_WATER, fill);
    fill();
  });
}

async function throughput(ch: BenchChannel, inbox: Inbox, size: number, total: number): Promise<number> {
  const count = Math.ceil(total / size);
  const message = new Uint8Array(size).fill(0x5a);
  const done = inbox.next();
  const t0 = performance.now();
  ch.send(`count:${count * size}`);
  await pump(ch, message, count);
  await done;
  return (count * size) / MB / ((performance.now() - t0) / 1000);
}

async function latency(
  ch: BenchChannel,
  inbox: Inbox,
  rounds: number,
): Promise<{ p50: number; p99: number }> {
  ch.send('echo');
  const message = new Uint8Array(5000).fill(1);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const reply = inbox.next();
    ch.send(message);
    await reply;
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

interface Result {
  lib: LibName;
  processes: 1 | 2;
  metric: string;
  value: number;
  unit: string;
}

async function runSuite(lib: LibName, processes: 1 | 2, pair: ConnectedPair): Promise<Result[]> {
  const inbox = new Inbox(pair.tx);
  const slow = lib === 'werift';
  const volume = (QUICK || slow ? 8 : 32) * MB;
  const out: Result[] = [];
  const add = (metric: string, value: number, unit: string) => {
    const r = { lib, processes, metric, value: Math.round(value * 100) / 100, unit };
    out.push(r);
  };
  /** One step with its own time limit: a stalled step is reported and the next one still runs. */
  const step = async <T>(metric: string, run: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), STEP_LIMIT_MS);
    });
    const result = await Promise.race([run(), limit]);
    clearTimeout(timer);
    if (result === undefined) {
      inbox.clear();
      console.log(
        JSON.stringify({
          bench: 'datachannel',
          lib,
          processes,
          metric,
          error: `no result within ${STEP_LIMIT_MS} ms`,
        }),
      );
    }
    return result;
  };
  // Warm up the path (JIT, cwnd) before measuring.
  await step('warm-up', () => throughput(pair.tx, inbox, 16 * 1024, 2 * MB));
  const t16 = await step('throughput-16KiB', () => throughput(pair.tx, inbox, 16 * 1024, volume));
  if (t16 !== undefined) add('throughput-16KiB', t16, 'MB/s');
  const t64 = await step('throughput-64KiB', () => throughput(pair.tx, inbox, 64 * 1024, volume));
  if (t64 !== undefined) add('throughput-64KiB', t64, 'MB/s');
  const small = QUICK || slow ? 5_000 : 40_000;
  const rateStart = performance.now();
  if (await step('messages-100B', () => throughput(pair.tx, inbox, 100, small * 100))) {
    add('messages-100B', small / ((performance.now() - rateStart) / 1000), 'msg/s');
  }
  const lat = await step('pingpong-5000B', () => latency(pair.tx, inbox, QUICK || slow ? 200 : 1000));
  if (lat) {
    add('pingpong-5000B-p50', lat.p50, 'ms');
    add('pingpong-5000B-p99', lat.p99, 'ms');
  }
  return out;
}

// ---- two processes: the child answers over IPC signalling ----

function spawnChild(lib: LibName): { child: ChildProcess; signal: Signal } {
  const child = fork(fileURLToPath(import.meta.url), ['--child', lib], {
    // BENCH_CPU_PROF=<dir> profiles the child too (the parent takes --cpu-prof on its own command line).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((m: unknown) => void)[] = [];
  child.on('message', (m) => {
    for (const l of listeners) l(m);
  });
  return {
    child,
    signal: {
      send: (m) => child.send(m as object),
      onMessage: (l) => listeners.push(l),
    },
  };
}

async function childMain(lib: LibName): Promise<void> {
  const signal: Signal = {
    send: (m) => process.send?.(m as object),
    onMessage: (l) => process.on('message', l),
  };
  const rx = await LIBRARIES[lib].answer(signal);
  respond(rx);
  process.on('disconnect', () => process.exit(0));
}

async function main(): Promise<void> {
  // Native peers' threads do not keep Node's event loop alive while we await them.
  const keepAlive = setInterval(() => {}, 1000);
  const wanted = (process.env.BENCH_LIBS ?? 'tsrtc-memory,tsrtc,node-datachannel,wrtc,werift').split(
    ',',
  ) as LibName[];
  const results: Result[] = [];
  const print = (r: Result) => {
    const ref = results.find(
      (x) => x.lib === 'node-datachannel' && x.processes === r.processes && x.metric === r.metric,
    );
    const lowerIsBetter = r.unit === 'ms';
    const ratio =
      ref && r.lib.startsWith('tsrtc')
        ? lowerIsBetter
          ? ref.value / r.value
          : r.value / ref.value
        : undefined;
    console.log(
      JSON.stringify({
        bench: 'datachannel',
        ...r,
        ...(ratio !== undefined
          ? { ratio: Math.round(ratio * 100) / 100, reference: 'node-datachannel' }
          : {}),
      }),
    );
  };
  // node-datachannel first, so tsrtc's ratios can be printed as they come.
  const order = [...wanted].sort((a, b) =>
    a === 'node-datachannel' ? -1 : b === 'node-datachannel' ? 1 : 0,
  );
  const modes = (process.env.BENCH_PROCESSES ?? '1,2').split(',').map(Number) as (1 | 2)[];
  for (const processes of modes) {
    for (const lib of order) {
      if (processes === 2 && lib === 'tsrtc-memory') continue;
      let pair: ConnectedPair | undefined;
      let child: ChildProcess | undefined;
      try {
        if (processes === 1) pair = await LIBRARIES[lib].pair();
        else {
          const spawned = spawnChild(lib);
          child = spawned.child;
          pair = await LIBRARIES[lib].offer(spawned.signal);
        }
        const suite = runSuite(lib, processes, pair);
        const limit = new Promise<never>((_, reject) => {
          setTimeout(() => reject(new Error('timed out after 240 s')), 240_000).unref();
        });
        for (const r of await Promise.race([suite, limit])) {
          results.push(r);
          print(r);
        }
      } catch (e) {
        console.log(JSON.stringify({ bench: 'datachannel', lib, processes, error: String(e) }));
      } finally {
        await pair?.close();
        if (child) {
          // Disconnecting lets the child exit by itself (and write its profile, if asked).
          const exited = new Promise((r) => child?.once('exit', r));
          child.disconnect();
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          child.kill();
        }
      }
    }
  }
  clearInterval(keepAlive);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) void childMain(process.argv[childIndex + 1] as LibName);
else
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );

/**
 * The measurement steps of bench/datachannel.bench.ts, run by one driver process on one connected pair:
 * reliable ordered throughput (16 KiB and 64 KiB messages) with the CPU each side spent per MiB, the
 * 100-byte message rate, and 5,000-byte ping-pong round trips (p50, p99, and the garbage collections that
 * ran meanwhile on each side).
 */
import type { ChildProcess } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import type { BenchChannel, ConnectedPair } from '../test/datachannel/peers.js';

const MB = 1024 * 1024;
const HIGH_WATER = 1 * MB;
const LOW_WATER = 256 * 1024;
const STEP_LIMIT_MS = 60_000;

/** CPU time (process.cpuUsage, all threads) and garbage collections of one process so far. */
export interface Usage {
  cpuMicros: number;
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
}

let gcCount = 0;
let gcMs = 0;
let gcMaxMs = 0;
let gcObserver: PerformanceObserver | undefined;

/** Start counting this process's garbage collections (idempotent). */
export function watchGc(): void {
  if (gcObserver) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** This process's usage; `gcMaxMs` is the longest pause since the last call. */
export function usage(): Usage {
  const cpu = process.cpuUsage();
  const u = { cpuMicros: cpu.user + cpu.system, gcCount, gcMs, gcMaxMs };
  gcMaxMs = 0;
  return u;
}

/** GC entries are delivered after the fact: one turn of the loop lets pending ones arrive. */
export function settled(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export interface Result {
  metric: string;
  value: number;
  unit: string;
}

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

async function pingPong(ch: BenchChannel, inbox: Inbox, rounds: number): Promise<number[]> {
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
  return samples.sort((a, b) => a - b);
}

/**
 * Run every step on `pair`. `remoteUsage` reads the far process's usage (two processes); without it both
 * ends are in this process and CPU is reported for both together.
 */
export async function runSuite(
  pair: ConnectedPair,
  options: {
    volumeMiB: number;
    smallMessages: number;
    rounds: number;
    remoteUsage?: () => Promise<Usage>;
    /** Steps to run (after the warm-up): `throughput`, `messages`, `pingpong`; all when absent. */
    steps?: readonly string[];
  },
  onError: (metric: string, error: string) => void,
): Promise<Result[]> {
  const inbox = new Inbox(pair.tx);
  const out: Result[] = [];
  const add = (metric: string, value: number, unit: string) =>
    out.push({ metric, value: Math.round(value * 1000) / 1000, unit });
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
      onError(metric, `no result within ${STEP_LIMIT_MS} ms`);
    }
    return result;
  };
  const sample = async (): Promise<[Usage, Usage | undefined]> => {
    await settled();
    return [usage(), await options.remoteUsage?.()];
  };
  const volume = options.volumeMiB * MB;
  // Warm up the path (JIT, cwnd) before measuring.
  await step('warm-up', () => throughput(pair.tx, inbox, 16 * 1024, 2 * MB));
  const wants = (name: string) => !options.steps || options.steps.includes(name);
  for (const size of wants('throughput') ? [16, 64] : []) {
    const name = `${size}KiB`;
    const [l0, r0] = await sample();
    const rate = await step(`throughput-${name}`, () => throughput(pair.tx, inbox, size * 1024, volume));
    const [l1, r1] = await sample();
    if (rate === undefined) continue;
    add(`throughput-${name}`, rate, 'MB/s');
    const perMiB = (a: Usage, b: Usage) => (b.cpuMicros - a.cpuMicros) / 1000 / options.volumeMiB;
    if (r0 && r1) {
      add(`cpu-${name}-sender`, perMiB(l0, l1), 'ms/MiB');
      add(`cpu-${name}-receiver`, perMiB(r0, r1), 'ms/MiB');
    } else add(`cpu-${name}-both`, perMiB(l0, l1), 'ms/MiB');
  }
  const rateStart = performance.now();
  const small = options.smallMessages;
  if (
    wants('messages') &&
    (await step('messages-100B', () => throughput(pair.tx, inbox, 100, small * 100)))
  ) {
    add('messages-100B', small / ((performance.now() - rateStart) / 1000), 'msg/s');
  }
  if (!wants('pingpong')) return out;
  const [l0, r0] = await sample();
  const samples = await step('pingpong-5000B', () => pingPong(pair.tx, inbox, options.rounds));
  const [l1, r1] = await sample();
  if (samples) {
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    add('pingpong-5000B-p50', at(0.5), 'ms');
    add('pingpong-5000B-p99', at(0.99), 'ms');
    add('pingpong-5000B-max', samples[samples.length - 1]!, 'ms');
    const gc = (side: string, a: Usage, b: Usage) => {
      add(`pingpong-gc-${side}`, b.gcCount - a.gcCount, 'collections');
      add(`pingpong-gc-${side}-ms`, b.gcMs - a.gcMs, 'ms');
      add(`pingpong-gc-${side}-max`, b.gcMaxMs, 'ms');
    };
    if (r0 && r1) {
      gc('sender', l0, l1);
      gc('receiver', r0, r1);
    } else gc('both', l0, l1);
  }
  return out;
}

/** Ends a forked far end: disconnecting lets it exit by itself (and write its profile, if asked), 3 s at most. */
export async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.disconnect();
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  child.kill();
}

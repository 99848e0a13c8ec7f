/**
 * Where the slow round trips of the 5,000-byte data-channel echo go. The driver sends, the far end (a child
 * process in modes `2`/`2p`, the same process in `1`) echoes; per round trip the driver records the time,
 * every thread's CPU time and run-queue wait (/proc/self/task/<tid>/schedstat) and its involuntary context
 * switches; the far end records the same per echo. GC pauses (PerformanceObserver) and event-loop delay
 * (monitorEventLoopDelay) are kept per process. For tsrtc, stage stamps (bench/stage-trace.ts) follow a
 * message through recvmmsg, DTLS, SCTP, the W3C task, send(), sealing and sendmmsg in both processes, on
 * one machine-wide clock. node-datachannel is measured from outside the same way (times, threads' CPU and
 * waits, context switches, GC of the JavaScript side) in the same round.
 *
 * For the slowest 1 % of round trips it prints, per library, what part of their time overlapped a GC pause,
 * was spent waiting for a CPU (all threads of both ends, summed), was CPU of either end, and for tsrtc
 * how long each stage and each deferral (setImmediate before SCTP's flush, the W3C task) took.
 *
 *   ../shared/scripts/netns.sh npm run bench -- rtt-tail
 *   BENCH_LIBS=node-datachannel,tsrtc  BENCH_PROCESSES=2,2p,1  BENCH_NATIVE=1,0  BENCH_REPEAT=1
 *   BENCH_ROUNDS=3000  BENCH_WARMUP=500  BENCH_JSON=1 (every slow round trip as a JSON line)
 *   BENCH_KEEP=1 (keep each run's raw data in the temporary directory; the path goes to stderr)
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  type BenchChannel,
  type ConnectedPair,
  LIBRARIES,
  type LibName,
  type Signal,
} from '../test/datachannel/peers.js';
import { stopChild } from './datachannel-suite.js';
import { exitWhenDone } from './exit-when-done.js';
import {
  clockMs,
  END,
  installTsrtcTrace,
  SchedStat,
  STAGE,
  STAGE_NAMES,
  setTracing,
  stamp,
  takeLog,
} from './stage-trace.js';

const SELF = fileURLToPath(import.meta.url);
type Mode = '1' | '2' | '2p';
/** Numbers per sample in ProcessLog.samples. */
const S = 6;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);

/** One process's record of a measurement. */
interface ProcessLog {
  /** Per sample (S numbers): clock ms, cpu and run-queue wait ms (all threads), the main thread's cpu and wait, involuntary switches. */
  samples: number[];
  stamps: number[];
  /** GC pauses: [start, end] clock ms pairs. */
  gc: number[];
  loopDelay: { p50: number; p99: number; max: number };
  threads: number;
}

const gcPauses: number[] = [];
let gcObserver: PerformanceObserver | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const sched = new SchedStat();
const samples: number[] = [];

function sample(): void {
  const [cpu, wait, mainCpu, mainWait] = sched.sample();
  samples.push(clockMs(), cpu, wait, mainCpu, mainWait, process.resourceUsage().involuntaryContextSwitches);
}

function startMeasuring(): void {
  const shift = clockMs() - performance.now();
  gcPauses.length = 0;
  samples.length = 0;
  gcObserver ??= new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.startTime + shift, e.startTime + e.duration + shift);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  sched.open();
  loopDelay.reset();
  loopDelay.enable();
  takeLog();
  setTracing(true);
  sample();
}

async function stopMeasuring(): Promise<ProcessLog> {
  setTracing(false);
  loopDelay.disable();
  await new Promise((r) => setImmediate(r)); // pending GC entries arrive
  const ms = (ns: number) => ns / 1e6;
  const out: ProcessLog = {
    samples: [...samples],
    stamps: takeLog(),
    gc: [...gcPauses],
    loopDelay: {
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    },
    threads: sched.threads,
  };
  sched.close();
  return out;
}

/** The far end's echo: binary back at once; stamps the handler (node-datachannel has no inner stages). */
function echo(ch: BenchChannel, traced: boolean): void {
  ch.onMessage((d) => {
    if (typeof d === 'string') return;
    if (!traced) stamp(STAGE.event);
    ch.send(d);
    // After the handler and the microtasks that send: this echo's CPU and waits.
    setImmediate(sample);
  });
}

// ---- the child: the far end ----

async function childMain(lib: LibName): Promise<void> {
  if (lib === 'tsrtc') installTsrtcTrace();
  const listeners: ((m: unknown) => void)[] = [];
  process.on('message', (m: unknown) => {
    const request = m as { tail?: string };
    if (request?.tail === 'start') {
      startMeasuring();
      process.send?.({ tail: 'started' });
      return;
    }
    if (request?.tail === 'stop') {
      void stopMeasuring().then((log) => process.send?.({ tail: 'log', log }));
      return;
    }
    for (const l of listeners) l(m);
  });
  const signal: Signal = { send: (m) => process.send?.(m as object), onMessage: (l) => listeners.push(l) };
  const rx = await LIBRARIES[lib].answer(signal);
  echo(rx, lib === 'tsrtc');
  process.on('disconnect', () => process.exit(0));
}

// ---- the driver ----

function spawnChild(lib: LibName, pinned: boolean) {
  const node = ['--import', 'tsx'];
  const child = fork(SELF, ['--child', lib], {
    ...(pinned
      ? { execPath: 'taskset', execArgv: ['-c', '1', process.execPath, ...node] }
      : { execArgv: node }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((m: unknown) => void)[] = [];
  let tail: ((m: { tail: string; log?: ProcessLog }) => void) | undefined;
  child.on('message', (m) => {
    const reply = m as { tail?: string; log?: ProcessLog };
    if (typeof reply?.tail === 'string') {
      tail?.(reply as { tail: string; log?: ProcessLog });
      return;
    }
    for (const l of listeners) l(m);
  });
  const ask = (what: string) =>
    new Promise<{ tail: string; log?: ProcessLog }>((resolve) => {
      tail = resolve;
      child.send({ tail: what });
    });
  const signal: Signal = { send: (m) => child.send(m as object), onMessage: (l) => listeners.push(l) };
  return { child, signal, ask };
}

function roundTrips(ch: BenchChannel, rounds: number, record: boolean): Promise<number[]> {
  const message = new Uint8Array(5000).fill(1);
  const times: number[] = [];
  return new Promise((resolve) => {
    let i = 0;
    let t0 = 0;
    const next = () => {
      if (i === rounds) {
        ch.onMessage(() => {});
        resolve(times);
        return;
      }
      i++;
      if (record) sample();
      t0 = clockMs();
      ch.send(message);
    };
    ch.onMessage((d) => {
      if (typeof d === 'string') return;
      const t1 = clockMs();
      if (record) {
        sample();
        times.push(t0, t1);
      }
      next();
    });
    next();
  });
}

async function driverMain(lib: LibName, mode: Mode): Promise<void> {
  if (lib === 'tsrtc') installTsrtcTrace();
  const keepAlive = setInterval(() => {}, 1000);
  let pair: ConnectedPair | undefined;
  let child: ChildProcess | undefined;
  try {
    let ask: ((what: string) => Promise<{ tail: string; log?: ProcessLog }>) | undefined;
    if (mode === '1') pair = await LIBRARIES[lib].pair();
    else {
      const spawned = spawnChild(lib, mode === '2p');
      child = spawned.child;
      ask = spawned.ask;
      pair = await LIBRARIES[lib].offer(spawned.signal);
    }
    pair.tx.send('echo'); // the in-process far end (bench's respond()) echoes from now on
    await roundTrips(pair.tx, WARMUP, false);
    await ask?.('start');
    startMeasuring();
    const times = await roundTrips(pair.tx, ROUNDS, true);
    const near = await stopMeasuring();
    const far = (await ask?.('stop'))?.log;
    // Too large for a pipe written just before exit: a file, named on stdout.
    const file = join(tmpdir(), `tsrtc-rtt-tail-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ times, near, far }));
    console.log(JSON.stringify({ tailData: file }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  } finally {
    await pair?.close();
    if (child) await stopChild(child);
  }
  clearInterval(keepAlive);
}

// ---- analysis ----

/** One end's usage between two of its samples. */
interface Delta {
  cpuMs: number;
  waitMs: number;
  mainCpuMs: number;
  mainWaitMs: number;
  ivcsw: number;
}

function delta(s: number[], before: number, after: number): Delta {
  const x = (field: number) => s[after * S + field]! - s[before * S + field]!;
  return { cpuMs: x(1), waitMs: x(2), mainCpuMs: x(3), mainWaitMs: x(4), ivcsw: x(5) };
}

/** The far end's usage from its sample before to its sample after the echo that ends in (from, to]. */
function farDelta(log: ProcessLog, from: number, to: number): Delta | undefined {
  const s = log.samples;
  for (let k = 1; k * S < s.length; k++) if (s[k * S]! > from && s[k * S]! <= to) return delta(s, k - 1, k);
  return undefined;
}

function gcOverlap(gc: number[], from: number, to: number): number {
  let sum = 0;
  for (let k = 0; k < gc.length; k += 2)
    sum += Math.max(0, Math.min(to, gc[k + 1]!) - Math.max(from, gc[k]!));
  return sum;
}

/** The stamps in [from, to] of one log, tagged with the side. */
function stampsIn(log: ProcessLog | undefined, side: string, from: number, to: number) {
  const out: { code: number; t: number; side: string }[] = [];
  if (!log) return out;
  const s = log.stamps;
  for (let k = 0; k < s.length; k += 2)
    if (s[k + 1]! >= from && s[k + 1]! <= to) out.push({ code: s[k]!, t: s[k + 1]!, side });
  return out;
}

function name(code: number): string {
  return code >= END ? `${STAGE_NAMES[code - END]}.end` : STAGE_NAMES[code]!;
}

function analyse(
  lib: string,
  mode: Mode,
  native: boolean | undefined,
  data: { times: number[]; near: ProcessLog; far?: ProcessLog },
) {
  const { times, near, far } = data;
  const n = times.length / 2;
  const rtts = Array.from({ length: n }, (_, i) => times[i * 2 + 1]! - times[i * 2]!);
  const sorted = [...rtts].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
  const p50 = at(0.5);
  const p99 = at(0.99);
  const slow = rtts.map((r, i) => ({ r, i })).filter((x) => x.r >= p99);
  const sum = {
    rtt: 0,
    gc: 0,
    wait: 0,
    nearWait: 0,
    farWait: 0,
    nearMainWait: 0,
    farMainWait: 0,
    nearCpu: 0,
    farCpu: 0,
    nearMainCpu: 0,
    farMainCpu: 0,
    ivcsw: 0,
    slowWithSwitch: 0,
  };
  const stageSums = new Map<string, number>();
  const gapLabels = new Map<string, { count: number; ms: number }>();
  const lines: object[] = [];
  for (const { r, i } of slow) {
    const t0 = times[i * 2]!;
    const t1 = times[i * 2 + 1]!;
    const next = i + 1 < n ? times[(i + 1) * 2]! : t1 + 1000;
    // The driver's samples bracket the round trip: sample 2i+1 before, 2i+2 after (sample 0 at the start).
    const nearD = delta(near.samples, 2 * i + 1, 2 * i + 2);
    const farD = far ? farDelta(far, t0, next) : undefined;
    const gc = gcOverlap(near.gc, t0, t1) + (far ? gcOverlap(far.gc, t0, t1) : 0);
    sum.rtt += r;
    sum.gc += Math.min(r, gc);
    sum.nearWait += nearD.waitMs;
    sum.farWait += farD?.waitMs ?? 0;
    sum.nearMainWait += nearD.mainWaitMs;
    sum.farMainWait += farD?.mainWaitMs ?? 0;
    sum.wait += Math.min(r, nearD.waitMs + (farD?.waitMs ?? 0));
    sum.nearCpu += nearD.cpuMs;
    sum.farCpu += farD?.cpuMs ?? 0;
    sum.nearMainCpu += nearD.mainCpuMs;
    sum.farMainCpu += farD?.mainCpuMs ?? 0;
    const ivcsw = nearD.ivcsw + (farD?.ivcsw ?? 0);
    sum.ivcsw += ivcsw;
    if (ivcsw > 0) sum.slowWithSwitch++;
    // Stages: the merged stamps of both ends within the round trip.
    const st = [
      ...stampsIn(near, 'near', t0, t1),
      ...(mode === '1' ? [] : stampsIn(far, 'far', t0, t1)),
    ].sort((x, y) => x.t - y.t);
    let largest = { label: 'none', ms: 0 };
    let prev = { code: 0, t: t0, side: 'near' };
    for (const x of st) {
      const gap = x.t - prev.t;
      const label = `${prev.code ? `${prev.side}:${name(prev.code)}` : 'near:t0'} → ${x.side}:${name(x.code)}`;
      if (gap > largest.ms) largest = { label, ms: gap };
      prev = x;
    }
    const tailGap = t1 - prev.t;
    if (tailGap > largest.ms)
      largest = {
        label: `${prev.code ? `${prev.side}:${name(prev.code)}` : 'near:t0'} → near:t1`,
        ms: tailGap,
      };
    const g = gapLabels.get(largest.label) ?? { count: 0, ms: 0 };
    g.count++;
    g.ms += largest.ms;
    gapLabels.set(largest.label, g);
    // Time inside each stage (begin → end, both ends) and in the two deferrals.
    const open = new Map<string, number>();
    const add = (k: string, v: number) => stageSums.set(k, (stageSums.get(k) ?? 0) + v);
    for (const x of st) {
      if (x.code >= END) {
        const key = `${x.side}:${STAGE_NAMES[x.code - END]}`;
        const began = open.get(key);
        if (began !== undefined) add(`cpu ${STAGE_NAMES[x.code - END]}`, x.t - began);
        open.delete(key);
      } else open.set(`${x.side}:${STAGE_NAMES[x.code]}`, x.t);
    }
    for (const side of ['near', 'far']) {
      const mine = st.filter((x) => x.side === side);
      const sctpEnd = mine.filter((x) => x.code === STAGE.sctpIn + END).map((x) => x.t);
      const deliver = mine.find((x) => x.code === STAGE.deliver);
      const event = mine.find((x) => x.code === STAGE.event);
      if (deliver) {
        const before = sctpEnd.filter((t) => t <= deliver.t).pop();
        if (before !== undefined) add('wait setImmediate(ioFlush)', deliver.t - before);
        if (event) add('wait W3C task (message)', event.t - deliver.t);
      }
    }
    if (process.env.BENCH_JSON === '1') lines.push({ i, rtt: r, gc, near: nearD, far: farD, largest });
  }
  const pct = (x: number) => Math.round((1000 * x) / sum.rtt) / 10;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const l of lines) console.log(JSON.stringify({ bench: 'rtt-tail', lib, mode, native, slow: l }));
  console.log(
    JSON.stringify({
      bench: 'rtt-tail',
      lib,
      mode,
      native,
      rounds: n,
      p50: round(p50),
      p99: round(p99),
      max: round(sorted[n - 1]!),
      slow: slow.length,
      slowMeanMs: round(sum.rtt / slow.length),
      percentOfSlowTime: {
        gc: pct(sum.gc),
        runQueueWait: pct(sum.wait),
        runQueueWaitNear: pct(sum.nearWait),
        runQueueWaitFar: pct(sum.farWait),
        runQueueWaitNearMain: pct(sum.nearMainWait),
        runQueueWaitFarMain: pct(sum.farMainWait),
        cpuNear: pct(sum.nearCpu),
        cpuFar: pct(sum.farCpu),
        cpuNearMain: pct(sum.nearMainCpu),
        cpuFarMain: pct(sum.farMainCpu),
        ...Object.fromEntries([...stageSums].map(([k, v]) => [k, pct(v)])),
      },
      slowWithInvoluntarySwitch: sum.slowWithSwitch,
      involuntarySwitchesInSlow: sum.ivcsw,
      largestGap: Object.fromEntries(
        [...gapLabels]
          .sort((a, b) => b[1].ms - a[1].ms)
          .slice(0, 5)
          .map(([k, v]) => [k, `${v.count}× ${round(v.ms / v.count)} ms`]),
      ),
      loopDelay: { near: near.loopDelay, far: far?.loopDelay },
      gcPauses: { near: near.gc.length / 2, far: far ? far.gc.length / 2 : undefined },
      threads: { near: near.threads, far: far?.threads },
    }),
  );
}

// ---- the orchestrator ----

function runDriver(
  lib: LibName,
  native: boolean | undefined,
  mode: Mode,
): Promise<{ times: number[]; near: ProcessLog; far?: ProcessLog } | string> {
  const node = ['--import', 'tsx', SELF, '--driver', lib, mode];
  const env = { ...process.env };
  if (native !== undefined) env.TSRTC_NATIVE = native ? '1' : '0';
  const proc =
    mode === '2p'
      ? spawn('taskset', ['-c', '0', process.execPath, ...node], {
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        })
      : spawn(process.execPath, node, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let result: { times: number[]; near: ProcessLog; far?: ProcessLog } | string = 'no result';
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (!l.startsWith('{')) return;
    const o = JSON.parse(l) as { tailData?: string; error?: string };
    if (o.tailData) {
      result = JSON.parse(readFileSync(o.tailData, 'utf8')) as typeof result;
      if (process.env.BENCH_KEEP === '1') console.error(`kept ${o.tailData}`);
      else unlinkSync(o.tailData);
    }
    if (o.error) result = o.error;
  });
  return new Promise((resolve) => proc.on('close', () => resolve(result)));
}

async function main(): Promise<void> {
  const libs = (process.env.BENCH_LIBS ?? 'node-datachannel,tsrtc').split(',') as LibName[];
  const modes = (process.env.BENCH_PROCESSES ?? '2,2p,1').split(',') as Mode[];
  const engines = (process.env.BENCH_NATIVE ?? '1').split(',').map((e) => e === '1');
  const repeat = Number(process.env.BENCH_REPEAT ?? 1);
  for (let round = 1; round <= repeat; round++) {
    for (const mode of modes) {
      for (const lib of libs) {
        for (const native of lib === 'tsrtc' ? engines : [undefined]) {
          const data = await runDriver(lib, native, mode);
          if (typeof data === 'string')
            console.log(JSON.stringify({ bench: 'rtt-tail', lib, mode, native, error: data }));
          else analyse(lib, mode, native, data);
        }
      }
    }
  }
}

const at = (flag: string) => process.argv.indexOf(flag);
if (at('--child') >= 0) void childMain(process.argv[at('--child') + 1] as LibName);
else if (at('--driver') >= 0)
  exitWhenDone(
    driverMain(process.argv[at('--driver') + 1] as LibName, process.argv[at('--driver') + 2] as Mode),
  );
else exitWhenDone(main());

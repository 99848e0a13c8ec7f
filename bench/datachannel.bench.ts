/**
 * Data channel benchmark: reliable ordered throughput (16 KiB and 64 KiB messages) with CPU per MiB on each
 * side, 100-byte message rate, and 5,000-byte ping-pong round trips (p50, p99, max, GC meanwhile), with both
 * peers in one process (`1`), in two processes (`2`), and in two processes pinned to a core each (`2p`,
 * `taskset -c 0` / `-c 1`). tsrtc (RTCPeerConnection: ICE + DTLS + SCTP on the runtime's sockets) runs with
 * the native accelerator (`TSRTC_NATIVE=1`) and without it (`TSRTC_NATIVE=0`); node-datachannel is the
 * reference, measured in the same round. Every configuration runs in fresh processes (a driver, plus a
 * child for the far end), so no library's garbage or threads weigh on another's figures.
 *
 * Prints one JSON line per result; tsrtc lines carry `ratio` against node-datachannel in the same round
 * and mode (higher is better: for MB/s and msg/s ours/reference, for ms and ms/MiB reference/ours). With
 * BENCH_REPEAT=n the rounds repeat and a `summary` line per figure gives the range over the rounds.
 *
 *   npm run bench -- datachannel     (inside ../shared/scripts/netns.sh)
 *   BENCH_LIBS=node-datachannel,tsrtc   libraries (also tsrtc-memory, tsrtc-dtls, wrtc, werift)
 *   BENCH_PROCESSES=1,2,2p              modes
 *   BENCH_NATIVE=1,0                    tsrtc engines (default: both when the addon loads, else 0)
 *   BENCH_REPEAT=3  BENCH_QUICK=1       rounds; smaller volumes
 *   BENCH_STEPS=pingpong                steps after the warm-up (throughput, messages, pingpong; default all)
 *   BENCH_ROUNDS=1000                   ping-pong round trips
 *   BENCH_CPU_PROF=<dir>                --cpu-prof every driver and child into <dir>
 *   BENCH_NODE_FLAGS='--trace-gc'       more node flags for every driver and child
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/common/native.js';
import {
  type ConnectedPair,
  LIBRARIES,
  type LibName,
  respond,
  type Signal,
} from '../test/datachannel/peers.js';
import {
  type Result,
  runSuite,
  settled,
  stopChild,
  type Usage,
  usage,
  watchGc,
} from './datachannel-suite.js';
import { exitWhenDone } from './exit-when-done.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SELF = fileURLToPath(import.meta.url);
type Mode = '1' | '2' | '2p';
const CONFIG_LIMIT_MS = 300_000;

function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const extra = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  return [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...extra];
}

// ---- the child: the far end of a two-process pair ----

async function childMain(lib: LibName): Promise<void> {
  watchGc();
  const listeners: ((m: unknown) => void)[] = [];
  process.on('message', (m: unknown) => {
    const request = m as { benchUsage?: number };
    if (typeof request?.benchUsage === 'number') {
      void settled().then(() => process.send?.({ benchUsage: request.benchUsage, usage: usage() }));
      return;
    }
    for (const l of listeners) l(m);
  });
  const signal: Signal = { send: (m) => process.send?.(m as object), onMessage: (l) => listeners.push(l) };
  const rx = await LIBRARIES[lib].answer(signal);
  respond(rx);
  process.on('disconnect', () => process.exit(0));
}

// ---- the driver: one library in one mode, results as JSON lines on stdout ----

function spawnChild(lib: LibName, pinned: boolean) {
  const node = [...profileArgs(), '--import', 'tsx'];
  const child = fork(SELF, ['--child', lib], {
    ...(pinned
      ? { execPath: 'taskset', execArgv: ['-c', '1', process.execPath, ...node] }
      : { execArgv: node }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((m: unknown) => void)[] = [];
  const pending = new Map<number, (u: Usage) => void>();
  let nextRequest = 1;
  child.on('message', (m) => {
    const reply = m as { benchUsage?: number; usage?: Usage };
    if (typeof reply?.benchUsage === 'number' && reply.usage) {
      pending.get(reply.benchUsage)?.(reply.usage);
      pending.delete(reply.benchUsage);
      return;
    }
    for (const l of listeners) l(m);
  });
  const signal: Signal = { send: (m) => child.send(m as object), onMessage: (l) => listeners.push(l) };
  const remoteUsage = (): Promise<Usage> =>
    new Promise((resolve) => {
      const id = nextRequest++;
      pending.set(id, resolve);
      child.send({ benchUsage: id });
    });
  return { child, signal, remoteUsage };
}

async function driverMain(lib: LibName, mode: Mode): Promise<void> {
  watchGc();
  // Native peers' threads do not keep Node's event loop alive while we await them.
  const keepAlive = setInterval(() => {}, 1000);
  const emit = (o: object) => console.log(JSON.stringify(o));
  const slow = lib === 'werift';
  let pair: ConnectedPair | undefined;
  let child: ChildProcess | undefined;
  try {
    let remoteUsage: (() => Promise<Usage>) | undefined;
    if (mode === '1') pair = await LIBRARIES[lib].pair();
    else {
      const spawned = spawnChild(lib, mode === '2p');
      child = spawned.child;
      remoteUsage = spawned.remoteUsage;
      pair = await LIBRARIES[lib].offer(spawned.signal);
    }
    const results = await runSuite(
      pair,
      {
        volumeMiB: QUICK || slow ? 8 : 32,
        smallMessages: QUICK || slow ? 5_000 : 40_000,
        rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK || slow ? 200 : 1000)),
        ...(process.env.BENCH_STEPS ? { steps: process.env.BENCH_STEPS.split(',') } : {}),
        ...(remoteUsage ? { remoteUsage } : {}),
      },
      (metric, error) => emit({ metric, error }),
    );
    for (const r of results) emit(r);
  } catch (e) {
    emit({ error: String(e) });
  } finally {
    await pair?.close();
    if (child) await stopChild(child);
  }
  clearInterval(keepAlive);
}

// ---- the orchestrator ----

interface Config {
  lib: LibName;
  native?: boolean;
}

interface Line extends Partial<Result> {
  error?: string;
}

/** Run one configuration in a fresh driver (pinned to core 0 in `2p`), collecting its JSON lines. */
function runDriver(config: Config, mode: Mode): Promise<Line[]> {
  const node = [...profileArgs(), '--import', 'tsx', SELF, '--driver', config.lib, mode];
  const env = { ...process.env };
  if (config.native !== undefined) env.TSRTC_NATIVE = config.native ? '1' : '0';
  const proc =
    mode === '2p'
      ? spawn('taskset', ['-c', '0', process.execPath, ...node], {
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        })
      : spawn(process.execPath, node, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Line[] = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (l.startsWith('{')) lines.push(JSON.parse(l) as Line);
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      lines.push({ error: `configuration over ${CONFIG_LIMIT_MS / 1000} s` });
      proc.kill();
    }, CONFIG_LIMIT_MS);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && lines.length === 0) lines.push({ error: `driver exited with ${code}` });
      resolve(lines);
    });
  });
}

function ratioOf(unit: string, ours: number, ref: number): number {
  const lowerIsBetter = unit === 'ms' || unit === 'ms/MiB';
  return Math.round((lowerIsBetter ? ref / ours : ours / ref) * 100) / 100;
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_LIBS ?? 'node-datachannel,tsrtc,tsrtc-memory,wrtc,werift').split(
    ',',
  ) as LibName[];
  const modes = (process.env.BENCH_PROCESSES ?? '1,2,2p').split(',') as Mode[];
  const addon = nativeStatus();
  const engines = (process.env.BENCH_NATIVE ?? (addon.loaded ? '1,0' : '0')).split(',').map((e) => e === '1');
  if (engines.includes(true) && !addon.loaded)
    console.error(`native addon not loadable (${addon.reason ?? 'unknown'}): TSRTC_NATIVE=1 runs will fail`);
  if (modes.includes('2p') && spawnSync('taskset', ['-c', '0', 'true']).status !== 0) {
    console.error('taskset unavailable: skipping the pinned mode');
    modes.splice(modes.indexOf('2p'), 1);
  }
  const repeat = Number(process.env.BENCH_REPEAT ?? 1);
  // node-datachannel first in each mode, so tsrtc's ratios come from the same round.
  const configs: Config[] = [];
  if (wanted.includes('node-datachannel')) configs.push({ lib: 'node-datachannel' });
  for (const lib of wanted) {
    if (lib === 'node-datachannel') continue;
    if (lib.startsWith('tsrtc')) for (const native of engines) configs.push({ lib, native });
    else configs.push({ lib });
  }
  const all: (Result & Config & { mode: Mode; ratio?: number })[] = [];
  for (let round = 1; round <= repeat; round++) {
    for (const mode of modes) {
      let reference: Line[] = [];
      for (const config of configs) {
        if (mode !== '1' && config.lib === 'tsrtc-memory') continue;
        const lines = await runDriver(config, mode);
        if (config.lib === 'node-datachannel') reference = lines;
        for (const line of lines) {
          const head = { bench: 'datachannel', round, mode, lib: config.lib, native: config.native };
          if (line.error !== undefined || line.value === undefined || !line.metric || !line.unit) {
            console.log(JSON.stringify({ ...head, ...line }));
            continue;
          }
          const ref = reference.find((r) => r.metric === line.metric)?.value;
          const ratio =
            config.lib.startsWith('tsrtc') && ref ? ratioOf(line.unit, line.value, ref) : undefined;
          const r = { metric: line.metric, value: line.value, unit: line.unit };
          all.push({ ...r, ...config, mode, ...(ratio !== undefined ? { ratio } : {}) });
          console.log(
            JSON.stringify({
              ...head,
              ...r,
              ...(ratio !== undefined ? { ratio, reference: 'node-datachannel' } : {}),
            }),
          );
        }
      }
    }
  }
  if (repeat > 1) printSummary(all, configs, modes);
}

/** Ranges over the rounds: one line per library, engine, mode and figure. */
function printSummary(
  all: (Result & Config & { mode: Mode; ratio?: number })[],
  configs: Config[],
  modes: Mode[],
): void {
  const range = (xs: number[]) => (xs.length ? [Math.min(...xs), Math.max(...xs)] : undefined);
  for (const mode of modes) {
    for (const config of configs) {
      const mine = all.filter((r) => r.mode === mode && r.lib === config.lib && r.native === config.native);
      for (const metric of [...new Set(mine.map((r) => r.metric))]) {
        const rows = mine.filter((r) => r.metric === metric);
        console.log(
          JSON.stringify({
            bench: 'datachannel',
            summary: true,
            mode,
            lib: config.lib,
            native: config.native,
            metric,
            unit: rows[0]!.unit,
            runs: rows.length,
            value: range(rows.map((r) => r.value)),
            ratio: range(rows.flatMap((r) => (r.ratio !== undefined ? [r.ratio] : []))),
          }),
        );
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

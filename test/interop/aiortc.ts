/**
 * aiortc 1.4's own example programs (Debian's python3-aiortc) as peers of tsrtc's command-line tools. A small
 * launcher runs an example unchanged with runpy after four patches that only make it usable in a test:
 * - aioice skips 127.0.0.1 when gathering: its host addresses become 127.0.0.1 (the test namespace has no other);
 * - aiortc's signaling dials once and fails if the other side is not listening yet: dialing retries for 30 s;
 * - a background process started by a shell ignores SIGINT: the default handler (KeyboardInterrupt) comes back,
 *   so a test can stop an example as Ctrl-C does (its `finally` then stops the recorder and sends BYE);
 * - videostream-cli imports cv2 (OpenCV, not packaged here) only for its flag pattern: an empty module stands in,
 *   so it runs with --play-from.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Running, start } from '../cli/processes.js';

export const PYTHON = '/usr/bin/python3';
export const AIORTC_EXAMPLES = '/usr/share/doc/python3-aiortc/examples';

const LAUNCHER = `
import asyncio, runpy, signal, sys, types

signal.signal(signal.SIGINT, signal.default_int_handler)

import aioice.ice

def get_host_addresses(use_ipv4, use_ipv6):
    return ["127.0.0.1"] if use_ipv4 else []

aioice.ice.get_host_addresses = get_host_addresses

def retrying(connect):
    async def dial(*args, **kwargs):
        for _ in range(300):
            try:
                return await connect(*args, **kwargs)
            except (ConnectionRefusedError, FileNotFoundError):
                await asyncio.sleep(0.1)
        return await connect(*args, **kwargs)
    return dial

asyncio.open_connection = retrying(asyncio.open_connection)
asyncio.open_unix_connection = retrying(asyncio.open_unix_connection)

try:
    import cv2
except ImportError:
    sys.modules["cv2"] = types.ModuleType("cv2")

script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
`;

let launcherPath: string | undefined;

function launcher(): string {
  if (!launcherPath) {
    launcherPath = join(mkdtempSync(join(tmpdir(), 'tsrtc-aiortc-')), 'launch.py');
    writeFileSync(launcherPath, LAUNCHER);
  }
  return launcherPath;
}

/** Why the aiortc tests cannot run here (undefined when they can); throws under CI, where they must. */
export function aiortcSkipReason(): string | undefined {
  let reason: string | undefined;
  try {
    accessSync(PYTHON, constants.X_OK);
    accessSync(join(AIORTC_EXAMPLES, 'videostream-cli', 'cli.py'), constants.R_OK);
    const probe = spawnSync(PYTHON, ['-c', 'import aiortc, numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) reason = `aiortc does not import: ${probe.stderr.trim().split('\n').pop()}`;
  } catch (e) {
    reason = `aiortc is not installed (${(e as Error).message})`;
  }
  if (!reason) return undefined;
  const message = `${reason}: apt-get install -y python3-aiortc python3-numpy`;
  if (process.env.CI) throw new Error(message);
  return message;
}

/** Runs aiortc's example `program` (e.g. 'videostream-cli/cli.py') with `args`, output unbuffered. */
export function startAiortc(program: string, args: string[], options: { cwd?: string } = {}): Running {
  return start(PYTHON, ['-u', launcher(), join(AIORTC_EXAMPLES, program), ...args], {
    timeoutMs: 120_000,
    ...options,
  });
}

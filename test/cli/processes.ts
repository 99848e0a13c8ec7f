/**
 * Child processes for the command-line tests: tsrtc's tools (through tsx) and any other program, with their
 * output collected, a deadline, and an interrupt (SIGINT, as Ctrl-C) that a test can send.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when the process has exited and its output is closed. */
  readonly finished: Promise<Finished>;
  /** Resolves once stdout contains a line matching `pattern` (rejects when the process ends first). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  interrupt(): void;
}

export function start(
  command: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { ...process.env, DEBUG: '', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let exited = false;
  void finished.then(() => {
    exited = true;
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    interrupt: () => child.kill('SIGINT'),
    waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const check = (): void => {
          const line = stdout.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(t);
            listeners.delete(check);
            resolve(line);
          } else if (exited || child.exitCode !== null) {
            clearTimeout(t);
            listeners.delete(check);
            reject(new Error(`exited without a line matching ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** One of tsrtc's command-line tools (src/cli/NAME.ts) under tsx. */
export function startCli(name: string, args: string[], options: { timeoutMs?: number; cwd?: string } = {}) {
  const script = fileURLToPath(new URL(`../../src/cli/${name}.ts`, import.meta.url));
  // tsx by URL, so that a working directory elsewhere still finds it.
  return start(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...args], options);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * Resolves once every file holds at least `minBytes` (a recording that has frames in it, a transfer under
 * way): on a loaded machine a fixed wait may end before the first frame.
 */
export async function waitForBytes(files: string[], minBytes: number, timeoutMs = 90_000): Promise<void> {
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (files.some((f) => size(f) < minBytes)) {
    if (Date.now() > deadline)
      throw new Error(
        `files did not reach ${minBytes} bytes: ${files.map((f) => `${f} ${size(f)}`).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

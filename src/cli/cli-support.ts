/**
 * What every command-line tool here shares: verbose logging, an interrupt that is awaited instead of killing
 * the process (so recordings are finalised and BYE is sent), and the exit: explicit, because stdin
 * (copy-and-paste signaling) and socket timers would otherwise keep the process alive.
 */
import { refreshLogConfig } from '../common/logger.js';

/** `-v`: the same as DEBUG=tsrtc:* (an explicit DEBUG wins). */
export function enableVerbose(verbose: boolean | undefined): void {
  if (!verbose || process.env.DEBUG) return;
  process.env.DEBUG = 'tsrtc:*';
  refreshLogConfig();
}

/** A bad command line: main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** Runs a command-line parser; whatever it throws (parseArgs' and the signaling options' errors) is a UsageError. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

let interruptPromise: Promise<string> | undefined;

/** Resolves with the signal's name on the first SIGINT or SIGTERM (a second one exits at once). */
export function interrupted(): Promise<string> {
  interruptPromise ??= new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.on(signal, () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return interruptPromise;
}

/** Runs a tool's main and exits with its code: 2 for a UsageError (with the usage), 1 for any other error. */
export function runMain(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${name}: ${error.message}\n${usage}`);
        process.exit(2);
      }
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
      process.exit(1);
    },
  );
}

/** Resolves after `ms`, without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Parses a non-negative number option; throws UsageError naming the option. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a non-negative number, not ${value}`);
  }
  return n;
}

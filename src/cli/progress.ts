/**
 * A one-line progress bar for a terminal: bytes so far, the share of a known total, the rate. It draws only
 * when the stream is a TTY (a pipe or a file gets nothing), at most ten times a second.
 */
import type { WriteStream } from 'node:tty';

const WIDTH = 30;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Megabits per second, as aiortc's filexfer prints them. */
export function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? (bytes * 8) / seconds / 1e6 : 0;
}

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream | WriteStream,
    private readonly total: number | undefined,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** The line for `bytes` transferred after `seconds` (exported for tests through render()). */
  render(bytes: number, seconds: number): string {
    const rate = `${mbps(bytes, seconds).toFixed(1)} Mbps`;
    if (this.total === undefined || this.total <= 0) return `${formatBytes(bytes)}  ${rate}`;
    const share = Math.min(1, bytes / this.total);
    const filled = Math.round(share * WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
    return `[${bar}] ${(share * 100).toFixed(1).padStart(5)}%  ${formatBytes(bytes)} of ${formatBytes(this.total)}  ${rate}`;
  }

  update(bytes: number, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r${this.render(bytes, (now - this.started) / 1000)}\x1b[K`);
  }

  /** Draw the final state and end the line, so what is printed next starts on a line of its own. */
  finish(bytes: number): void {
    if (!this.enabled) return;
    this.update(bytes, true);
    if (this.drawn) this.stream.write('\n');
  }
}

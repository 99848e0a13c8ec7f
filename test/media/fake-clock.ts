/** Virtual time for pacing tests: sleep() advances the clock instantly and records what was asked for. */
import type { MediaClock } from '../../src/media/clock.js';

export class FakeClock implements MediaClock {
  readonly sleeps: number[] = [];
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (ms > 0) this.time += ms;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

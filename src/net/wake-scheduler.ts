/**
 * One wake-up for many engines: every engine of a connection (ICE, DTLS, SCTP, the media session, TURN
 * allocations) registers its `pollTimeout()` here, and the scheduler keeps a single timer armed at the
 * earliest of them. After an engine is fed input, its owner calls `schedule()` on its registration; when the
 * timer fires, every engine whose deadline has passed gets `handleTimeout(now)` in one pass.
 */
import type { Runtime, TimerHandle } from './runtime.js';

export interface WakeRegistration {
  /** The engine's deadline may have changed: re-read it (cheap; call after every interaction). */
  schedule(): void;
  /** Stop waking this engine. */
  close(): void;
}

interface Member {
  readonly deadline: () => number | undefined;
  readonly wake: (now: number) => void;
  due: number | undefined;
  closed: boolean;
}

export class WakeScheduler {
  private readonly members: Member[] = [];
  private timer: TimerHandle | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private firing = false;
  private closed = false;

  constructor(private readonly runtime: Runtime) {}

  /** Register an engine: `deadline` is its pollTimeout(), `wake` drives handleTimeout and flushes output. */
  register(deadline: () => number | undefined, wake: (now: number) => void): WakeRegistration {
    const member: Member = { deadline, wake, due: undefined, closed: false };
    this.members.push(member);
    return {
      schedule: () => {
        if (member.closed) return;
        member.due = member.deadline();
        if (!this.firing) this.rearm(member.due);
      },
      close: () => {
        if (member.closed) return;
        member.closed = true;
        member.due = undefined;
        const i = this.members.indexOf(member);
        if (i >= 0) this.members.splice(i, 1);
      },
    };
  }

  /** Cancel the timer and forget every engine (the connection closed). */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const m of this.members) m.closed = true;
    this.members.length = 0;
  }

  /** A timer armed at or before `due` will re-read every deadline when it fires: only an earlier one re-arms. */
  private rearm(due: number | undefined): void {
    if (this.closed || due === undefined || due >= this.armedAt) return;
    this.timer?.cancel();
    this.armedAt = due;
    this.timer = this.runtime.timers.at(due, this.fire);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.runtime.clock.now();
    this.firing = true;
    try {
      // A wake may close or register members: iterate over a snapshot.
      for (const m of [...this.members]) {
        if (m.closed || m.due === undefined || m.due > now) continue;
        m.wake(now);
        if (!m.closed) m.due = m.deadline();
      }
    } finally {
      this.firing = false;
    }
    let earliest: number | undefined;
    for (const m of this.members) {
      if (m.due !== undefined && (earliest === undefined || m.due < earliest)) earliest = m.due;
    }
    this.rearm(earliest);
  };
}

/**
 * Per-stage timestamps of tsrtc's echo path, for bench/rtt-tail.bench.ts only: the bench wraps methods of
 * the runtime, DTLS, SCTP and data-channel classes (and the addon's batched send and receive) so nothing
 * in src/ carries tracing. Stamps are on one clock shared by the processes of a machine (the monotonic
 * clock behind `performance.now()`, shifted to `process.hrtime`), so two processes' logs can be merged.
 * Also: every thread's CPU time and run-queue wait from /proc/self/task/<tid>/schedstat.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { DataChannelEngine } from '../src/datachannel/channel-engine.js';
import { RTCDataChannel } from '../src/datachannel/data-channel.js';
import { RTCDtlsTransport } from '../src/dtls/transport.js';
import { UdpSocket } from '../src/net/udp-socket.js';

/** Stage codes; an `END` offset marks the return of a wrapped call. */
export const STAGE = {
  recv: 1, // the addon's recvmmsg batch reaches JavaScript
  dtlsIn: 2, // RTCDtlsTransport.receive: DTLS open, then SCTP input, synchronously
  sctpIn: 3, // DataChannelEngine.handleInput
  deliver: 4, // RTCDataChannel.deliver: SCTP handed the message over; the W3C task is queued
  event: 5, // the 'message' event dispatched (the application's handler runs inside)
  send: 6, // RTCDataChannel.send
  seal: 7, // RTCDtlsTransport.send: one record sealed and queued on the socket
  mmsg: 8, // the addon's sendmmsg
} as const;
export const END = 100;
export const STAGE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(STAGE).map(([k, v]) => [v, k]),
);

/** Milliseconds on the machine-wide monotonic clock. */
const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
export const clockMs = (): number => performance.now() + offset;

const CAPACITY = 4_000_000;
const log = new Float64Array(CAPACITY * 2);
let used = 0;
let enabled = false;

export function stamp(code: number): void {
  if (!enabled || used >= CAPACITY) return;
  log[used * 2] = code;
  log[used * 2 + 1] = performance.now() + offset;
  used++;
}

export function setTracing(on: boolean): void {
  enabled = on;
}

/** The stamps so far as [code, ms, code, ms, …], and forget them. */
export function takeLog(): number[] {
  const out = Array.from(log.subarray(0, used * 2));
  used = 0;
  return out;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

function wrap(proto: object, name: string, code: number, when?: (args: unknown[]) => boolean): void {
  const target = proto as Record<string, Method>;
  const original = target[name];
  if (typeof original !== 'function') throw new Error(`cannot trace ${name}`);
  target[name] = function (this: unknown, ...args: unknown[]) {
    const on = !when || when(args);
    if (on) stamp(code);
    try {
      return original.apply(this, args);
    } finally {
      if (on) stamp(code + END);
    }
  };
}

/** Wrap tsrtc's echo path. Call before any socket or peer connection exists. */
export function installTsrtcTrace(): void {
  // The addon's exports are read-only: wrap each socket's copies of its functions as it starts reading.
  const proto = UdpSocket.prototype as unknown as Record<string, Method>;
  const startBatchedReceive = proto.startBatchedReceive!;
  proto.startBatchedReceive = function (this: unknown) {
    const socket = this as Record<string, Method | undefined>;
    if (typeof socket.onBatch === 'function') wrap(socket, 'onBatch', STAGE.recv);
    if (typeof socket.batchSend === 'function') wrap(socket, 'batchSend', STAGE.mmsg);
    return startBatchedReceive.apply(this);
  };
  wrap(RTCDtlsTransport.prototype, 'receive', STAGE.dtlsIn);
  wrap(RTCDtlsTransport.prototype, 'send', STAGE.seal);
  wrap(DataChannelEngine.prototype, 'handleInput', STAGE.sctpIn);
  wrap(RTCDataChannel.prototype, 'deliver', STAGE.deliver);
  wrap(RTCDataChannel.prototype, 'send', STAGE.send);
  wrap(RTCDataChannel.prototype, 'dispatchEvent', STAGE.event, (a) => (a[0] as Event).type === 'message');
}

/** Every thread's schedstat: CPU time and run-queue wait, in ms, summed; and the main thread's wait. */
export class SchedStat {
  private fds: number[] = [];
  private mainFd = -1;
  private readonly buf = Buffer.alloc(128);

  /** Open the threads that exist now (call after the connection is up: libraries start threads then). */
  open(): void {
    this.close();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const fd = openSync(`/proc/self/task/${tid}/schedstat`, 'r');
        this.fds.push(fd);
        if (Number(tid) === process.pid) this.mainFd = fd;
      } catch {
        // the thread ended meanwhile
      }
    }
  }

  get threads(): number {
    return this.fds.length;
  }

  private read(fd: number): [number, number] {
    try {
      // Parsed from the bytes: no strings, so the sampling itself makes no garbage.
      const n = readSync(fd, this.buf, 0, this.buf.length, 0);
      let cpu = 0;
      let k = 0;
      for (; k < n && this.buf[k] !== 32; k++) cpu = cpu * 10 + this.buf[k]! - 48;
      let wait = 0;
      for (k++; k < n && this.buf[k] !== 32; k++) wait = wait * 10 + this.buf[k]! - 48;
      return [cpu / 1e6, wait / 1e6];
    } catch {
      return [0, 0];
    }
  }

  /** [cpu ms, run-queue wait ms] over all threads, then the main thread's. */
  sample(): [number, number, number, number] {
    let cpu = 0;
    let wait = 0;
    for (const fd of this.fds) {
      const [c, w] = this.read(fd);
      cpu += c;
      wait += w;
    }
    const [mainCpu, mainWait] = this.mainFd >= 0 ? this.read(this.mainFd) : [0, 0];
    return [cpu, wait, mainCpu, mainWait];
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds = [];
    this.mainFd = -1;
  }
}

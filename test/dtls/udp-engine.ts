/**
 * A DtlsEngine driven over one loopback UDP socket with real timers (test helper): the engine's own
 * statistics and events stay visible, which RTCDtlsTransport does not expose.
 */
import { DtlsEngine, type DtlsEngineEvent, type DtlsEngineOptions } from '../../src/dtls/engine.js';
import { UdpDatagramTransport } from '../../src/net/udp-datagram-transport.js';

export class UdpEngine {
  readonly events: DtlsEngineEvent[] = [];
  /** performance.now() of the first datagram received, and of the first event. */
  firstReceivedAt: number | undefined;
  settledAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly engine: DtlsEngine,
    readonly udp: UdpDatagramTransport,
  ) {
    udp.attach((data) => {
      this.firstReceivedAt ??= performance.now();
      engine.handleInput(performance.now(), data);
      this.pump();
    });
  }

  /** An engine on 127.0.0.1 that sends to `remotePort`, or answers whoever sends first. */
  static async create(options: DtlsEngineOptions, remotePort?: number): Promise<UdpEngine> {
    const udp = await UdpDatagramTransport.create({
      remote: remotePort === undefined ? undefined : { address: '127.0.0.1', port: remotePort },
    });
    return new UdpEngine(new DtlsEngine(options), udp);
  }

  get localPort(): number {
    return this.udp.localPort;
  }

  start(): void {
    this.engine.start(performance.now());
    this.pump();
  }

  /** Resolves with the first event (connected, closed or failed); rejects after `timeoutMs`. */
  settled(timeoutMs = 20_000): Promise<DtlsEngineEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const e = this.events[0];
        if (!e) return;
        cleanup();
        resolve(e);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no DTLS event within ${timeoutMs} ms (state ${this.engine.state})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.engine.close(performance.now());
    this.pump();
    clearTimeout(this.timer);
    this.udp.close();
  }

  private pump(): void {
    const { engine } = this;
    for (let d = engine.pollTransmit(); d; d = engine.pollTransmit()) this.udp.send(d);
    for (let e = engine.pollEvent(); e; e = engine.pollEvent()) {
      this.settledAt ??= performance.now();
      this.events.push(e);
    }
    for (const w of this.waiters) w();
    clearTimeout(this.timer);
    const at = engine.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        engine.handleTimeout(performance.now());
        this.pump();
      },
      Math.max(0, at - performance.now()),
    );
  }
}

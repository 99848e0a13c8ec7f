/**
 * A minimal runtime for interop tests: one UDP socket on 127.0.0.1 driving an IceAgent with real timers.
 * (The project's runtime is RTCIceTransport in src/ice/transport.ts; this keeps the agent tests independent.)
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { RTCIceTransportState } from '../../src/common/transport.js';
import { IceAgent, type IceAgentOptions } from '../../src/ice/agent.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { candidateFoundation, candidatePriority } from '../../src/ice/priority.js';

const BASE = 'udp0';

export class UdpAgentDriver {
  readonly agent: IceAgent;
  readonly received: Uint8Array[] = [];
  readonly states: RTCIceTransportState[] = [];
  private readonly socket: Socket;
  private timer: NodeJS.Timeout | undefined;
  private stateWaiters: (() => void)[] = [];

  private constructor(socket: Socket, options: IceAgentOptions) {
    this.socket = socket;
    this.agent = new IceAgent(options);
    socket.on('message', (data, rinfo) => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes.byteLength > 0 && bytes[0]! < 4) {
        this.agent.handleStun(performance.now(), BASE, { address: rinfo.address, port: rinfo.port }, bytes);
        this.pump();
      } else {
        this.agent.recordReceived(bytes.byteLength);
        this.received.push(bytes.slice());
      }
    });
  }

  static async open(options: IceAgentOptions): Promise<UdpAgentDriver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const driver = new UdpAgentDriver(socket, options);
    const port = socket.address().port;
    driver.agent.addLocalCandidate(
      new RTCIceCandidate({
        foundation: candidateFoundation('host', '127.0.0.1'),
        component: 1,
        priority: candidatePriority('host'),
        address: '127.0.0.1',
        port,
        type: 'host',
      }),
      BASE,
    );
    driver.agent.setLocalCandidatesComplete();
    return driver;
  }

  get state(): RTCIceTransportState {
    return this.agent.state;
  }

  /** Flush transmits and events, then re-arm the timer at the agent's next deadline. */
  pump(): void {
    for (let t = this.agent.pollTransmit(); t; t = this.agent.pollTransmit())
      this.socket.send(t.data, t.destination.port, t.destination.address);
    for (let e = this.agent.pollEvent(); e; e = this.agent.pollEvent()) {
      if (e.type === 'statechange') {
        this.states.push(e.state);
        for (const w of this.stateWaiters.splice(0)) w();
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.agent.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.agent.handleTimeout(performance.now());
        this.pump();
      },
      Math.max(0, at - performance.now()),
    );
  }

  send(data: Uint8Array): boolean {
    const t = this.agent.send(data);
    if (!t) return false;
    this.socket.send(t.data, t.destination.port, t.destination.address);
    return true;
  }

  /** Resolves once `predicate` holds (checked on every state change), rejects after `ms`. */
  waitFor(predicate: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`timed out in state ${this.state}`)), ms);
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timeout);
          resolve();
        } else this.stateWaiters.push(check);
      };
      check();
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.agent.close();
    this.socket.close();
  }
}

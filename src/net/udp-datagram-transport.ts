/**
 * A DatagramTransport over one node:dgram socket: for tests against external peers (OpenSSL) and
 * benchmarks, where a DTLS transport runs without ICE. It can stand in for an ICE transport: its role is
 * fixed at creation and its state is `connected` while open. With no remote given, it answers whoever
 * sends first (as a server waiting for its client). A send the kernel or node:dgram refuses (a datagram over
 * UDP's size bound, an invalid port) is dropped and counted in `sendErrors`, as UdpSocket does: a network
 * error never throws out of send() nor reaches the process as an uncaught exception.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  type DatagramReceiver,
  type IceTransportLike,
  ReceiverSlot,
  type RTCIceRole,
  type RTCIceTransportState,
} from '../common/transport.js';

export interface UdpDatagramTransportOptions {
  /** Local address to bind (default 127.0.0.1) and port (default: one the system picks). */
  readonly address?: string;
  readonly port?: number;
  /** Where to send; when absent, the source of the first datagram received. */
  readonly remote?: { address: string; port: number };
  /** The ICE role this transport reports (decides the DTLS role under `auto`). */
  readonly role?: RTCIceRole;
}

export class UdpDatagramTransport extends EventTarget implements IceTransportLike {
  readonly role: RTCIceRole;
  private readonly receiver = new ReceiverSlot('UdpDatagramTransport');
  private currentState: RTCIceTransportState = 'connected';
  private remote: { address: string; port: number } | undefined;
  /** Count of sends that failed synchronously or asynchronously (too large, invalid port, unreachable). */
  sendErrors = 0;
  /**
   * node:dgram reports a send the kernel refuses (EMSGSIZE, ENOBUFS, …) only to a send callback; without one
   * the datagram is lost silently. One callback for all sends, so a send allocates no closure.
   */
  private readonly afterSend = (error: Error | null): void => {
    if (error) this.sendErrors++;
  };

  private constructor(
    private readonly socket: Socket,
    options: UdpDatagramTransportOptions,
  ) {
    super();
    this.role = options.role ?? 'controlling';
    this.remote = options.remote;
    socket.on('message', (data, rinfo) => {
      if (!this.remote) this.remote = { address: rinfo.address, port: rinfo.port };
      else if (rinfo.port !== this.remote.port || rinfo.address !== this.remote.address) return;
      this.receiver.deliver(data);
    });
    // What node:dgram emits as 'error' (a receive error; send errors go to afterSend) would end the process
    // without a listener: counted like a failed send, as UdpSocket counts it.
    socket.on('error', () => {
      this.sendErrors++;
    });
  }

  attach(receiver: DatagramReceiver): () => void {
    return this.receiver.attach(receiver);
  }

  static async create(options: UdpDatagramTransportOptions = {}): Promise<UdpDatagramTransport> {
    const address = options.address ?? '127.0.0.1';
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpDatagramTransport(socket, options);
  }

  get state(): RTCIceTransportState {
    return this.currentState;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  send(data: Uint8Array): void {
    if (this.currentState !== 'connected' || !this.remote) return;
    try {
      this.socket.send(data, this.remote.port, this.remote.address, this.afterSend);
    } catch {
      this.sendErrors++; // refused before it left (an invalid port, a socket no longer running)
    }
  }

  close(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.socket.close();
    this.dispatchEvent(new Event('statechange'));
  }
}

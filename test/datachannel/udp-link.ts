/**
 * A minimal IceTransportLike over one node:dgram socket with large socket buffers, for the benchmark.
 * The default 208 KiB receive buffer overflows when a full SCTP cwnd arrives in one burst on loopback, and
 * each loss halves cwnd. (src/net/udp-datagram-transport.ts has no buffer-size option yet; when it does,
 * the benchmark should use it instead of this.)
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  type IceTransportLike,
  ReceiverSlot,
  type RTCIceRole,
  type RTCIceTransportState,
} from '../../src/common/transport.js';

export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpLink extends EventTarget implements IceTransportLike {
  readonly receiver = new ReceiverSlot('test transport');
  attach(receiver: (data: Uint8Array) => void): () => void {
    return this.receiver.attach(receiver);
  }
  state: RTCIceTransportState = 'connected';
  private remote: { address: string; port: number } | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly role: RTCIceRole,
    remote: { address: string; port: number } | undefined,
  ) {
    super();
    socket.on('message', (data, rinfo) => {
      if (!this.remote) this.connectTo({ address: rinfo.address, port: rinfo.port });
      else if (rinfo.port !== this.remote.port || rinfo.address !== this.remote.address) return;
      this.receiver.deliver(data);
    });
    if (remote) this.connectTo(remote);
  }

  /** A connected socket sends without per-datagram address handling (cheaper in Node's dgram). */
  private connectTo(remote: { address: string; port: number }): void {
    this.remote = remote;
    this.socket.connect(remote.port, remote.address, () => {
      this.connected = true;
    });
  }

  private connected = false;

  /** Bind on 127.0.0.1; with no remote, answer whoever sends first. */
  static async create(role: RTCIceRole, remote?: { address: string; port: number }): Promise<UdpLink> {
    const socket = createSocket({
      type: 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpLink(socket, role, remote);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  send(data: Uint8Array): void {
    if (this.state !== 'connected' || !this.remote) return;
    if (this.connected) this.socket.send(data);
    else this.socket.send(data, this.remote.port, this.remote.address);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.close();
    this.dispatchEvent(new Event('statechange'));
  }
}

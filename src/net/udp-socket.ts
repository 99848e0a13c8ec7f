/** A bound UDP socket with a direct receive callback (no per-datagram Event). */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { TransportAddress } from '../common/engine.js';
import type { DatagramSocket } from './runtime.js';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * node:dgram resolves every destination with dns.lookup before sending, which defers even an IP literal to a
 * later tick: a send right before close() is then lost, and every send costs a tick. IP literals (all ICE
 * ever sends to) are answered at once, so send() hands the datagram to the kernel synchronously.
 */
function immediateLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, options as object, callback as never);
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpSocket implements DatagramSocket {
  private constructor(
    private readonly socket: Socket,
    readonly local: TransportAddress,
  ) {}

  /** The receiver for incoming datagrams. */
  onMessage: ((data: Uint8Array, source: TransportAddress) => void) | undefined;
  /** Count of sends that failed synchronously or asynchronously (unreachable, closed). */
  sendErrors = 0;
  private closed = false;

  static bind(address: string, port = 0): Promise<UdpSocket> {
    const socket = createSocket({
      type: address.includes(':') ? 'udp6' : 'udp4',
      ipv6Only: address.includes(':'),
      lookup: immediateLookup as never,
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        // The default ~208 KiB receive buffer overflows under a data-channel burst, and every loss halves
        // SCTP's window; 4 MiB (or what the kernel allows) keeps bulk transfers at speed.
        for (const set of [socket.setRecvBufferSize, socket.setSendBufferSize]) {
          try {
            set.call(socket, SOCKET_BUFFER_BYTES);
          } catch {
            // the kernel limit applies
          }
        }
        const a = socket.address();
        const s = new UdpSocket(socket, { address: a.address, port: a.port });
        socket.on('message', (msg, rinfo) => {
          s.onMessage?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), {
            address: rinfo.address,
            port: rinfo.port,
          });
        });
        // ICMP errors surface here; a network error must never crash the process.
        socket.on('error', () => {
          s.sendErrors++;
        });
        resolve(s);
      });
    });
  }

  send(data: Uint8Array, destination: TransportAddress): void {
    if (this.closed) return;
    try {
      // No per-datagram callback (a closure per packet on the hot path): send errors arrive as 'error'.
      this.socket.send(data, destination.port, destination.address);
    } catch {
      this.sendErrors++;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onMessage = undefined;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Data channels exist before the SCTP association does (createDataChannel is synchronous and comes before
 * negotiation). This host holds them until the peer connection has an RTCSctpTransport, then hands them over.
 */
import type { DataChannelHost, RTCDataChannel } from '../datachannel/data-channel.js';
import type { RTCSctpTransport } from '../datachannel/sctp-transport.js';
import type { Runtime } from '../net/runtime.js';

export class DeferredChannelHost implements DataChannelHost {
  private sctp: RTCSctpTransport | undefined;
  private pending: RTCDataChannel[] = [];

  constructor(
    private readonly defaultMaxMessageSize: number,
    private readonly runtime: Runtime,
  ) {}

  get maxMessageSize(): number {
    return this.sctp?.maxMessageSize ?? this.defaultMaxMessageSize;
  }

  /** The transport channels go to now: the SCTP transport once there is one, else this host. */
  get current(): DataChannelHost {
    return this.sctp ?? this;
  }

  register(channel: RTCDataChannel): void {
    if (this.sctp) this.sctp.register(channel);
    else {
      if (channel.id !== null && this.pending.some((c) => c.id === channel.id)) {
        throw new DOMException(`data channel id ${channel.id} is in use`, 'OperationError');
      }
      this.pending.push(channel);
    }
  }

  sendMessage(channel: RTCDataChannel, ppid: number, data: Uint8Array): boolean {
    return this.sctp ? this.sctp.sendMessage(channel, ppid, data) : false;
  }

  closeChannel(channel: RTCDataChannel): void {
    if (this.sctp) {
      this.sctp.closeChannel(channel);
      return;
    }
    this.pending = this.pending.filter((c) => c !== channel);
    channel.transportClosed();
  }

  attach(sctp: RTCSctpTransport): void {
    this.sctp = sctp;
    const waiting = this.pending;
    this.pending = [];
    for (const ch of waiting) if (ch.readyState !== 'closed') sctp.register(ch);
  }

  /** The SCTP transport went away with its data section: later channels wait for the next one. */
  detach(): void {
    this.sctp = undefined;
  }

  /** The W3C "queue a task". */
  queueTask(fn: () => void): void {
    this.runtime.timers.task(fn);
  }

  /** The connection closed before SCTP started: close what waits (RTCPeerConnection.close(): no events). */
  closeAll(): void {
    for (const ch of this.pending.splice(0)) ch.closeSilently();
  }
}

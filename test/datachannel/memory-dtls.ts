/** An in-memory DtlsTransportLike pair: datagrams cross on setImmediate, optionally with loss. */
import {
  type DtlsRole,
  type DtlsTransportLike,
  ReceiverSlot,
  type RTCDtlsTransportState,
} from '../../src/common/transport.js';
import { Prng } from '../sim/network.js';

export class MemoryDtls extends EventTarget implements DtlsTransportLike {
  state: RTCDtlsTransportState = 'new';
  readonly receiver = new ReceiverSlot('test transport');
  attach(receiver: (data: Uint8Array) => void): () => void {
    return this.receiver.attach(receiver);
  }
  peer: MemoryDtls | undefined;
  loss = 0;
  sent = 0;
  private readonly rng = new Prng(42);
  private queue: Uint8Array[] = [];
  private scheduled = false;

  constructor(readonly dtlsRole: DtlsRole) {
    super();
  }

  send(data: Uint8Array): void {
    if (this.state !== 'connected' || !this.peer) return;
    this.sent++;
    if (this.loss > 0 && this.rng.next() < this.loss) return;
    // Deliver a Buffer view at an offset inside a larger allocation, as decrypted records often are.
    const holder = Buffer.alloc(data.byteLength + 16, 0xee);
    holder.set(data, 8);
    this.queue.push(holder.subarray(8, 8 + data.byteLength));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const q = this.queue;
        this.queue = [];
        for (const d of q) this.peer?.receiver.deliver(d);
      });
    }
  }

  setState(s: RTCDtlsTransportState): void {
    this.state = s;
    this.dispatchEvent(new Event('statechange'));
  }
}

export function memoryDtlsPair(): [MemoryDtls, MemoryDtls] {
  const a = new MemoryDtls('client');
  const b = new MemoryDtls('server');
  a.peer = b;
  b.peer = a;
  return [a, b];
}

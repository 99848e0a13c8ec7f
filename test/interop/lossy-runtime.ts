/**
 * The real runtime with a switch in its sockets: while `blocked()` holds, incoming SRTP/SRTCP (first byte
 * 128–191) is dropped before ICE sees it, as an outage of the media path would. STUN and DTLS still pass,
 * so the connection itself stays up. For keyframe-recovery tests against real peers.
 */
import type { DatagramSocket, Runtime } from '../../src/net/runtime.js';
import { nodeRuntime } from '../../src/net/runtime.js';

export function mediaOutageRuntime(blocked: () => boolean): Runtime {
  return {
    ...nodeRuntime,
    network: {
      ...nodeRuntime.network,
      async bindUdp(address: string, port?: number): Promise<DatagramSocket> {
        const socket = await nodeRuntime.network.bindUdp(address, port);
        let receiver: DatagramSocket['onMessage'];
        const wrapped: DatagramSocket = {
          get local() {
            return socket.local;
          },
          get onMessage() {
            return receiver;
          },
          set onMessage(r) {
            receiver = r;
            socket.onMessage =
              r &&
              ((data, source) => {
                const first = data[0] ?? 0;
                if (first >= 128 && first <= 191 && blocked()) return;
                r(data, source);
              });
          },
          send: (data, destination) => socket.send(data, destination),
          close: () => socket.close(),
        };
        return wrapped;
      },
    },
  };
}

/**
 * The real runtime with a filter in its sockets: incoming datagrams `drop()` chooses never reach ICE, as a
 * network outage would. `mediaOutageRuntime` drops only SRTP/SRTCP (first byte 128–191) while STUN and DTLS
 * pass, so the connection stays up (keyframe-recovery tests); `deadPeerRuntime` drops everything.
 */
import type { DatagramSocket, Runtime } from '../../src/net/runtime.js';
import { nodeRuntime } from '../../src/net/runtime.js';

export function mediaOutageRuntime(blocked: () => boolean): Runtime {
  return filteredRuntime((data) => {
    const first = data[0] ?? 0;
    return first >= 128 && first <= 191 && blocked();
  });
}

/** While `dead()` holds, nothing arrives: the peer is gone as far as this connection can tell. */
export function deadPeerRuntime(dead: () => boolean): Runtime {
  return filteredRuntime(() => dead());
}

function filteredRuntime(drop: (data: Uint8Array) => boolean): Runtime {
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
                if (!drop(data)) r(data, source);
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

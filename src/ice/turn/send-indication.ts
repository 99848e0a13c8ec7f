/**
 * A direct encoder for TURN Send indications (RFC 8656 §11.1): XOR-PEER-ADDRESS and DATA written straight
 * into one buffer. Byte for byte what StunMessage would produce, at a fraction of the cost, because the
 * client sends one of these per datagram until its channel is bound (or for good when channels are off).
 */
import { ipToBytes } from '../../common/ip.js';
import { HEADER_LENGTH, MAGIC_COOKIE, StunAttr } from '../../stun/constants.js';

/** Message type of a Send indication: method 0x006 with the indication class bit (0x010). */
const SEND_INDICATION = 0x0016;
const MAX_CACHED_PEERS = 1024;

const peerBytes = new Map<string, Uint8Array>();

/** The peer's address as 4 or 16 bytes, cached: a client talks to few peers, many times each. */
function addressBytes(ip: string): Uint8Array {
  let bytes = peerBytes.get(ip);
  if (!bytes) {
    if (peerBytes.size >= MAX_CACHED_PEERS) peerBytes.clear();
    bytes = ipToBytes(ip);
    peerBytes.set(ip, bytes);
  }
  return bytes;
}

export function encodeSendIndication(
  transactionId: Uint8Array,
  peer: { readonly address: string; readonly port: number },
  data: Uint8Array,
): Uint8Array {
  const ip = addressBytes(peer.address);
  const addressLength = 4 + ip.byteLength;
  const padding = (4 - (data.byteLength & 3)) & 3;
  const total = HEADER_LENGTH + 4 + addressLength + 4 + data.byteLength + padding;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint16(0, SEND_INDICATION);
  view.setUint16(2, total - HEADER_LENGTH);
  view.setUint32(4, MAGIC_COOKIE);
  out.set(transactionId, 8);
  // XOR-PEER-ADDRESS: port XOR the cookie's top half; address XOR cookie || transaction id.
  view.setUint16(20, StunAttr.XorPeerAddress);
  view.setUint16(22, addressLength);
  out[25] = ip.byteLength === 4 ? 1 : 2;
  view.setUint16(26, peer.port ^ (MAGIC_COOKIE >>> 16));
  for (let i = 0; i < ip.byteLength; i++) out[28 + i] = ip[i]! ^ out[4 + i]!;
  const at = 28 + ip.byteLength;
  view.setUint16(at, StunAttr.Data);
  view.setUint16(at + 2, data.byteLength);
  out.set(data, at + 4);
  return out;
}

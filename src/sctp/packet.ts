/**
 * SCTP packets: the common header, chunk framing and the checksum. `scanPacket` validates framing
 * before any chunk is acted on; `PacketBuilder` bundles chunks into one packet up to the MTU.
 */
import { COMMON_HEADER_SIZE } from './constants.js';
import { sctpChecksum } from './crc32c.js';

export interface PacketHeader {
  sourcePort: number;
  destinationPort: number;
  verificationTag: number;
  checksum: number;
}

/** Chunk positions found in a packet, as flat arrays so a scan allocates nothing per chunk. */
export class ChunkSpans {
  count = 0;
  readonly types: number[] = [];
  readonly flags: number[] = [];
  /** Offset of the chunk header. */
  readonly offsets: number[] = [];
  /** Chunk length from its header (without padding). */
  readonly lengths: number[] = [];
}

export type ScanResult = 'ok' | 'short' | 'bad-chunk-length';

/**
 * Reads the common header into `header` and the chunk framing into `spans` (offsets relative to the
 * packet, which starts at `base` in `view`). Fails when the packet is shorter than a header or a chunk
 * length is below 4 or runs past the end of the packet.
 */
export function scanPacket(
  view: DataView,
  length: number,
  header: PacketHeader,
  spans: ChunkSpans,
  base = 0,
): ScanResult {
  spans.count = 0;
  if (length < COMMON_HEADER_SIZE + 4) return 'short';
  header.sourcePort = view.getUint16(base);
  header.destinationPort = view.getUint16(base + 2);
  header.verificationTag = view.getUint32(base + 4);
  header.checksum = view.getUint32(base + 8, true);
  let offset = COMMON_HEADER_SIZE;
  while (offset + 4 <= length) {
    const chunkLength = view.getUint16(base + offset + 2);
    if (chunkLength < 4 || offset + chunkLength > length) return 'bad-chunk-length';
    const i = spans.count++;
    spans.types[i] = view.getUint8(base + offset);
    spans.flags[i] = view.getUint8(base + offset + 1);
    spans.offsets[i] = offset;
    spans.lengths[i] = chunkLength;
    offset += (chunkLength + 3) & ~3;
  }
  // Trailing bytes shorter than a chunk header are padding at most; anything else is malformed.
  if (offset < length && length - offset >= 4) return 'bad-chunk-length';
  return spans.count === 0 ? 'short' : 'ok';
}

export function checksumMatches(packet: Uint8Array, header: PacketHeader): boolean {
  return sctpChecksum(packet) === header.checksum;
}

/** Writes chunks into one packet; callers check `room` before adding. */
const SLAB_SIZE = 256 * 1024;

export class PacketBuilder {
  /** The memory the current packet is written into, starting at `base`: the slab, or a grown buffer. */
  private buf: Uint8Array;
  private view: DataView;
  private base = 0;
  /** Write position relative to `base`. */
  private offset = COMMON_HEADER_SIZE;
  private slab = new Uint8Array(0);
  private slabView = new DataView(this.slab.buffer);
  private slabOffset = 0;
  /** Number of chunks written since `begin`. */
  chunks = 0;

  constructor(
    private sourcePort: number,
    private destinationPort: number,
    readonly mtu: number,
  ) {
    this.buf = new Uint8Array(mtu);
    this.view = new DataView(this.buf.buffer);
  }

  setPorts(sourcePort: number, destinationPort: number): void {
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
  }

  /**
   * Start a packet. Each packet gets its own bytes (the finished packet is handed away), carved from a
   * larger slab so there is no zero-filled allocation per packet. Writes go through one DataView per slab
   * at `base`, so a packet costs one view object (the one `finish` hands out) and nothing else.
   */
  begin(verificationTag: number): void {
    if (this.slabOffset + this.mtu > this.slab.byteLength) {
      // Slabs grow with use: an idle association (most of a connection's setup) holds a few KiB, not 256.
      const size = Math.min(SLAB_SIZE, Math.max(this.mtu * 4, this.slab.byteLength * 2));
      const b = Buffer.allocUnsafe(size); // every byte handed out is written first
      this.slab = new Uint8Array(b.buffer, b.byteOffset, size);
      this.slabView = new DataView(b.buffer, b.byteOffset, size);
      this.slabOffset = 0;
    }
    this.buf = this.slab;
    this.view = this.slabView;
    const at = this.slabOffset;
    this.base = at;
    this.view.setUint16(at, this.sourcePort);
    this.view.setUint16(at + 2, this.destinationPort);
    this.view.setUint32(at + 4, verificationTag);
    this.offset = COMMON_HEADER_SIZE;
    this.chunks = 0;
  }

  /** Bytes still free in this packet. */
  get room(): number {
    return this.mtu - this.offset;
  }

  get empty(): boolean {
    return this.chunks === 0;
  }

  /** Add an encoded chunk (header included); pads to 4 bytes. Oversized chunks are the caller's error. */
  addChunk(chunk: Uint8Array): void {
    this.ensure(chunk.byteLength + 3);
    const at = this.base + this.offset;
    this.buf.set(chunk, at);
    const end = at + chunk.byteLength;
    const padded = at + ((chunk.byteLength + 3) & ~3);
    for (let i = end; i < padded; i++) this.buf[i] = 0;
    this.offset += (chunk.byteLength + 3) & ~3;
    this.chunks++;
  }

  /** Add a SACK without gap blocks or duplicate TSNs (the common one), written in place. */
  addPlainSack(cumulativeTsnAck: number, window: number): void {
    this.ensure(16);
    const v = this.view;
    const at = this.base + this.offset;
    v.setUint32(at, 0x03000010); // type SACK (3), flags 0, length 16
    v.setUint32(at + 4, cumulativeTsnAck);
    v.setUint32(at + 8, window);
    v.setUint32(at + 12, 0); // no gap blocks, no duplicates
    this.offset += 16;
    this.chunks++;
  }

  /** Add a DATA (16-byte header) or I-DATA (20-byte header) chunk straight from the payload view. */
  addData(
    interleaved: boolean,
    flags: number,
    tsn: number,
    streamId: number,
    ssnOrMid: number,
    ppidOrFsn: number,
    ppid: number,
    payload: Uint8Array,
  ): void {
    const v = this.view;
    const at = this.base + this.offset;
    const headerSize = interleaved ? 20 : 16;
    const length = headerSize + payload.byteLength;
    v.setUint8(at, interleaved ? 64 : 0);
    v.setUint8(at + 1, flags);
    v.setUint16(at + 2, length);
    v.setUint32(at + 4, tsn);
    v.setUint16(at + 8, streamId);
    if (interleaved) {
      v.setUint16(at + 10, 0);
      v.setUint32(at + 12, ssnOrMid);
      v.setUint32(at + 16, ppidOrFsn);
    } else {
      v.setUint16(at + 10, ssnOrMid);
      v.setUint32(at + 12, ppid);
    }
    this.buf.set(payload, at + headerSize);
    const padded = (length + 3) & ~3;
    for (let i = at + length; i < at + padded; i++) this.buf[i] = 0;
    this.offset += padded;
    this.chunks++;
  }

  /** Finish the packet; `withChecksum` false leaves zero for RFC 9653 zero-checksum peers. */
  finish(withChecksum: boolean): Uint8Array {
    const packet = this.buf.subarray(this.base, this.base + this.offset);
    // The rest of this packet's slot is free for the next one (4-byte aligned).
    if (this.buf === this.slab) this.slabOffset = this.base + ((this.offset + 3) & ~3);
    this.view.setUint32(this.base + 8, withChecksum ? sctpChecksum(packet) : 0, true);
    return packet;
  }

  private ensure(n: number): void {
    if (this.offset + n <= (this.buf === this.slab ? this.mtu : this.buf.byteLength)) return;
    // Only a control chunk larger than the MTU (a big INIT-ACK cookie) gets here; grow rather than fail.
    // The packet moves to memory of its own; the slab slot it started in is simply not used.
    const next = new Uint8Array(this.offset + n);
    next.set(this.buf.subarray(this.base, this.base + this.offset));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.base = 0;
  }
}

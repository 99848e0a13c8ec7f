/** Hello extensions tsrtc reads and writes; others are skipped on input. */
import { type ByteReader, ByteWriter } from '../common/bytes.js';
import { ProtocolError } from '../common/errors.js';
import { EC_POINT_FORMAT_UNCOMPRESSED, ExtensionType } from './constants.js';

export interface UseSrtp {
  readonly profiles: readonly number[];
  readonly mki: Uint8Array;
}

export interface HelloExtensions {
  supportedGroups?: number[];
  ecPointFormats?: number[];
  signatureAlgorithms?: number[];
  useSrtp?: UseSrtp;
  extendedMasterSecret: boolean;
  /** renegotiation_info body (RFC 5746); empty on an initial handshake. */
  renegotiationInfo?: Uint8Array;
}

function u16List(r: ByteReader, lengthBytes: 1 | 2): number[] {
  const length = lengthBytes === 1 ? r.u8() : r.u16();
  if (length % 2 !== 0) throw new ProtocolError('odd length in a list of u16');
  const sub = r.sub(length);
  const out: number[] = [];
  while (sub.remaining > 0) out.push(sub.u16());
  return out;
}

export function readExtensions(r: ByteReader): HelloExtensions {
  const ext: HelloExtensions = { extendedMasterSecret: false };
  if (r.remaining === 0) return ext;
  const all = r.sub(r.u16());
  if (r.remaining !== 0) throw new ProtocolError('bytes after the extensions');
  const seen = new Set<number>();
  while (all.remaining > 0) {
    const type = all.u16();
    const body = all.sub(all.u16());
    if (seen.has(type)) throw new ProtocolError(`extension ${type} appears twice`);
    seen.add(type);
    switch (type) {
      case ExtensionType.supportedGroups:
        ext.supportedGroups = u16List(body, 2);
        break;
      case ExtensionType.ecPointFormats: {
        const formats = body.bytes(body.u8());
        ext.ecPointFormats = Array.from(formats);
        break;
      }
      case ExtensionType.signatureAlgorithms:
        ext.signatureAlgorithms = u16List(body, 2);
        break;
      case ExtensionType.useSrtp: {
        const profiles = u16List(body, 2);
        const mki = body.bytes(body.u8());
        ext.useSrtp = { profiles, mki };
        break;
      }
      case ExtensionType.extendedMasterSecret:
        ext.extendedMasterSecret = true;
        break;
      case ExtensionType.renegotiationInfo:
        ext.renegotiationInfo = body.bytes(body.u8());
        break;
      default:
        body.skip(body.remaining);
    }
    if (body.remaining !== 0) throw new ProtocolError(`extension ${type} has trailing bytes`);
  }
  return ext;
}

export function writeExtensions(w: ByteWriter, ext: HelloExtensions): void {
  const body = new ByteWriter(128);
  const open = (type: number): number => {
    body.u16(type).u16(0);
    return body.offset;
  };
  const close = (start: number): void => body.setU16(start - 2, body.offset - start);
  if (ext.supportedGroups) {
    const at = open(ExtensionType.supportedGroups);
    body.u16(ext.supportedGroups.length * 2);
    for (const g of ext.supportedGroups) body.u16(g);
    close(at);
  }
  if (ext.ecPointFormats) {
    const at = open(ExtensionType.ecPointFormats);
    body.u8(ext.ecPointFormats.length);
    for (const f of ext.ecPointFormats) body.u8(f);
    close(at);
  }
  if (ext.signatureAlgorithms) {
    const at = open(ExtensionType.signatureAlgorithms);
    body.u16(ext.signatureAlgorithms.length * 2);
    for (const s of ext.signatureAlgorithms) body.u16(s);
    close(at);
  }
  if (ext.useSrtp) {
    const at = open(ExtensionType.useSrtp);
    body.u16(ext.useSrtp.profiles.length * 2);
    for (const p of ext.useSrtp.profiles) body.u16(p);
    body.u8(ext.useSrtp.mki.byteLength).bytes(ext.useSrtp.mki);
    close(at);
  }
  if (ext.extendedMasterSecret) close(open(ExtensionType.extendedMasterSecret));
  if (ext.renegotiationInfo) {
    const at = open(ExtensionType.renegotiationInfo);
    body.u8(ext.renegotiationInfo.byteLength).bytes(ext.renegotiationInfo);
    close(at);
  }
  const bytes = body.finish();
  if (bytes.byteLength === 0) return;
  w.u16(bytes.byteLength).bytes(bytes);
}

export const UNCOMPRESSED_POINTS = [EC_POINT_FORMAT_UNCOMPRESSED];

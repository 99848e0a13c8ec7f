/**
 * Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb, `goog-remb`): the peer's estimate of
 * what it can receive, for the SSRCs it lists. Turned into a target-bitrate event for the encoder: with the
 * section (mid) when every listed SSRC is ours and in one section, else for the whole session.
 */
import type { RtcpRemb } from '../rtcp/types.js';

export interface TargetBitrate {
  mid: string | undefined;
  /** Bits per second. */
  bitrate: number;
  ssrcs: number[];
}

/**
 * The target a REMB sets, or undefined when it concerns none of our streams or REMB was not negotiated for
 * them. `midOf` maps our send SSRCs to their section and says whether `goog-remb` is on there.
 */
export function targetFromRemb(
  remb: RtcpRemb,
  midOf: (ssrc: number) => { mid: string; remb: boolean } | undefined,
): TargetBitrate | undefined {
  const mids = new Set<string>();
  const ssrcs: number[] = [];
  for (const ssrc of remb.ssrcs) {
    const owner = midOf(ssrc);
    if (!owner?.remb) continue;
    mids.add(owner.mid);
    ssrcs.push(ssrc);
  }
  if (ssrcs.length === 0 || !Number.isFinite(remb.bitrate)) return undefined;
  return { mid: mids.size === 1 ? [...mids][0] : undefined, bitrate: remb.bitrate, ssrcs };
}

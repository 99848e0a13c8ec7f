/**
 * Splits the connection's target bitrate across its senders (one per sending section, by mid): every sender
 * first gets its minimum (audio before video), then audio up to its maximum, then the rest is shared by the
 * video senders in proportion to their priority, none above its maximum (water-filling: what a capped
 * sender cannot take goes to the others).
 */

export interface SenderBitrateLimits {
  /** Bits per second. */
  minBitrate: number;
  maxBitrate: number;
  /** Share of the video split relative to the others (default 1). */
  priority: number;
}

export interface SenderDemand extends SenderBitrateLimits {
  mid: string;
  kind: 'audio' | 'video';
}

export const AUDIO_DEFAULT_LIMITS: SenderBitrateLimits = {
  minBitrate: 16_000,
  maxBitrate: 64_000,
  priority: 1,
};
export const VIDEO_DEFAULT_LIMITS: SenderBitrateLimits = {
  minBitrate: 30_000,
  maxBitrate: Number.POSITIVE_INFINITY,
  priority: 1,
};

/** The bitrate of each sender (bits/s) for a total of `total`. */
export function allocateBitrate(total: number, senders: readonly SenderDemand[]): Map<string, number> {
  const out = new Map<string, number>();
  let left = Math.max(0, total);
  const ordered = [
    ...senders.filter((s) => s.kind === 'audio'),
    ...senders.filter((s) => s.kind === 'video'),
  ];
  for (const s of ordered) {
    const give = Math.min(left, s.minBitrate, s.maxBitrate);
    out.set(s.mid, give);
    left -= give;
  }
  for (const s of ordered) {
    if (s.kind !== 'audio') continue;
    const give = Math.min(left, s.maxBitrate - out.get(s.mid)!);
    out.set(s.mid, out.get(s.mid)! + give);
    left -= give;
  }
  let open = ordered.filter((s) => s.kind === 'video' && out.get(s.mid)! < s.maxBitrate);
  while (left > 0.5 && open.length > 0) {
    const weight = open.reduce((n, s) => n + Math.max(s.priority, 0.001), 0);
    let given = 0;
    for (const s of open) {
      const share = (left * Math.max(s.priority, 0.001)) / weight;
      const give = Math.min(share, s.maxBitrate - out.get(s.mid)!);
      out.set(s.mid, out.get(s.mid)! + give);
      given += give;
    }
    left -= given;
    open = open.filter((s) => out.get(s.mid)! < s.maxBitrate - 0.5);
    if (given < 0.5) break;
  }
  return out;
}

/**
 * H.264 `profile-level-id` (RFC 6184 §8.1): which profile and level three hex bytes name, whether two offers
 * are the same profile, and the level an answer should carry (RFC 6184 §8.2.2, as libwebrtc applies it).
 */

export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'extended'
  | 'high'
  | 'constrained-high'
  | 'predictive-high-444';

export interface H264ProfileLevel {
  profile: H264Profile;
  /** level_idc (31 = 3.1); level 1b is reported as 0. */
  level: number;
}

/** level_idc values for "1b" under this model. */
export const H264_LEVEL_1B = 0;

/** What browsers assume when `profile-level-id` is absent: Constrained Baseline, level 3.1. */
const DEFAULT: H264ProfileLevel = { profile: 'constrained-baseline', level: 31 };

/** profile_idc and a mask/value on profile-iop, in the order libwebrtc checks them (RFC 6184 Table 5). */
const PATTERNS: readonly [number, number, number, H264Profile][] = [
  [0x42, 0x4f, 0x40, 'constrained-baseline'],
  [0x4d, 0x8f, 0x80, 'constrained-baseline'],
  [0x58, 0xcf, 0xc0, 'constrained-baseline'],
  [0x42, 0x4f, 0x00, 'baseline'],
  [0x58, 0xcf, 0x80, 'baseline'],
  [0x4d, 0xaf, 0x00, 'main'],
  [0x58, 0xcf, 0x00, 'extended'],
  [0x64, 0xff, 0x00, 'high'],
  [0x64, 0xff, 0x0c, 'constrained-high'],
  [0xf4, 0xff, 0x00, 'predictive-high-444'],
];

/** Parse the six hex digits; undefined when they name no known profile. */
export function parseH264ProfileLevelId(text: string | undefined): H264ProfileLevel | undefined {
  if (text === undefined) return DEFAULT;
  if (!/^[0-9A-Fa-f]{6}$/.test(text)) return undefined;
  const n = Number.parseInt(text, 16);
  const idc = n >>> 16;
  const iop = (n >>> 8) & 0xff;
  let level = n & 0xff;
  const pattern = PATTERNS.find(([p, mask, value]) => p === idc && (iop & mask) === value);
  if (!pattern) return undefined;
  // Level 1b: level_idc 11 with constraint_set3 in the Baseline/Main family.
  if (level === 11 && (iop & 0x10) !== 0 && (idc === 0x42 || idc === 0x4d || idc === 0x58))
    level = H264_LEVEL_1B;
  return { profile: pattern[3], level };
}

const PROFILE_BYTES: Record<H264Profile, string> = {
  'constrained-baseline': '42e0',
  baseline: '4200',
  main: '4d00',
  extended: '5800',
  high: '6400',
  'constrained-high': '640c',
  'predictive-high-444': 'f400',
};

export function writeH264ProfileLevelId(p: H264ProfileLevel): string {
  if (p.level === H264_LEVEL_1B) {
    // 1b is written as level 11 with constraint_set3 (or level 9 outside the Baseline/Main family).
    if (p.profile === 'constrained-baseline') return '42f00b';
    if (p.profile === 'baseline') return '42100b';
    if (p.profile === 'main') return '4d100b';
    return `${PROFILE_BYTES[p.profile]}09`;
  }
  return PROFILE_BYTES[p.profile] + p.level.toString(16).padStart(2, '0');
}

/** Level order with 1b (0) between 1.0 (10) and 1.1 (11). */
function levelRank(level: number): number {
  return level === H264_LEVEL_1B ? 10.5 : level;
}

/** True when the fmtp maps describe the same H.264 profile and packetization mode (the RFC 6184 match rule). */
export function sameH264Format(a: Record<string, string>, b: Record<string, string>): boolean {
  const pa = parseH264ProfileLevelId(a['profile-level-id']);
  const pb = parseH264ProfileLevelId(b['profile-level-id']);
  if (!pa || !pb || pa.profile !== pb.profile) return false;
  return (a['packetization-mode'] ?? '0') === (b['packetization-mode'] ?? '0');
}

/**
 * The `profile-level-id` for an answer: the common profile; our level when both sides allow level asymmetry,
 * else the lower of the two.
 */
export function h264AnswerProfileLevelId(
  local: Record<string, string>,
  remote: Record<string, string>,
): string | undefined {
  const pl = parseH264ProfileLevelId(local['profile-level-id']);
  const pr = parseH264ProfileLevelId(remote['profile-level-id']);
  if (!pl || !pr || pl.profile !== pr.profile) return undefined;
  const asymmetric = local['level-asymmetry-allowed'] === '1' && remote['level-asymmetry-allowed'] === '1';
  const level = asymmetric || levelRank(pl.level) <= levelRank(pr.level) ? pl.level : pr.level;
  return writeH264ProfileLevelId({ profile: pl.profile, level });
}

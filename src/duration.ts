// Durations as people write them in a workflow: `90s`, `30m`, `6h`, `1h30m`, `2d`.

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)\s*([smhd])/gy;

/** Milliseconds, or undefined when `text` is not a duration (bare numbers are refused: say the unit). */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase().replace(/\s+/g, "");
  if (!value) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(value); match; match = PART.exec(value)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
  }
  if (consumed !== value.length || !Number.isSafeInteger(total)) return undefined;
  return total;
}

/** `5400000` → `1h 30m`; the largest units first, zero parts left out. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [unit, size] of [
    ["d", UNIT_MS.d],
    ["h", UNIT_MS.h],
    ["m", UNIT_MS.m],
    ["s", UNIT_MS.s],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

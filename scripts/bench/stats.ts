/** Small statistics and number formatting for the bench (pure). */

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export interface Stats {
  n: number;
  min: number;
  median: number;
  max: number;
}

export const stats = (xs: readonly number[]): Stats => ({
  n: xs.length,
  min: xs.length ? Math.min(...xs) : Number.NaN,
  median: median(xs),
  max: xs.length ? Math.max(...xs) : Number.NaN,
});

export const round = (x: number, d = 1): number | null => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

/** Drops nulls and non-finite values (a run that did not reach the moment measured). */
export const finite = (xs: readonly (number | null | undefined)[]): number[] => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

export type Unit = 'ms' | 'count' | 'per-min' | 'bytes';

export function fmt(x: number, unit: Unit): string {
  if (!Number.isFinite(x)) return '—';
  switch (unit) {
    case 'ms':
      return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
    case 'count':
      return Number.isInteger(x) ? String(x) : x.toFixed(1);
    case 'per-min':
      return `${x.toFixed(2)}/min`;
    case 'bytes':
      return `${(x / 1e6).toFixed(3)} MB`;
  }
}

/** Requests per minute: `count` requests over `ms`. */
export const perMinute = (count: number, ms: number): number => (ms > 0 ? count / (ms / 60_000) : Number.NaN);

/** The bench's tables: figures next to their targets, as aligned text and as markdown (pure). */
import { fmt, stats, type Unit } from './stats.ts';

export interface Figure {
  id: string;
  label: string;
  unit: Unit;
  samples: number[];
  /** where the number comes from: "measured, …" or "simulated, …" */
  source: string;
  target?: number;
  /** median ≤ target */
  pass?: boolean;
}

/** A figure with its pass mark; a figure without samples never passes. */
export function figure(f: Omit<Figure, 'pass'>): Figure {
  if (f.target === undefined) return f;
  const m = stats(f.samples).median;
  return { ...f, pass: Number.isFinite(m) && m <= f.target };
}

export const FIGURE_HEAD = ['Figure', 'n', 'min', 'median', 'max', 'target', 'ok', 'source'];
export const FIGURE_RIGHT = new Set([1, 2, 3, 4]);

export function figureCells(f: Figure): string[] {
  const s = stats(f.samples);
  const single = s.n === 1;
  return [
    f.label,
    String(s.n),
    single ? '' : fmt(s.min, f.unit),
    fmt(s.median, f.unit),
    single ? '' : fmt(s.max, f.unit),
    f.target === undefined ? '' : `≤ ${fmt(f.target, f.unit)}`,
    f.pass === undefined ? '' : f.pass ? '✅' : '❌',
    f.source,
  ];
}

/** Display width, counting the emoji used here as 2 columns. */
const width = (s: string): number => [...s].reduce((w, c) => w + (/[✅❌]/u.test(c) ? 2 : 1), 0);
const padEnd = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - width(s)));
const padStart = (s: string, n: number): string => ' '.repeat(Math.max(0, n - width(s))) + s;

export function textTable(head: readonly string[], rows: readonly string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right.has(i) ? padStart(c, widths[i] ?? 0) : padEnd(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function mdTable(head: readonly string[], rows: readonly string[][], right: ReadonlySet<number> = new Set()): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export interface Section {
  title: string;
  head: string[];
  rows: string[][];
  right?: Set<number>;
  /** plain lines after the table */
  after?: string[];
}

/** The whole report as text (for the terminal) and as markdown (for bench-results/). */
export function render(title: string, sections: readonly Section[], notes: readonly string[]): { text: string; md: string } {
  const text = [title, ''];
  const md = [`# ${title}`, ''];
  for (const s of sections) {
    text.push(`${s.title}:`, textTable(s.head, s.rows, s.right), ...(s.after ?? []), '');
    md.push(`## ${s.title}`, '', mdTable(s.head, s.rows, s.right), '', ...(s.after?.length ? ['```text', ...s.after, '```', ''] : []));
  }
  text.push(...notes.map((n) => `• ${n}`));
  md.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return { text: text.join('\n'), md: md.join('\n') };
}

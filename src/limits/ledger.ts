/**
 * The cross-run limits' arithmetic, pure: the paid runs the repository's status comments record
 * (each marker's own run and the history it carries), the spend of the conversations started in
 * a rolling window, the runs one person started in theirs, and when a refused trigger has room.
 * Nothing is stored anywhere else: the markers and the service already hold all of it.
 */
import type { MarkerState } from '../marker.js';
import type { PastRun, RunStatus } from '../report.js';

/** A marker status that started no paid work. */
const NOT_PAID: ReadonlySet<RunStatus> = new Set(['skipped', 'awaiting_approval']);
/** A marker status whose conversation may still be spending: its cost is read fresh. */
const MAY_SPEND: ReadonlySet<RunStatus> = new Set(['pending', 'started', 'ready', 'followed_up']);
/** History kept in a marker: enough for any window a user sets in practice. */
const KEEP_RUNS = 30;
const KEEP_MS = 7 * 24 * 3600_000;

export const DAY_MS = 24 * 3600_000;

/**
 * The history a new run's report carries on: the previous marker's own run (when it was a paid
 * run of another workflow run: a re-run replaces its own) and that marker's history.
 */
export function pastRuns(prev: MarkerState | undefined, runId: string, now: number): PastRun[] {
  if (!prev) return [];
  const own: PastRun[] =
    prev.runId !== runId && prev.actor && !NOT_PAID.has(prev.status)
      ? [{ actor: prev.actor, at: prev.startedAt, ...(prev.conversationId ? { conversationId: prev.conversationId } : {}), ...(prev.cost !== undefined ? { cost: prev.cost } : {}) }]
      : [];
  return [...own, ...(prev.runs ?? [])].filter((r) => now - r.at < KEEP_MS).slice(0, KEEP_RUNS);
}

export interface LedgerRun extends PastRun {
  /** the comment's current run, whose conversation may still be spending */
  readonly live: boolean;
}

/** Every paid run the comments record. `key`: only those of this comment-key (scope workflow). */
export function ledger(comments: readonly { readonly key: string; readonly state: MarkerState | undefined }[], key?: string): LedgerRun[] {
  const out: LedgerRun[] = [];
  for (const c of comments) {
    const s = c.state;
    if (!s || (key !== undefined && c.key !== key)) continue;
    if (s.actor && !NOT_PAID.has(s.status)) {
      out.push({
        actor: s.actor,
        at: s.startedAt,
        ...(s.conversationId ? { conversationId: s.conversationId } : {}),
        ...(s.cost !== undefined ? { cost: s.cost } : {}),
        live: MAY_SPEND.has(s.status),
      });
    }
    for (const r of s.runs ?? []) out.push({ ...r, live: false });
  }
  return out;
}

/** Conversations whose cost must be read fresh: those of live runs in the window. */
export function toReadFresh(runs: readonly LedgerRun[], now: number, windowMs: number): string[] {
  return [...new Set(runs.filter((r) => r.live && r.conversationId && now - r.at < windowMs).map((r) => r.conversationId as string))];
}

export interface Spend {
  readonly total: number;
  /** each conversation with a run in the window: its cost, and its newest run there */
  readonly conversations: readonly { readonly id: string; readonly cost: number; readonly lastAt: number }[];
}

/**
 * What the conversations with a run in the window cost: the fresh read when there is one, else
 * the cost recorded last. A conversation followed up in the window counts whole (the safe side).
 */
export function spendInWindow(runs: readonly LedgerRun[], fresh: ReadonlyMap<string, number>, now: number, windowMs: number): Spend {
  const byId = new Map<string, { cost: number; lastAt: number }>();
  for (const r of runs) {
    if (!r.conversationId || now - r.at >= windowMs) continue;
    const seen = byId.get(r.conversationId);
    byId.set(r.conversationId, {
      cost: Math.max(seen?.cost ?? 0, r.cost ?? 0, fresh.get(r.conversationId) ?? 0),
      lastAt: Math.max(seen?.lastAt ?? 0, r.at),
    });
  }
  const conversations = [...byId].map(([id, v]) => ({ id, ...v }));
  return { total: conversations.reduce((sum, c) => sum + c.cost, 0), conversations };
}

/** When the spend falls below the cap again, as the oldest conversations leave the window. */
export function spendRoomAt(spend: Spend, cap: number, windowMs: number): number {
  let total = spend.total;
  for (const c of [...spend.conversations].sort((a, b) => a.lastAt - b.lastAt)) {
    total -= c.cost;
    if (total < cap) return c.lastAt + windowMs;
  }
  return 0;
}

/** The start times of `actor`'s runs in the window, oldest first. */
export function runsBy(runs: readonly LedgerRun[], actor: string, now: number, windowMs: number): number[] {
  const who = actor.toLowerCase();
  return runs
    .filter((r) => r.actor.toLowerCase() === who && now - r.at < windowMs)
    .map((r) => r.at)
    .sort((a, b) => a - b);
}

/** When one more run fits: once enough of the oldest leave the window. */
export function runsRoomAt(starts: readonly number[], max: number, windowMs: number): number {
  return (starts[starts.length - max] ?? 0) + windowMs;
}

/**
 * The account's sandbox cap, as one run can see it ([api: auto-pause], [api: route-age]). Runs cannot see each other,
 * but they can see the account's sandboxes and its in-flight start tasks: what is running or
 * starting now, and which running sandboxes belong to a conversation this action started whose
 * agent has finished (a pause loses nothing there: it resumes on demand). Pure logic; the
 * look-ups are in steps/act/queue.ts.
 */
import type { Sandbox } from './client.js';
import { fastestStart, startsUnderWay } from './start.js';
import { hexId, type Conversation, type StartTask } from './types.js';

/** Sandbox statuses that hold a slot of the cap (a STARTING one turns RUNNING by itself). */
const LIVE = new Set(['RUNNING', 'STARTING']);

export interface AccountLoad {
  /** sandboxes running or starting */
  readonly live: number;
  /** start tasks in flight whose sandbox is not listed yet (a start in WORKING makes one soon) */
  readonly inFlight: number;
  /**
   * starts under way (how many runs poll their start tasks at once): every in-flight task when
   * the tasks were read (a task's sandbox runs long before the task is READY: the clone, the
   * setup script), else the STARTING sandboxes
   */
  readonly starting: number;
  /** RUNNING sandboxes that may be ours (named like our conversations), oldest first */
  readonly maybeOurs: readonly string[];
  /** how long the fastest of the account's recent starts took to READY, when the tasks were read and one is READY */
  readonly fastestMs?: number;
}

export function accountLoad(sandboxes: readonly Sandbox[], tasks: readonly StartTask[] | undefined, now: number): AccountLoad {
  const listed = new Set(sandboxes.map((s) => s.id));
  const underWay = startsUnderWay(tasks ?? [], now);
  const fastestMs = tasks && fastestStart(tasks, '');
  const inFlight = underWay.filter((t) => !(t.sandbox_id && listed.has(t.sandbox_id)));
  const running = sandboxes.filter((s) => s.status === 'RUNNING').sort((a, b) => Date.parse(a.created_at ?? '') - Date.parse(b.created_at ?? ''));
  return {
    live: sandboxes.filter((s) => LIVE.has(s.status)).length,
    inFlight: inFlight.length,
    starting: tasks ? underWay.length : sandboxes.filter((s) => s.status === 'STARTING').length,
    maybeOurs: running.map((s) => s.id).filter(isDerivedId),
    ...(fastestMs === undefined ? {} : { fastestMs }),
  };
}

/**
 * Whether an id has the form of the ids this action proposes: a name-based (v5) UUID (see
 * conversationIdFor). The web app and the service pick random (v4) ones.
 */
export function isDerivedId(id: string): boolean {
  return /^[0-9a-f]{12}5[0-9a-f]{3}[89ab][0-9a-f]{15}$/.test(hexId(id));
}

/**
 * A finished agent's sandbox is left alone this long: the run that follows it may still be
 * reading its answer (the final message comes from the running sandbox, [api: final-message];
 * a polling run sees `finished` within 20 s), and the agent server's copy of the last events
 * reaches the app server up to 30 s after the first of them was queued, later when a delivery
 * is retried (3 × 5 s, [api: events]): paused before that, the app-server copy may miss them.
 */
export const FINISHED_GRACE_MS = 60_000;

/**
 * From when a conversation, as read, may be paused at no loss to make room: started through
 * the API with an id of ours (both from our start request), on its own sandbox (named after it,
 * [api: errors]), running, its agent finished: FINISHED_GRACE_MS after it finished (by
 * `updated_at`). Undefined when it may not be paused as it stands: a working agent, a web-app
 * conversation, a shared or stopped sandbox.
 */
export function pausableFrom(c: Conversation): number | undefined {
  const id = hexId(c.id);
  const updated = Date.parse(c.updated_at ?? '');
  const ok =
    (c as { trigger?: unknown }).trigger === 'openhands_api' &&
    isDerivedId(id) &&
    hexId(c.sandbox_id) === id &&
    c.sandbox_status === 'RUNNING' &&
    c.execution_status === 'finished' &&
    Number.isFinite(updated);
  return ok ? updated + FINISHED_GRACE_MS : undefined;
}

/** What a queued run remembers of the candidates: each one's conversation as last read (null: none yet, e.g. still starting). */
export type Seen = ReadonlyMap<string, Conversation | null>;

/**
 * The candidates as one page of the account's conversations (newest first) shows them. A
 * sandbox is made for its first conversation and named after it ([api: errors]): any other
 * conversation on it came later, so a candidate found in the page has every conversation that
 * could share its sandbox in the page too. One shared, or not in the page, is not pausable (null).
 */
export function candidatesFrom(maybeOurs: readonly string[], page: readonly Conversation[]): Map<string, Conversation | null> {
  const users = new Map<string, number>();
  for (const c of page) {
    const sandbox = hexId(c.sandbox_id);
    if (sandbox) users.set(sandbox, (users.get(sandbox) ?? 0) + 1);
  }
  return new Map(
    maybeOurs.map((id) => {
      const c = page.find((x) => hexId(x.id) === hexId(id));
      return [id, c && users.get(hexId(id)) === 1 ? c : null];
    }),
  );
}

/**
 * The candidates pausable now as last read, longest-finished first, rotated by `seed` (e.g. the
 * run's conversation id): runs of a burst that look at the same moment see the same candidates
 * and each takes them in its own order, so two runs rarely pause the same one.
 */
export function dueForRoom(maybeOurs: readonly string[], seen: Seen, now: number, seed = 0): string[] {
  const due = maybeOurs
    .map((id) => ({ id, from: pausableAfter(seen.get(id)) }))
    .filter((x): x is { id: string; from: number } => x.from !== undefined && x.from <= now)
    .sort((a, b) => a.from - b.from)
    .map((x) => x.id);
  const from = due.length ? seed % due.length : 0;
  return [...due.slice(from), ...due.slice(0, from)];
}

/** Candidates that become pausable this close after the first one are one group (see nextDue). */
export const DUE_GROUP_MS = 6000;

/**
 * The moment (after now) a queued run comes back for a candidate as last read becoming
 * pausable; undefined when none will by itself. Among those that become pausable within
 * DUE_GROUP_MS of the first, the run's `seed` picks one: a burst's queued runs all know the same
 * moments, and each coming for a different one is cheaper than all coming for the first (all
 * but one would look in vain). A run alone waits at most DUE_GROUP_MS longer.
 */
export function nextDue(maybeOurs: readonly string[], seen: Seen, now: number, seed = 0): number | undefined {
  const later = maybeOurs
    .map((id) => pausableAfter(seen.get(id)))
    .filter((t): t is number => t !== undefined && t > now)
    .sort((a, b) => a - b);
  const group = later.filter((t) => t <= (later[0] ?? 0) + DUE_GROUP_MS);
  return group.length ? group[seed % group.length] : undefined;
}

const pausableAfter = (c: Conversation | null | undefined): number | undefined => (c ? pausableFrom(c) : undefined);

/** How many sandboxes to pause to get below `limit`. */
export function roomNeeded(load: AccountLoad, limit: number): number {
  return Math.max(0, load.live + load.inFlight - limit + 1);
}

/** A queued run's look interval grows by half for each look that changed nothing, up to this factor. */
export const QUIET_GROWTH_MAX = 1.6;
/**
 * Runs woken by the same candidate's grace end come spread over this much: a burst's queued runs
 * all know the same moment, and 8 of them at once would pass the 10 requests a second
 * ([api: rate-limits]).
 */
export const DUE_SPREAD_MS = 8000;

/**
 * The wait before a queued run looks again: until the candidate it comes for becomes pausable
 * (plus up to DUE_SPREAD_MS); that moment is never more than the grace after the read that
 * told it, so a slot that frees itself meanwhile (another run cancelled, a person's pause) is
 * still seen within about a minute. With no such moment, the look interval, jittered ±30 %,
 * growing while looks change nothing, up to QUIET_GROWTH_MAX × intervalMs.
 */
export function queueWakeMs(o: { intervalMs: number; quietLooks: number; dueInMs?: number; random?: () => number }): number {
  const random = o.random ?? Math.random;
  if (o.dueInMs !== undefined) return Math.round(Math.max(500, Math.min(o.dueInMs, FINISHED_GRACE_MS) + DUE_SPREAD_MS * random()));
  return Math.round(Math.min(o.intervalMs * 1.5 ** o.quietLooks, o.intervalMs * QUIET_GROWTH_MAX) * (0.7 + 0.6 * random()));
}

/**
 * The account's sandbox cap, as one run can see it ([api: auto-pause], [api: route-age]). Runs cannot see each other,
 * but they can see the account's sandboxes and its in-flight start tasks: what is running or
 * starting now, and which running sandboxes belong to a conversation this action started whose
 * agent has finished (a pause loses nothing there: it resumes on demand). Pure logic; the
 * look-ups are in steps/act/queue.ts.
 */
import type { Sandbox } from './client.js';
import { isStale } from './start.js';
import { hexId, START_TERMINAL, type Conversation, type StartTask } from './types.js';

/** Sandbox statuses that hold a slot of the cap (a STARTING one turns RUNNING by itself). */
const LIVE = new Set(['RUNNING', 'STARTING']);

export interface AccountLoad {
  /** sandboxes running or starting */
  readonly live: number;
  /** start tasks in flight whose sandbox is not listed yet (a start in WORKING makes one soon) */
  readonly inFlight: number;
  /** starts under way: STARTING sandboxes and in-flight tasks (how many runs poll at once) */
  readonly starting: number;
  /** RUNNING sandboxes that may be ours (named like our conversations), oldest first */
  readonly maybeOurs: readonly string[];
}

export function accountLoad(sandboxes: readonly Sandbox[], tasks: readonly StartTask[] | undefined, now: number): AccountLoad {
  const listed = new Set(sandboxes.map((s) => s.id));
  const inFlight = (tasks ?? []).filter((t) => !START_TERMINAL.has(t.status) && !isStale(t, now) && !(t.sandbox_id && listed.has(t.sandbox_id)));
  const running = sandboxes.filter((s) => s.status === 'RUNNING').sort((a, b) => Date.parse(a.created_at ?? '') - Date.parse(b.created_at ?? ''));
  return {
    live: sandboxes.filter((s) => LIVE.has(s.status)).length,
    inFlight: inFlight.length,
    starting: sandboxes.filter((s) => s.status === 'STARTING').length + inFlight.length,
    maybeOurs: running.map((s) => s.id).filter(isDerivedId),
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
 * reading its answer (the final message comes from the running sandbox, [api: events]).
 */
export const FINISHED_GRACE_MS = 60_000;

/**
 * A conversation whose sandbox can be paused at no loss to make room: started through the API
 * with an id of ours (both from our start request), on its own sandbox (named after it, [api: errors]),
 * running, and its agent finished more than FINISHED_GRACE_MS ago (by `updated_at`). Never a
 * working agent, never a web-app conversation.
 */
export function pausableForRoom(c: Conversation, now: number): boolean {
  const id = hexId(c.id);
  const updated = Date.parse(c.updated_at ?? '');
  return (
    (c as { trigger?: unknown }).trigger === 'openhands_api' &&
    isDerivedId(id) &&
    hexId(c.sandbox_id) === id &&
    c.sandbox_status === 'RUNNING' &&
    c.execution_status === 'finished' &&
    Number.isFinite(updated) &&
    now - updated >= FINISHED_GRACE_MS
  );
}

/**
 * The sandboxes to pause to get below `limit`. Runs of a burst that look at the same moment see
 * the same candidates: each takes them in its own order (from `seed`, e.g. its conversation id),
 * so two runs rarely pause the same one and both start on one freed slot.
 */
export function roomToMake(load: AccountLoad, limit: number, conversations: readonly (Conversation | null)[], now: number, seed = 0): string[] {
  const need = load.live + load.inFlight - limit + 1;
  if (need <= 0) return [];
  const ids = conversations
    .filter((c): c is Conversation => c !== null && pausableForRoom(c, now))
    .sort((a, b) => Date.parse(a.updated_at ?? '') - Date.parse(b.updated_at ?? ''))
    .map((c) => hexId(c.id));
  const from = ids.length ? seed % ids.length : 0;
  return [...ids.slice(from), ...ids.slice(0, from)].slice(0, need);
}

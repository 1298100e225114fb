/**
 * Starting a conversation exactly once per run, and polling its start task to READY.
 *
 * The start is the plain POST, which hands the work to a background task on the server: a
 * dropped connection cannot cancel it (the streaming route runs the start inside its response
 * and dies with the connection). We propose the conversation id (see conversationIdFor), so
 * after an ambiguous failure we can ask the service whether the start went through before
 * sending it again: a run never pays for two conversations.
 */
import { createHash } from 'node:crypto';
import { CONVERSATION_ID_NAMESPACE } from '../constants.js';
import { DeadStartError, OpenHandsApiError, StartFailedError, TimeoutError } from '../errors.js';
import { backoffDelay, realSleep, type Sleep } from '../retry.js';
import type { OpenHandsClient } from './client.js';
import { hexId, START_TERMINAL, type StartRequest, type StartTask } from './types.js';

export interface StartDeps {
  readonly client: OpenHandsClient;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}

/** A name-based (v5) UUID, as 32 lowercase hex: the same run, repo and comment-key give the same id. */
export function conversationIdFor(parts: readonly string[]): string {
  const ns = Buffer.from(CONVERSATION_ID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(parts.join('\n')).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  return hash.subarray(0, 16).toString('hex');
}

export { hexId };

/** Whether the server took our proposed id (servers before 2025-11-26 ignore it and pick their own). */
export function echoesId(task: StartTask, proposed: string): boolean {
  return hexId(task.request?.conversation_id) === proposed;
}

/** Pages of recent start tasks the ambiguity search reads at most (100 each). */
const SEARCH_PAGES = 5;

/** The first text of a start request or of a task's echo of it. */
function requestText(r: unknown): string | undefined {
  const m = (r as { initial_message?: { content?: { text?: unknown }[] } } | null | undefined)?.initial_message;
  const text = m?.content?.[0]?.text;
  return typeof text === 'string' ? text : undefined;
}

/**
 * The start task this run already created for `conversationId`, if any (searches recent tasks).
 * A server that ignores proposed ids echoes none: there `same`, the run's own request, is
 * matched by repository and text instead (the text holds the run's own link, so it is unique).
 */
export async function findStartTask(client: OpenHandsClient, conversationId: string, since: Date, same?: StartRequest): Promise<StartTask | undefined> {
  const text = same ? requestText(same) : undefined;
  const isOurs = (t: StartTask): boolean =>
    echoesId(t, conversationId) ||
    hexId(t.app_conversation_id) === conversationId ||
    (text !== undefined && !t.request?.conversation_id && requestText(t.request) === text && (t.request as { selected_repository?: unknown })?.selected_repository === same?.selected_repository);
  let pageId: string | undefined;
  for (let page = 0; page < SEARCH_PAGES; page++) {
    const res = await client.searchStartTasks({ createdAfter: since, pageId });
    const found = res.items.find(isOurs);
    if (found || !res.nextPageId) return found;
    pageId = res.nextPageId;
  }
  return undefined;
}

const MAX_START_ATTEMPTS = 4;

export interface SendStartOptions {
  /** READY must come by then (epoch ms) */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** earliest creation time of a task this run may have created (for the ambiguity check) */
  readonly since: Date;
}

/**
 * Sends the start request once, and again only when the service surely did not take it: a 429,
 * or an ambiguous failure (reset, 5xx, timeout) after which the task is not found. Before giving
 * up, the task is looked for once more, so a start whose answer came late is reported, not lost.
 */
export async function sendStart(deps: StartDeps, body: StartRequest, opts: SendStartOptions): Promise<StartTask> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const lookUp = (): Promise<StartTask | undefined> => findStartTask(deps.client, body.conversation_id, opts.since, body);
  for (let attempt = 1; ; attempt++) {
    try {
      // The answer may not outlive the deadline; a late one is looked up below, not lost.
      return await deps.client.postStart(body, { timeoutMs: Math.max(1000, Math.min(30_000, opts.deadline - now())) });
    } catch (error) {
      if (deps.signal?.aborted) throw error;
      if (!(error instanceof OpenHandsApiError) || !error.transient) throw error;
      // 429 means "not processed"; anything else is ambiguous: look before sending again.
      if (error.status !== 429) {
        const found = await lookUp();
        if (found) {
          deps.log?.(`The start request failed ambiguously (${error.message}), but the start task exists: attaching`);
          return found;
        }
      }
      const waitMs = Math.max(
        backoffDelay(attempt, { attempts: MAX_START_ATTEMPTS, baseDelayMs: 500, maxDelayMs: 8000 }, deps.random),
        error.retryAfterMs ?? 0,
      );
      if (attempt >= MAX_START_ATTEMPTS || now() + waitMs > opts.deadline) {
        const late = error.status === 429 ? undefined : await lookUp();
        if (late) return late;
        if (attempt >= MAX_START_ATTEMPTS) throw error;
        throw new TimeoutError('The conversation becoming ready', 'ready-timeout', opts.timeoutMs);
      }
      deps.log?.(`The start request failed (${error.message}); trying again in ${(waitMs / 1000).toFixed(1)}s`);
      await sleep(waitMs, deps.signal);
    }
  }
}

/**
 * How long a start task may sit in each phase before it is dead. The server saves a task only
 * between phases, so `updated_at` stands still for a whole phase ([api: start-task]), and nothing sweeps a
 * start that was cancelled mid-way ([api: start]): a task past its phase's limit never moves again.
 * Each limit is the server's own bound for the phase plus a margin (BASE L414-416, L538-555;
 * LS L522, L985-990): sandbox wait 120 s; clone 120 s and three 30 s git steps; the setup script
 * 600 s (+5 s); conversation create 120 s. The runtime's /start (in WORKING) and skill loading
 * have no bound upstream: five minutes each is ours.
 */
export const PHASE_LIMIT_MS: Readonly<Record<string, number>> = {
  WORKING: 5 * 60_000,
  WAITING_FOR_SANDBOX: 4 * 60_000,
  PREPARING_REPOSITORY: 6 * 60_000,
  RUNNING_SETUP_SCRIPT: 12 * 60_000,
  SETTING_UP_GIT_HOOKS: 3 * 60_000,
  SETTING_UP_SKILLS: 5 * 60_000,
  STARTING_CONVERSATION: 4 * 60_000,
};

/** A phase this client does not know (the service adds some over time) gets the longest limit. */
const UNKNOWN_PHASE_LIMIT_MS = Math.max(...Object.values(PHASE_LIMIT_MS));

export function phaseLimitMs(status: string): number {
  return PHASE_LIMIT_MS[status] ?? UNKNOWN_PHASE_LIMIT_MS;
}

/** Whether a task has sat in its phase longer than the phase's limit (by its updated_at). */
export function isStale(task: StartTask, now: number): boolean {
  if (START_TERMINAL.has(task.status)) return false;
  const updated = Date.parse(task.updated_at ?? task.created_at ?? '');
  return Number.isFinite(updated) && now - updated > phaseLimitMs(task.status);
}

/** Start tasks still under way: neither READY nor ERROR, nor past their phase's limit (a lost start). */
export function startsUnderWay(tasks: readonly StartTask[], now: number): StartTask[] {
  return tasks.filter((t) => !START_TERMINAL.has(t.status) && !isStale(t, now));
}

/**
 * Start-task poll intervals by phase (ms). `alone`: no other start is under way on the account,
 * so READY is seen ~0.6 s after it happens and a 12 s start costs ~10 reads. `shared`: other
 * starts are under way (a burst), so the long phases (the sandbox boot, the clone, the setup
 * script: up to 120 s, 120 s and 600 s on the server, [api: start-task]), after which READY never comes
 * directly, are polled slowly, and only the short tail (git hooks, skills, the conversation
 * create) fast. `max`: the most an interval grows to while its phase lasts.
 */
const POLL: Readonly<Record<string, { alone: number; shared: number; max: number; long: boolean }>> = {
  WORKING: { alone: 1000, shared: 5000, max: 8000, long: true },
  WAITING_FOR_SANDBOX: { alone: 2500, shared: 10_000, max: 15_000, long: true },
  PREPARING_REPOSITORY: { alone: 1200, shared: 7000, max: 15_000, long: true },
  RUNNING_SETUP_SCRIPT: { alone: 1200, shared: 7000, max: 30_000, long: true },
  SETTING_UP_GIT_HOOKS: { alone: 1200, shared: 3000, max: 8000, long: false },
  SETTING_UP_SKILLS: { alone: 1200, shared: 3000, max: 8000, long: false },
  STARTING_CONVERSATION: { alone: 1200, shared: 2500, max: 8000, long: false },
};
const POLL_UNKNOWN = { alone: 1200, shared: 3000, max: 15_000, long: true };
/**
 * Up to this many starts under way on the account poll their long phases at the shared pace
 * (6 to 12 reads a minute each); more stretch them, so that together they stay near 30 a minute.
 */
export const CROWD_AT_FULL_PACE = 3;

/**
 * The next start-task poll, by phase and the time the task has been in it as we saw it: the
 * phase's interval, growing by a quarter of the time in the phase up to its cap (a setup script
 * that runs ten minutes is read every 30 s). `crowd`, the starts under way on the account when
 * this one was sent (this one included; 1 = alone or not looked at), picks the pace and
 * stretches the long phases beyond CROWD_AT_FULL_PACE, so a burst's polling does not grow with
 * its size (the 100 requests a minute are shared, [api: rate-limits]). `slowdown` grows after a 429. Jitter
 * of ±20 % keeps the runs of a burst out of step.
 */
export function startPollDelay(status: string, inPhaseMs: number, random: () => number = Math.random, slowdown = 1, crowd = 1): number {
  const p = POLL[status] ?? POLL_UNKNOWN;
  const base = crowd > 1 ? p.shared : p.alone;
  const grown = Math.min(p.max, Math.max(base, inPhaseMs / 4)) * (p.long ? Math.max(1, crowd / CROWD_AT_FULL_PACE) : 1);
  return Math.round(Math.min(grown, p.long ? 30_000 : p.max) * slowdown * (0.8 + 0.4 * random()));
}

/** How far back a poll through the account's starts looks (the first look before the start looks as far). */
const RECENT_STARTS_MS = 10 * 60_000;

/**
 * Reads the task once. With `account`, through the search of the account's recent start tasks:
 * the same one request as the read by id, and it also says how many starts are under way now
 * (every run of a burst sees the others, also those that began after it), so the pace follows
 * the burst as it grows and shrinks. Beyond the search's first page (100 starts in ten minutes),
 * by id.
 */
export async function readStartTask(client: OpenHandsClient, task: StartTask, now: number, account: boolean): Promise<{ task: StartTask | null | undefined; crowd?: number; fastestMs?: number }> {
  if (account) {
    const created = Date.parse(task.created_at ?? '');
    const since = Math.min(now - RECENT_STARTS_MS, Number.isFinite(created) ? created - 1000 : now);
    const page = await client.searchStartTasks({ createdAfter: new Date(since) });
    const found = page.items.find((t) => t.id === task.id);
    if (found) return { task: found, crowd: crowdOf(page.items, task.id, now), fastestMs: fastestStart(page.items, task.id) };
  }
  const [next] = await client.getStartTasks([task.id]);
  return { task: next };
}

/** How long the fastest of the account's other recent starts took from its creation to READY; undefined when none is READY. */
export function fastestStart(tasks: readonly StartTask[], ownId: string): number | undefined {
  const took = tasks
    .filter((t) => t.id !== ownId && t.status === 'READY')
    .map((t) => Date.parse(t.updated_at ?? '') - Date.parse(t.created_at ?? ''))
    .filter((ms) => Number.isFinite(ms) && ms > 0);
  return took.length ? Math.min(...took) : undefined;
}

/** A read meant to see READY comes this long after the moment READY is expected (the service's own save and our request). */
const READY_MARGIN_MS = 250;
/** The longest a start is left unread while READY is not expected: an early ERROR is seen at most this late. */
const EXPECTED_WAIT_MAX_MS = 60_000;

/**
 * In a burst, READY is not expected before the account's fastest recent start would have
 * reached it: the task is not read before then, whatever its phase, and then read once right
 * after. Starts on one account at one time are alike (same service, mostly the same
 * repository), so that one read usually sees READY; a start faster than all of them is seen late
 * by at most the difference, a slower one is read on at its phase's pace.
 */
export function readyNotBefore(createdAt: number, fastestMs: number): number {
  return createdAt + fastestMs + READY_MARGIN_MS;
}

/**
 * How many starts poll the account now, from its recent start tasks: those under way (this one
 * included), and at least 2 while other starts of the last ten minutes exist: a start that is
 * alone for the moment but follows others is the tail of a burst whose runs still spend the
 * same budget (READY checks, queues), so it keeps the shared pace.
 */
export function crowdOf(tasks: readonly StartTask[], ownId: string, now: number): number {
  const underWay = startsUnderWay(tasks, now).length;
  return Math.max(1, underWay, tasks.some((t) => t.id !== ownId) ? 2 : 1);
}

/** Polls the start task until READY or ERROR. Unknown statuses count as in progress. */
export async function waitForStartTask(
  deps: StartDeps,
  task: StartTask,
  opts: { deadline: number; timeoutMs: number; onTask: (t: StartTask) => void; crowd?: number | undefined; fastestMs?: number | undefined; account?: boolean },
): Promise<StartTask> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  let current = task;
  let phaseSince = now();
  let changedAt = now();
  let slowdown = 1;
  let crowd = opts.crowd;
  // Known before the first read when the run read the account's starts before it sent its own:
  // then even the first read waits until READY is expected.
  let fastestMs = opts.fastestMs;
  const created = Date.parse(task.created_at ?? '');
  while (!START_TERMINAL.has(current.status)) {
    const remaining = opts.deadline - now();
    if (remaining <= 0) throw new TimeoutError('The conversation becoming ready', 'ready-timeout', opts.timeoutMs);
    // Past its phase's limit, as we saw it or as the server's updated_at says (a re-attached task).
    if (now() - changedAt > phaseLimitMs(current.status) || isStale(current, now())) throw new DeadStartError(current, phaseLimitMs(current.status));
    // A slow poll still comes soon after the phase's limit passes, so a dead start is called promptly.
    const untilStale = Math.max(1000, phaseLimitMs(current.status) - (now() - changedAt) + 1000);
    let delay = startPollDelay(current.status, now() - phaseSince, deps.random, slowdown, crowd);
    const expected = fastestMs !== undefined && (crowd ?? 1) > 1 && Number.isFinite(created) ? readyNotBefore(created, fastestMs) : undefined;
    if (expected !== undefined && now() < expected && slowdown === 1) delay = Math.min(EXPECTED_WAIT_MAX_MS, expected - now());
    await sleep(Math.min(delay, remaining, untilStale), deps.signal);
    let next: StartTask | null | undefined;
    try {
      const read = await readStartTask(deps.client, current, now(), opts.account ?? false);
      next = read.task;
      crowd = read.crowd ?? crowd;
      fastestMs = read.fastestMs ?? fastestMs;
    } catch (error) {
      // The client already retried with backoff; a 429 means the account is busy: poll slower.
      if (!(error instanceof OpenHandsApiError) || error.status !== 429) throw error;
      slowdown = Math.min(slowdown * 2, 8);
      continue;
    }
    if (!next) continue; // not visible yet: keep asking until the deadline
    if (next.status !== current.status) phaseSince = now();
    if (next.status !== current.status || next.updated_at !== current.updated_at) {
      changedAt = now();
      opts.onTask(next);
    }
    current = next;
  }
  return current;
}


/** Throws the service's own explanation for a start task in ERROR. */
export function assertReady(task: StartTask): void {
  if (task.status === 'ERROR') throw new StartFailedError(task.detail || 'no detail given');
}

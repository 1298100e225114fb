/**
 * Act, before a start: the account's sandbox cap as a limit of its own ([api: auto-pause], [api: route-age]). Beyond
 * `max-sandboxes` running or starting sandboxes, a start would make the service pause the
 * account's OLDEST running sandbox, whoever's agent works there. So the run looks first; when
 * the account is full it makes room by pausing sandboxes of conversations this action started
 * whose agent has finished (they resume on demand), else waits in a visible queue, for at most
 * ready-timeout, and starts as soon as a slot is free.
 */
import * as core from '@actions/core';
import { INPUT } from '../../constants.js';
import { getErrorMessage, TimeoutError } from '../../errors.js';
import { accountLoad, candidatesFrom, dueForRoom, nextDue, pausableNotBefore, queueWakeMs, roomNeeded, type AccountLoad } from '../../openhands/capacity.js';
import { queuedLine } from '../../report.js';
import type { Sandbox } from '../../openhands/client.js';
import type { StartTask } from '../../openhands/types.js';
import { log, type Session } from '../run.js';

/**
 * How often a queued run looks again when no remembered candidate's grace ends sooner (jittered,
 * growing while nothing changes, see queueWakeMs): every 25 s, or more often under a short
 * ready-timeout, so that it looks about 8 times at least.
 */
export function queueLookMs(readyTimeoutMs: number): number {
  return Math.min(25_000, Math.max(2000, readyTimeoutMs / 8));
}
/**
 * In-flight start tasks are read only when the sandboxes leave at most this many slots free, and
 * only at the first look: a start is invisible in the sandbox list only in its WORKING phase
 * (seconds, [api: start-task]), and the default max-sandboxes leaves that much room below the service's cap.
 */
const NEAR = 1;
/** Pages of sandboxes read at most (100 each). */
const PAGES = 3;

export interface Slot {
  /** starts under way on the account when this run got its slot, its own included */
  readonly crowd: number;
}

/**
 * Waits until the account has a free sandbox slot (or max-sandboxes is 0). A look reads the
 * sandboxes; when the account is full and some running sandbox may be ours, also the account's
 * recent conversations (one page: their status, and whether a sandbox is shared), and pauses
 * what can be paused at no loss. The run then sleeps until the first finished candidate's grace
 * ends, or the look interval, whichever comes first: no look in between can change anything.
 */
export async function waitForSlot(s: Session, proposedId: string): Promise<Slot> {
  const { run, reporter } = s;
  const limit = run.cfg.maxSandboxes;
  if (limit <= 0) return { crowd: 1 };
  const began = run.now();
  const seed = Number.parseInt(proposedId.slice(0, 8), 16) || 0;
  const paused: string[] = [];
  let shown = '';
  let queued = false;
  let quietLooks = 0;
  let before = '';
  for (let first = true; ; first = false) {
    const { load, sandboxes } = await look(s, limit, first);
    const room = roomNeeded(load, limit) > 0 ? await makeRoom(s, load, sandboxes, limit, seed) : { paused: [] };
    paused.push(...room.paused);
    const inUse = load.live + load.inFlight - room.paused.length;
    const free = inUse < limit;
    queued ||= !free;
    const waitedMs = queued ? run.now() - began : 0;
    const queue = { inUse, limit, waiting: !free, waitedMs, paused: [...paused] };
    if (free) {
      if (queued || paused.length) await reporter.update({ queue }, { force: true });
      return { crowd: load.starting + 1 };
    }
    const line = queuedLine(inUse, limit);
    if (line !== shown) {
      log(run, `${line} (max-sandboxes ${limit}): waiting for one to be free, at most ${Math.round(run.cfg.readyTimeoutMs / 1000)} s`);
      shown = line;
      await reporter.update({ queue }, { force: true });
    }
    const state = `${inUse}|${load.maybeOurs.join()}`;
    quietLooks = state === before ? quietLooks + 1 : 0;
    before = state;
    const next = queueWakeMs({ intervalMs: queueLookMs(run.cfg.readyTimeoutMs), quietLooks, dueInMs: room.nextAt === undefined ? undefined : room.nextAt - run.now() });
    if (run.now() - began + next > run.cfg.readyTimeoutMs) {
      await reporter.update({ queue: { ...queue, waiting: false } });
      throw new QueueTimeoutError(inUse, limit, run.now() - began);
    }
    await run.sleep(next, run.signal);
  }
}

/** The account's sandboxes, and its in-flight starts when they could decide whether a slot is free. */
async function look(s: Session, limit: number, first: boolean): Promise<{ load: AccountLoad; sandboxes: Sandbox[] }> {
  const sandboxes: Sandbox[] = [];
  let pageId: string | undefined;
  for (let page = 0; page < PAGES; page++) {
    const res = await s.client.searchSandboxes(pageId);
    sandboxes.push(...res.items);
    if (!res.nextPageId) break;
    pageId = res.nextPageId;
  }
  const live = sandboxes.filter((x) => x.status === 'RUNNING' || x.status === 'STARTING').length;
  let tasks: StartTask[] | undefined;
  const now = s.run.now();
  // A start still in WORKING has no sandbox to list yet ([api: start-task]): look at the tasks
  // when they decide whether this run may start (one slot left); on a full account they cannot.
  if (first && live + NEAR >= limit && live < limit) tasks = (await s.client.searchStartTasks({ createdAfter: new Date(now - 10 * 60_000) })).items;
  return { load: accountLoad(sandboxes, tasks, now), sandboxes };
}

/**
 * Pauses, to get below the limit, sandboxes of conversations this action started whose agent
 * finished more than the grace ago (they resume on demand), from one fresh read of a page of the
 * account's conversations created since the oldest candidate sandbox (their status, and whether
 * a sandbox is shared). No read while every candidate sandbox is younger than the grace: none
 * can be pausable yet. Returns what it paused, and when the next candidate may become pausable.
 */
async function makeRoom(s: Session, load: AccountLoad, sandboxes: readonly Sandbox[], limit: number, seed: number): Promise<{ paused: string[]; nextAt?: number }> {
  if (load.maybeOurs.length === 0) return { paused: [] };
  const made = sandboxes.filter((x) => load.maybeOurs.includes(x.id)).map((x) => Date.parse(x.created_at ?? ''));
  const oldest = made.every(Number.isFinite) ? Math.min(...made) : Number.NaN;
  const earliest = pausableNotBefore(made);
  if (earliest !== undefined && earliest > s.run.now()) return { paused: [], nextAt: earliest };
  // A conversation is made after its sandbox; a minute of margin for the clocks. No date: every conversation.
  const since = new Date(Number.isFinite(oldest) ? oldest - 60_000 : 0);
  const page = await s.client.searchConversations({ createdAfter: since, limit: 100 });
  const seen = candidatesFrom(load.maybeOurs, page.items);
  const paused: string[] = [];
  for (const id of dueForRoom(load.maybeOurs, seen, s.run.now(), seed)) {
    if (paused.length >= roomNeeded(load, limit)) break;
    if (await pauseForRoom(s, id)) paused.push(id);
  }
  return { paused, nextAt: nextDue(load.maybeOurs.filter((id) => !paused.includes(id)), seen, s.run.now()) };
}

/** Pauses a finished conversation's sandbox to make room. */
async function pauseForRoom(s: Session, sandboxId: string): Promise<boolean> {
  try {
    await s.client.pauseSandbox(sandboxId);
    log(s.run, `Paused the sandbox ${sandboxId} of a finished conversation this action started, to make room (it resumes on demand)`);
    return true;
  } catch (error) {
    core.warning(`Could not pause the sandbox ${sandboxId} to make room: ${s.run.secrets.redact(getErrorMessage(error))}`);
    return false;
  }
}

/** The queue's bound passed: the account stayed full. */
export class QueueTimeoutError extends TimeoutError {
  constructor(inUse: number, limit: number, waitedMs: number) {
    super(`A free sandbox (${queuedLine(inUse, limit)}, max-sandboxes ${limit})`, INPUT.readyTimeout, waitedMs);
    this.name = 'QueueTimeoutError';
  }
}

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
import { accountLoad, candidatesFrom, DUE_SPREAD_MS, dueForRoom, FINISHED_GRACE_MS, nextDue, queueWakeMs, roomNeeded, type AccountLoad } from '../../openhands/capacity.js';
import { queuedLine, type SandboxQueue } from '../../report.js';
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
 * At the first look, in-flight start tasks are read only when the sandboxes leave at most this
 * many slots free: a start is invisible in the sandbox list only in its WORKING phase (seconds,
 * [api: start-task]), and the default max-sandboxes leaves that much room below the service's
 * cap. A queued run reads them whenever it sees a free slot (see look).
 */
const NEAR = 1;
/**
 * A wake for a candidate's grace end skips the sandboxes while the last look is younger than
 * this: as long as a queued run may sleep towards such a moment anyway, so a slot that frees
 * itself (another run cancelled, a person's pause) is seen as soon as before.
 */
const LOOK_MAX_AGE_MS = FINISHED_GRACE_MS + DUE_SPREAD_MS;
/** Pages of sandboxes read at most (100 each). */
const PAGES = 3;

export interface Slot {
  /** starts under way on the account when this run got its slot, its own included */
  readonly crowd: number;
  /** how long the fastest of the account's recent starts took to READY, when the look read them */
  readonly fastestMs?: number;
}

/**
 * Waits until the account has a free sandbox slot (or max-sandboxes is 0). A look reads the
 * sandboxes; when the account is full and some running sandbox may be ours, also the account's
 * recent conversations (one page: their status, and whether a sandbox is shared), and pauses
 * what can be paused at no loss. The run then sleeps until the first finished candidate's grace
 * ends, or the look interval, whichever comes first: no look in between can change anything.
 *
 * A wake for a candidate's grace end reads only the conversations: the runs of a burst's queue
 * know the same moments, and when another one already paused what this run came for (and
 * nothing else is due), this run sleeps again after that one read; when it pauses one itself,
 * it starts in the slot it freed. It looks at the sandboxes again only when its last look is
 * older than LOOK_MAX_AGE_MS.
 */
export async function waitForSlot(s: Session, proposedId: string): Promise<Slot> {
  const { run, reporter } = s;
  const limit = run.cfg.maxSandboxes;
  if (limit <= 0) return { crowd: 1 };
  const began = run.now();
  const intervalMs = queueLookMs(run.cfg.readyTimeoutMs);
  const seed = Number.parseInt(proposedId.slice(0, 8), 16) || 0;
  const paused: string[] = [];
  let shown = '';
  let queued = false;
  let quietLooks = 0;
  let before = '';
  let last: { at: number; load: AccountLoad; sandboxes: readonly Sandbox[]; inUse: number } | undefined;
  let nextAt: number | undefined;
  const queue = (inUse: number, waiting: boolean): SandboxQueue => ({ inUse, limit, waiting, waitedMs: queued ? run.now() - began : 0, paused: [...paused] });
  const slot = (load: AccountLoad): Slot => ({ crowd: load.starting + 1, ...(load.fastestMs === undefined ? {} : { fastestMs: load.fastestMs }) });
  /** Sleeps until the next wake, or ends the queue when that would pass ready-timeout. */
  const sleep = async (inUse: number): Promise<void> => {
    const next = queueWakeMs({ intervalMs, quietLooks, dueInMs: nextAt === undefined ? undefined : nextAt - run.now() });
    if (run.now() - began + next > run.cfg.readyTimeoutMs) {
      await reporter.update({ queue: queue(inUse, false) });
      throw new QueueTimeoutError(inUse, limit, run.now() - began);
    }
    await run.sleep(next, run.signal);
  };
  for (let first = true; ; first = false) {
    if (last && nextAt !== undefined && run.now() - last.at < LOOK_MAX_AGE_MS) {
      const room = await makeRoom(s, last.load.maybeOurs, last.sandboxes, 1, seed);
      paused.push(...room.paused);
      nextAt = room.nextAt;
      const inUse = last.inUse - room.paused.length;
      if (room.paused.length === 0) {
        await sleep(inUse);
        continue;
      }
      if (inUse < limit) {
        // The slot this run freed is its own: it starts there (other queued runs each free theirs).
        await reporter.update({ queue: queue(inUse, false) }, { force: true });
        return slot(last.load);
      }
    }
    const { load, sandboxes } = await look(s, limit, first);
    const need = roomNeeded(load, limit);
    const room = need > 0 ? await makeRoom(s, load.maybeOurs, sandboxes, need, seed) : { paused: [] };
    paused.push(...room.paused);
    nextAt = room.nextAt;
    const inUse = load.live + load.inFlight - room.paused.length;
    last = { at: run.now(), load, sandboxes, inUse };
    const free = inUse < limit;
    queued ||= !free;
    if (free) {
      if (queued || paused.length) await reporter.update({ queue: queue(inUse, false) }, { force: true });
      return slot(load);
    }
    const line = queuedLine(inUse, limit);
    if (line !== shown) {
      log(run, `${line} (max-sandboxes ${limit}): waiting for one to be free, at most ${Math.round(run.cfg.readyTimeoutMs / 1000)} s`);
      shown = line;
      await reporter.update({ queue: queue(inUse, true) }, { force: true });
    }
    const state = `${inUse}|${load.maybeOurs.join()}`;
    quietLooks = state === before ? quietLooks + 1 : 0;
    before = state;
    await sleep(inUse);
  }
}

/**
 * The account's sandboxes, and its in-flight starts when they could decide whether a slot is
 * free: at the first look, and at each look of a queued run (the runs of a burst's queue wake at
 * the same moments: a slot one of them just freed is taken by its own start, invisible in the
 * sandbox list for the seconds of its WORKING phase).
 */
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
  if (live < limit && live + (first ? NEAR : limit) >= limit) tasks = (await s.client.searchStartTasks({ createdAfter: new Date(now - 10 * 60_000) })).items;
  return { load: accountLoad(sandboxes, tasks, now), sandboxes };
}

/**
 * Pauses, to get below the limit, sandboxes of conversations this action started whose agent
 * finished more than the grace ago (they resume on demand), from one fresh read of a page of the
 * account's conversations created since the oldest candidate sandbox (their status, and whether
 * a sandbox is shared). Returns what it paused, and when the next candidate becomes pausable.
 */
async function makeRoom(s: Session, maybeOurs: readonly string[], sandboxes: readonly Sandbox[], need: number, seed: number): Promise<{ paused: string[]; nextAt?: number }> {
  if (maybeOurs.length === 0) return { paused: [] };
  const made = sandboxes.filter((x) => maybeOurs.includes(x.id)).map((x) => Date.parse(x.created_at ?? ''));
  const oldest = made.every(Number.isFinite) ? Math.min(...made) : Number.NaN;
  // A conversation is made after its sandbox; a minute of margin for the clocks. No date: every conversation.
  const since = new Date(Number.isFinite(oldest) ? oldest - 60_000 : 0);
  const page = await s.client.searchConversations({ createdAfter: since, limit: 100 });
  const seen = candidatesFrom(maybeOurs, page.items);
  const paused: string[] = [];
  for (const id of dueForRoom(maybeOurs, seen, s.run.now(), seed)) {
    if (paused.length >= need) break;
    if (await pauseForRoom(s, id)) paused.push(id);
  }
  return { paused, nextAt: nextDue(maybeOurs.filter((id) => !paused.includes(id)), seen, s.run.now(), seed) };
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

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
import { accountLoad, roomToMake, type AccountLoad } from '../../openhands/capacity.js';
import { queuedLine } from '../../report.js';
import type { OpenHandsClient, Sandbox } from '../../openhands/client.js';
import type { StartTask } from '../../openhands/types.js';
import { log, type Session } from '../run.js';

/**
 * How often a queued run looks again (jittered): every 25 s (1–2 requests a look, a few a
 * minute), or more often under a short ready-timeout, so that it looks about 8 times at least.
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

/** Waits until the account has a free sandbox slot (or max-sandboxes is 0). */
export async function waitForSlot(s: Session, proposedId: string): Promise<Slot> {
  const { run, reporter, client } = s;
  const limit = run.cfg.maxSandboxes;
  if (limit <= 0) return { crowd: 1 };
  const began = run.now();
  const paused: string[] = [];
  let shown = '';
  let queued = false;
  for (let first = true; ; first = false) {
    const load = await look(client, limit, run.now(), first);
    const toPause = load.live + load.inFlight >= limit ? await room(s, load, limit, Number.parseInt(proposedId.slice(0, 8), 16) || 0) : [];
    for (const id of toPause) {
      if (await pauseForRoom(s, id)) paused.push(id);
    }
    const inUse = load.live + load.inFlight - paused.filter((id) => toPause.includes(id)).length;
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
    const next = Math.round(queueLookMs(run.cfg.readyTimeoutMs) * (0.7 + 0.6 * Math.random()));
    if (run.now() - began + next > run.cfg.readyTimeoutMs) {
      await reporter.update({ queue: { ...queue, waiting: false } });
      throw new QueueTimeoutError(inUse, limit, run.now() - began);
    }
    await run.sleep(next, run.signal);
  }
}

/** The account's sandboxes, and its in-flight starts when the sandboxes alone leave little room. */
async function look(client: OpenHandsClient, limit: number, now: number, first: boolean): Promise<AccountLoad> {
  const sandboxes: Sandbox[] = [];
  let pageId: string | undefined;
  for (let page = 0; page < PAGES; page++) {
    const res = await client.searchSandboxes(pageId);
    sandboxes.push(...res.items);
    if (!res.nextPageId) break;
    pageId = res.nextPageId;
  }
  const live = sandboxes.filter((x) => x.status === 'RUNNING' || x.status === 'STARTING').length;
  let tasks: StartTask[] | undefined;
  // A start still in WORKING has no sandbox to list yet ([api: start-task]): look at the tasks when it matters.
  if (first && live + NEAR >= limit) tasks = (await client.searchStartTasks({ createdAfter: new Date(now - 10 * 60_000) })).items;
  return accountLoad(sandboxes, tasks, now);
}

/** Which running sandboxes can be paused at no loss (this action's, agent finished). */
async function room(s: Session, load: AccountLoad, limit: number, seed: number): Promise<string[]> {
  if (load.maybeOurs.length === 0) return [];
  const conversations = await s.client.getConversations(load.maybeOurs.slice(0, 99));
  return roomToMake(load, limit, conversations, s.run.now(), seed);
}

/** Pauses a finished conversation's sandbox unless another conversation shares it ([api: errors]). */
async function pauseForRoom(s: Session, sandboxId: string): Promise<boolean> {
  try {
    if ((await s.client.countConversations({ sandboxId })) > 1) return false;
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

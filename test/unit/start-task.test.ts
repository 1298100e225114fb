// The start task (src/openhands/start.ts): the id we propose, how often a start is polled alone
// and in a burst, when a start is dead, and finding a start whose answer was lost.
import { describe, expect, it, vi } from 'vitest';
import { DeadStartError } from '../../src/errors.ts';
import type { OpenHandsClient as Client } from '../../src/openhands/client.ts';
import { conversationIdFor, crowdOf, echoesId, fastestStart, findStartTask, isStale, phaseLimitMs, readyNotBefore, startPollDelay, waitForStartTask } from '../../src/openhands/start.ts';
import type { StartTask } from '../../src/openhands/types.ts';

vi.mock('@actions/core', () => ({ warning: () => {}, info: () => {}, debug: () => {} }));

/** WAITING_FOR_SANDBOX's limit: the server's 120 s sandbox wait plus a margin ([api: start-task]) */
const STALE_START_MS = phaseLimitMs('WAITING_FOR_SANDBOX');
const T0 = Date.parse('2026-12-01T10:00:00Z');

/** A clock that only moves when the code sleeps. */
function clock() {
  let t = T0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('conversationIdFor', () => {
  it('is a stable v5 UUID in 32 lowercase hex', () => {
    const a = conversationIdFor(['o/r', '123', 'key', '4']);
    expect(a).toMatch(/^[0-9a-f]{12}5[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(conversationIdFor(['o/r', '123', 'key', '4'])).toBe(a);
    expect(conversationIdFor(['o/r', '124', 'key', '4'])).not.toBe(a);
  });
});

describe('the proposed id', () => {
  it('the proposed id counts only when the server echoes it (dashed in the echo)', () => {
    const id = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
    expect(echoesId({ id: 't', status: 'WORKING', request: { conversation_id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' } } as StartTask, id)).toBe(true);
    expect(echoesId({ id: 't', status: 'WORKING', request: {} } as StartTask, id)).toBe(false);
    expect(echoesId({ id: 't', status: 'WORKING' } as StartTask, id)).toBe(false);
  });
});

describe('poll schedules', () => {
  it('start-task polling alone on the account: fast, READY seen within ~1.2 s, slower the longer a phase lasts', () => {
    const mid = () => 0.5; // no jitter
    expect(startPollDelay('WORKING', 0, mid)).toBe(1000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 5000, mid)).toBe(2500);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid)).toBe(1200);
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid)).toBe(1200);
    // a setup script may run 10 minutes ([api: start-task]): a quarter of the time in the phase, at most 30 s
    expect(startPollDelay('RUNNING_SETUP_SCRIPT', 60_000, mid)).toBe(15_000);
    expect(startPollDelay('RUNNING_SETUP_SCRIPT', 600_000, mid)).toBe(30_000);
    expect(startPollDelay('STARTING_CONVERSATION', 600_000, mid)).toBe(8000);
    // a 429 slows every phase; jitter keeps concurrent runs out of step, within ±20 %
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid, 4)).toBe(4800);
    expect(startPollDelay('STARTING_CONVERSATION', 0, () => 0)).toBe(960);
    expect(startPollDelay('STARTING_CONVERSATION', 0, () => 1)).toBe(1440);
    // A 12 s start (the sandbox boots for the first 5.4 s) costs at most 10 requests, the POST included.
    let t12 = 0;
    let polls = 0;
    let [seen, since] = ['WORKING', 0];
    while (t12 < 12_000) {
      t12 += startPollDelay(seen, t12 - since, mid);
      polls++;
      const now = t12 < 600 ? 'WORKING' : t12 < 5400 ? 'WAITING_FOR_SANDBOX' : 'PREPARING_REPOSITORY';
      if (now !== seen) [seen, since] = [now, t12];
    }
    expect(1 + polls).toBeLessThanOrEqual(10);
  });

  it('start-task polling in a burst: slow in the long phases, fast in the short tail, stretched by the crowd', () => {
    const mid = () => 0.5;
    expect(startPollDelay('WORKING', 0, mid, 1, 2)).toBe(5000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 2)).toBe(10_000);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid, 1, 3)).toBe(7000);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid, 1, 6)).toBe(14_000);
    expect(startPollDelay('SETTING_UP_SKILLS', 0, mid, 1, 2)).toBe(3000);
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid, 1, 12)).toBe(2500);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 12)).toBe(30_000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 40)).toBe(30_000);
    expect(startPollDelay('SOMETHING_NEW', 0, mid, 1, 2)).toBe(3000); // an unknown phase: a long one
    // A 30 s start (sandbox boot to 13.5 s, clone and setup script to 24 s, the tail after), with
    // 3 starts under way, costs at most 5 polls, and the poll that sees READY comes within 3 s.
    const phaseAt = (t: number): string =>
      t < 1500 ? 'WORKING' : t < 13_500 ? 'WAITING_FOR_SANDBOX' : t < 19_500 ? 'PREPARING_REPOSITORY' : t < 24_000 ? 'RUNNING_SETUP_SCRIPT' : t < 25_500 ? 'SETTING_UP_GIT_HOOKS' : t < 28_500 ? 'SETTING_UP_SKILLS' : t < 30_000 ? 'STARTING_CONVERSATION' : 'READY';
    let t = 0;
    let polls = 0;
    let [seen, since] = ['WORKING', 0];
    while (seen !== 'READY') {
      t += startPollDelay(seen, t - since, mid, 1, 3);
      polls++;
      if (phaseAt(t) !== seen) [seen, since] = [phaseAt(t), t];
    }
    expect(polls).toBeLessThanOrEqual(5);
    expect(t - 30_000).toBeLessThanOrEqual(3000);
  });
});

describe("a burst's start polling follows the account's starts", () => {
  const mine = (status: string): StartTask => ({ id: 'mine', status, created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString() }) as StartTask;
  const other = (i: number, status = 'WAITING_FOR_SANDBOX'): StartTask => ({ id: `o${i}`, status, created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString() }) as StartTask;

  it('reads its task through the search of recent starts (one request, as by id), and slows down as others start', async () => {
    const c = clock();
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      await c.sleep(ms);
    };
    let n = 0;
    // alone for two reads, then seven other starts under way (one READY and one ERROR do not count), then READY
    const searchStartTasks = vi.fn(async () => {
      n++;
      const others = n > 2 ? [...Array.from({ length: 7 }, (_, i) => other(i)), other(8, 'READY'), other(9, 'ERROR')] : [];
      return { items: [mine(n < 6 ? 'WAITING_FOR_SANDBOX' : 'READY'), ...others], nextPageId: null };
    });
    const getStartTasks = vi.fn();
    const ready = await waitForStartTask({ client: { searchStartTasks, getStartTasks } as unknown as Client, now: c.now, sleep, random: () => 0.5 }, mine('WAITING_FOR_SANDBOX'), {
      deadline: T0 + 3600_000,
      timeoutMs: 3600_000,
      onTask: () => {},
      account: true,
    });
    expect(ready.status).toBe('READY');
    expect(getStartTasks).not.toHaveBeenCalled();
    expect(searchStartTasks).toHaveBeenCalledTimes(6);
    // alone: the sandbox wait is read every 2.5 s; with 8 starts under way, at the shared pace stretched × 2
    expect(sleeps.slice(0, 3)).toEqual([2500, 2500, 2500]);
    expect(Math.min(...sleeps.slice(3))).toBeGreaterThanOrEqual(20_000);
  });

  it('counts the starts under way, and keeps the shared pace for the tail of a burst (others started in the last minutes)', () => {
    expect(crowdOf([mine('WAITING_FOR_SANDBOX')], 'mine', T0)).toBe(1); // alone on the account: the fast pace
    expect(crowdOf([mine('WAITING_FOR_SANDBOX'), other(1), other(2, 'PREPARING_REPOSITORY')], 'mine', T0)).toBe(3);
    expect(crowdOf([mine('WAITING_FOR_SANDBOX'), other(1, 'READY'), other(2, 'ERROR')], 'mine', T0)).toBe(2);
    // a start lost long ago (past its phase limit) is not under way
    expect(crowdOf([mine('WAITING_FOR_SANDBOX'), other(1), other(2)], 'mine', T0 + STALE_START_MS + 1000)).toBe(2);
  });

  it('in a burst, the task is not read again before the fastest recent start would have been READY, and then read once right after', async () => {
    expect(fastestStart([mine('WAITING_FOR_SANDBOX'), other(1, 'READY'), { ...other(2, 'READY'), updated_at: new Date(T0 + 30_000).toISOString() }, other(3)], 'mine')).toBe(30_000);
    expect(fastestStart([mine('READY'), other(1, 'ERROR')], 'mine')).toBeUndefined();
    expect(readyNotBefore(T0, 30_000)).toBe(T0 + 30_250);
    expect(readyNotBefore(T0, 12_000)).toBe(T0 + 12_250);

    const c = clock();
    const reads: number[] = [];
    // one earlier start took 30 s; another is under way; this one is READY at 30 s
    const done = { ...other(8, 'READY'), created_at: new Date(T0 - 60_000).toISOString(), updated_at: new Date(T0 - 30_000).toISOString() };
    const searchStartTasks = vi.fn(async () => {
      const t = c.now() - T0;
      reads.push(t);
      const status = t < 13_000 ? 'WAITING_FOR_SANDBOX' : t < 24_000 ? 'PREPARING_REPOSITORY' : t < 30_000 ? 'SETTING_UP_SKILLS' : 'READY';
      return { items: [mine(status), other(1), done], nextPageId: null };
    });
    const ready = await waitForStartTask({ client: { searchStartTasks } as unknown as Client, ...c, random: () => 0.5 }, mine('WORKING'), { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {}, crowd: 3, account: true });
    expect(ready.status).toBe('READY');
    // the first read at the shared pace, then right after 30 s, when the fastest was READY: it is
    expect(reads).toEqual([5000, 30_250]);

    // Known before the start (a queued run read the account's starts before it took its slot): no read at 5 s.
    reads.length = 0;
    const c2 = clock();
    const again = await waitForStartTask(
      { client: { searchStartTasks: vi.fn(async () => { const t = c2.now() - T0; reads.push(t); return { items: [mine(t < 30_000 ? 'SETTING_UP_SKILLS' : 'READY'), other(1), done], nextPageId: null }; }) } as unknown as Client, ...c2, random: () => 0.5 },
      mine('WORKING'),
      { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {}, crowd: 3, fastestMs: 30_000, account: true },
    );
    expect(again.status).toBe('READY');
    expect(reads).toEqual([30_250]);

    // A start slower than the fastest: read on at its phase's pace (the tail: ~3 s), not late by a long phase's 10 s.
    reads.length = 0;
    const c3 = clock();
    await waitForStartTask(
      { client: { searchStartTasks: vi.fn(async () => { const t = c3.now() - T0; reads.push(t); return { items: [mine(t < 36_000 ? 'SETTING_UP_SKILLS' : 'READY'), other(1), done], nextPageId: null }; }) } as unknown as Client, ...c3, random: () => 0.5 },
      mine('WORKING'),
      { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {}, crowd: 3, fastestMs: 30_000, account: true },
    );
    expect(reads).toEqual([30_250, 33_250, 36_250]);
  });

  it('a task beyond the first page of recent starts is read by id', async () => {
    const c = clock();
    const searchStartTasks = vi.fn(async () => ({ items: Array.from({ length: 100 }, (_, i) => other(i)), nextPageId: '100' }));
    const getStartTasks = vi.fn(async () => [mine('READY')]);
    const ready = await waitForStartTask({ client: { searchStartTasks, getStartTasks } as unknown as Client, ...c }, mine('WAITING_FOR_SANDBOX'), {
      deadline: T0 + 3600_000,
      timeoutMs: 3600_000,
      onTask: () => {},
      account: true,
    });
    expect(ready.status).toBe('READY');
    expect(getStartTasks).toHaveBeenCalledTimes(1);
  });
});

describe('stale start tasks', () => {
  it('a start task that has sat in its phase past the phase limit is stale; a finished one never is', () => {
    const task = (status: string, ageMs: number): StartTask => ({ id: 't', status, updated_at: new Date(1e12 - ageMs).toISOString() }) as StartTask;
    expect(isStale(task('WAITING_FOR_SANDBOX', STALE_START_MS + 1000), 1e12)).toBe(true);
    expect(isStale(task('WAITING_FOR_SANDBOX', STALE_START_MS - 1000), 1e12)).toBe(false);
    expect(isStale(task('READY', STALE_START_MS * 10), 1e12)).toBe(false);
    expect(isStale(task('ERROR', STALE_START_MS * 10), 1e12)).toBe(false);
  });
});

describe('dead start tasks', () => {
  const task = (over: Partial<StartTask> = {}): StartTask => ({ id: 't1', status: 'WAITING_FOR_SANDBOX', updated_at: new Date(T0).toISOString(), ...over }) as StartTask;

  it('a task whose updated_at is older than its phase limit is dead at the first poll (a re-attached task that stopped)', async () => {
    const c = clock();
    const stale = task({ updated_at: new Date(T0 - STALE_START_MS - 1000).toISOString() });
    const client = { getStartTasks: vi.fn(async () => [stale]) } as unknown as Client;
    const err = await waitForStartTask({ client, ...c }, task(), { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadStartError);
    expect((err as Error).message).toMatch(/has been at WAITING_FOR_SANDBOX for over 4 minutes without a change/);
    expect(client.getStartTasks).toHaveBeenCalledTimes(1);
  });

  it('a task that keeps its state and updated_at for its phase limit as we watch is dead; one that moves is not', async () => {
    const c = clock();
    const still = task();
    const client = { getStartTasks: vi.fn(async () => [still]) } as unknown as Client;
    const err = await waitForStartTask({ client, ...c, random: () => 0.5 }, still, { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadStartError);
    expect(c.now() - T0).toBeGreaterThan(STALE_START_MS);
    expect(c.now() - T0).toBeLessThan(STALE_START_MS + 10_000);

    const c2 = clock();
    let n = 0;
    const moving = { getStartTasks: vi.fn(async () => [++n < 5 ? task({ updated_at: new Date(c2.now()).toISOString() }) : task({ status: 'READY', app_conversation_id: 'c'.repeat(32) })]) } as unknown as Client;
    const ready = await waitForStartTask({ client: moving, ...c2 }, task(), { deadline: T0 + 3600_000, timeoutMs: 3600_000, onTask: () => {} });
    expect(ready.status).toBe('READY');
  });
});

describe('a lost answer', () => {
  it('the ambiguity search follows next_page_id until it finds the task, and stops at the last page', async () => {
    const id = 'a'.repeat(32);
    const other = (i: number) => ({ id: `o${i}`, status: 'WORKING', request: { conversation_id: null } });
    const pages = [
      { items: Array.from({ length: 100 }, (_, i) => other(i)), nextPageId: '100' },
      { items: [other(100), { id: 'mine', status: 'WORKING', request: { conversation_id: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa' } }], nextPageId: null },
    ];
    const searchStartTasks = vi.fn(async ({ pageId }: { pageId?: string }) => pages[pageId ? 1 : 0]);
    const found = await findStartTask({ searchStartTasks } as unknown as Client, id, new Date(T0));
    expect(found?.id).toBe('mine');
    expect(searchStartTasks.mock.calls.map((a) => a[0].pageId)).toEqual([undefined, '100']);
    const none = await findStartTask({ searchStartTasks } as unknown as Client, 'b'.repeat(32), new Date(T0));
    expect(none).toBeUndefined();
    expect(searchStartTasks).toHaveBeenCalledTimes(4);
  });
});

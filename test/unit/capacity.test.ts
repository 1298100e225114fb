import { describe, expect, it } from 'vitest';
import { accountLoad, candidatesFrom, DUE_GROUP_MS, dueForRoom, DUE_SPREAD_MS, FINISHED_GRACE_MS, isDerivedId, nextDue, queueWakeMs, QUIET_GROWTH_MAX, roomNeeded } from '../../src/openhands/capacity.ts';
import type { Sandbox } from '../../src/openhands/client.ts';
import { conversationIdFor } from '../../src/openhands/start.ts';
import type { Conversation, StartTask } from '../../src/openhands/types.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const at = (minAgo: number): string => new Date(NOW - minAgo * 60_000).toISOString();
const ours = (n: number): string => conversationIdFor(['o/r', String(n)]);
const v4 = '0123456789ab4def8123456789abcdef';
/** Whether the queue would pause this conversation now, as dueForRoom (its one user in src/) decides it. */
const pausableForRoom = (c: Conversation, now: number): boolean => dueForRoom([c.id], new Map([[c.id, c]]), now).length === 1;
const sb = (id: string, status: string, minAgo = 5): Sandbox => ({ id, status, created_at: at(minAgo) });
const task = (status: string, sandbox: string | null, minAgo = 0): StartTask => ({ id: `t${Math.random()}`, status, sandbox_id: sandbox, created_at: at(minAgo), updated_at: at(minAgo) }) as StartTask;
const conv = (id: string, o: Partial<Conversation> & { trigger?: string | null } = {}): Conversation =>
  ({ id, sandbox_id: id, sandbox_status: 'RUNNING', execution_status: 'finished', trigger: 'openhands_api', updated_at: at(2), ...o }) as Conversation;

describe('accountLoad ([api: auto-pause], [api: route-age])', () => {
  it('counts running and starting sandboxes, and starts in flight whose sandbox is not listed yet', () => {
    const load = accountLoad(
      [sb(ours(1), 'RUNNING', 9), sb(v4, 'RUNNING', 20), sb(ours(2), 'STARTING'), sb(ours(3), 'PAUSED'), sb('gone', 'MISSING')],
      [task('WORKING', null), task('WAITING_FOR_SANDBOX', ours(2)), task('READY', ours(1)), task('ERROR', null), task('WORKING', null, 30)],
      NOW,
    );
    // the WORKING task of 30 minutes ago is stale: the service lost it (start.ts isStale)
    expect(load).toEqual({ live: 3, inFlight: 1, starting: 2, maybeOurs: [ours(1)] });
  });

  it('counts as starting every start under way, also one whose sandbox already runs (clone, setup script)', () => {
    const load = accountLoad(
      [sb(ours(1), 'RUNNING', 1), sb(ours(2), 'RUNNING', 1), sb(ours(3), 'RUNNING', 9)],
      [task('PREPARING_REPOSITORY', ours(1)), task('RUNNING_SETUP_SCRIPT', ours(2)), task('READY', ours(3), 8), task('WORKING', null)],
      NOW,
    );
    expect(load).toMatchObject({ live: 3, inFlight: 1, starting: 3 });
  });

  it("carries how long the account's fastest recent start took, when the tasks were read", () => {
    const took30s = { ...task('READY', ours(3), 8), updated_at: new Date(NOW - 8 * 60_000 + 30_000).toISOString() };
    expect(accountLoad([sb(ours(3), 'RUNNING', 9)], [took30s, task('WORKING', null)], NOW).fastestMs).toBe(30_000);
    expect(accountLoad([sb(ours(3), 'RUNNING', 9)], [task('WORKING', null)], NOW).fastestMs).toBeUndefined();
    expect(accountLoad([sb(ours(3), 'RUNNING', 9)], undefined, NOW).fastestMs).toBeUndefined();
  });

  it('without the task list, only the sandboxes count', () => {
    expect(accountLoad([sb(ours(1), 'RUNNING')], undefined, NOW)).toMatchObject({ live: 1, inFlight: 0, starting: 0 });
  });

  it('lists the running sandboxes named like our conversations, oldest first', () => {
    const load = accountLoad([sb(ours(1), 'RUNNING', 1), sb(ours(2), 'RUNNING', 9), sb(v4, 'RUNNING', 30), sb(ours(3), 'STARTING')], [], NOW);
    expect(load.maybeOurs).toEqual([ours(2), ours(1)]);
  });
});

describe('what may be paused to make room', () => {
  it('only a finished agent of a conversation this action started, on its own running sandbox', () => {
    expect(isDerivedId(ours(1))).toBe(true);
    expect(isDerivedId(v4)).toBe(false);
    expect(pausableForRoom(conv(ours(1)), NOW)).toBe(true);
    // finished only just now: the run that follows it may still be reading its answer
    expect(pausableForRoom(conv(ours(1), { updated_at: at(0.5) }), NOW)).toBe(false);
    expect(pausableForRoom(conv(ours(1), { updated_at: null }), NOW)).toBe(false);
    expect(pausableForRoom(conv(ours(1), { execution_status: 'running' }), NOW)).toBe(false); // a working agent
    expect(pausableForRoom(conv(ours(1), { execution_status: 'idle' }), NOW)).toBe(false);
    expect(pausableForRoom(conv(ours(1), { trigger: null }), NOW)).toBe(false); // not started through the API
    expect(pausableForRoom(conv(v4), NOW)).toBe(false); // the web app's random id
    expect(pausableForRoom(conv(ours(1), { sandbox_id: 'SharedSandbox123' }), NOW)).toBe(false); // a shared sandbox ([api: errors])
    expect(pausableForRoom(conv(ours(1), { sandbox_status: 'PAUSED' }), NOW)).toBe(false);
  });

  it('pauses just enough to get below the limit, the longest-finished first, each run in its own order', () => {
    const load = { live: 10, inFlight: 1, starting: 1, maybeOurs: [] };
    expect(roomNeeded(load, 10)).toBe(2);
    expect(roomNeeded({ ...load, live: 8, inFlight: 0 }, 10)).toBe(0);
    expect(roomNeeded({ ...load, live: 9, inFlight: 0 }, 10)).toBe(0);
    expect(roomNeeded({ ...load, live: 10, inFlight: 0 }, 10)).toBe(1);
    const seen = new Map([
      [ours(1), conv(ours(1), { updated_at: at(2) })],
      [ours(5), conv(ours(5), { updated_at: at(0.2) })],
      [ours(6), null],
      [ours(2), conv(ours(2), { updated_at: at(30) })],
      [ours(3), conv(ours(3), { updated_at: at(10) })],
      [ours(4), conv(ours(4), { execution_status: 'running', updated_at: at(60) })],
    ]);
    const ids = [ours(1), ours(2), ours(3), ours(4), ours(5), ours(6), ours(7)];
    expect(dueForRoom(ids, seen, NOW)).toEqual([ours(2), ours(3), ours(1)]);
    // another run of the burst, another order: rarely the same sandbox for two runs
    expect(dueForRoom(ids, seen, NOW, 1)).toEqual([ours(3), ours(1), ours(2)]);
    // only the sandboxes still running count (the look lists them)
    expect(dueForRoom([ours(1), ours(5)], seen, NOW)).toEqual([ours(1)]);
  });
});

describe('what a queued run reads, and when it looks again', () => {
  const seen = new Map([
    [ours(1), conv(ours(1), { updated_at: at(0.5) })], // finished 30 s ago: known, its grace ends in 30 s
    [ours(2), conv(ours(2), { execution_status: 'running' })], // working when read: may have finished since
    [ours(3), null], // no conversation yet (its start is under way)
  ]);

  it('takes the candidates from one page of recent conversations: a shared sandbox, or one not in the page, is not pausable', () => {
    const page = [
      conv(ours(3), { sandbox_id: ours(1), execution_status: 'running' }), // a later conversation on ours(1)'s sandbox (user-level grouping)
      conv(ours(2)),
      conv(ours(1)),
    ];
    const read = candidatesFrom([ours(1), ours(2), ours(4)], page);
    expect(read.get(ours(1))).toBeNull();
    expect(read.get(ours(2))).toEqual(page[1]);
    expect(read.get(ours(4))).toBeNull(); // older than the page: its sandbox's other users are unknown
    expect(dueForRoom([ours(1), ours(2), ours(4)], read, NOW)).toEqual([ours(2)]);
  });

  it('knows when the first remembered candidate becomes pausable, without reading it again', () => {
    expect(nextDue([ours(1), ours(2), ours(3)], seen, NOW)).toBe(NOW + FINISHED_GRACE_MS - 30_000);
    expect(nextDue([ours(2), ours(3)], seen, NOW)).toBeUndefined();
    // already due: not "next"
    expect(nextDue([ours(1)], seen, NOW + FINISHED_GRACE_MS)).toBeUndefined();
    // several due within a few seconds of each other: each run comes for the one its seed picks
    const close = new Map([
      [ours(5), conv(ours(5), { updated_at: at(0.5) })],
      [ours(6), conv(ours(6), { updated_at: new Date(NOW - 30_000 + 3000).toISOString() })],
      [ours(7), conv(ours(7), { updated_at: new Date(NOW - 30_000 + DUE_GROUP_MS + 1000).toISOString() })], // beyond the group
    ]);
    const first = NOW + FINISHED_GRACE_MS - 30_000;
    expect([0, 1, 2, 3].map((seed) => nextDue([ours(5), ours(6), ours(7)], close, NOW, seed))).toEqual([first, first + 3000, first, first + 3000]);
  });

  it('sleeps until the grace it comes for ends (spread over a few seconds), else the look interval, growing while nothing changes', () => {
    const at0 = { random: () => 0 };
    const at1 = { random: () => 0.999 };
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, dueInMs: 7000, ...at0 })).toBe(7000);
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, dueInMs: 7000, ...at1 })).toBe(Math.round(7000 + DUE_SPREAD_MS * 0.999));
    // a grace that ends later than the look interval: the interval (a slot may free itself)
    // no look before it (nothing could change), even past the plain interval
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, dueInMs: 38_000, ...at0 })).toBe(38_000);
    // never longer than a grace (a slot may free itself meanwhile)
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, dueInMs: 90_000, ...at0 })).toBe(FINISHED_GRACE_MS);
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, ...at0 })).toBe(17_500);
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 1, ...at0 })).toBe(Math.round(37_500 * 0.7));
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 9, ...at1 })).toBeLessThanOrEqual(25_000 * QUIET_GROWTH_MAX * 1.3);
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 9, ...at0 })).toBe(Math.round(25_000 * QUIET_GROWTH_MAX * 0.7));
    // a grace already over: at once (or nearly)
    expect(queueWakeMs({ intervalMs: 25_000, quietLooks: 0, dueInMs: -5000, ...at0 })).toBe(500);
  });
});

import { describe, expect, it } from 'vitest';
import { accountLoad, isDerivedId, pausableForRoom, roomToMake } from '../../src/openhands/capacity.ts';
import type { Sandbox } from '../../src/openhands/client.ts';
import { conversationIdFor } from '../../src/openhands/start.ts';
import type { Conversation, StartTask } from '../../src/openhands/types.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const at = (minAgo: number): string => new Date(NOW - minAgo * 60_000).toISOString();
const ours = (n: number): string => conversationIdFor(['o/r', String(n)]);
const v4 = '0123456789ab4def8123456789abcdef';
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

  it('pauses just enough to get below the limit, the longest-finished first', () => {
    const load = { live: 10, inFlight: 1, starting: 1, maybeOurs: [] };
    const list = [conv(ours(1), { updated_at: at(2) }), conv(ours(5), { updated_at: at(0.2) }), null, conv(ours(2), { updated_at: at(30) }), conv(ours(3), { updated_at: at(10) }), conv(ours(4), { execution_status: 'running', updated_at: at(60) })];
    expect(roomToMake(load, 10, list, NOW)).toEqual([ours(2), ours(3)]);
    expect(roomToMake({ ...load, live: 8, inFlight: 0 }, 10, list, NOW)).toEqual([]);
    expect(roomToMake({ ...load, live: 9, inFlight: 0 }, 10, list, NOW)).toEqual([]);
    expect(roomToMake({ ...load, live: 10, inFlight: 0 }, 10, list, NOW)).toEqual([ours(2)]);
    // another run of the burst, another order: rarely the same sandbox for two runs
    expect(roomToMake({ ...load, live: 10, inFlight: 0 }, 10, list, NOW, 1)).toEqual([ours(3)]);
    expect(roomToMake(load, 10, list, NOW, 2)).toEqual([ours(1), ours(2)]);
  });
});

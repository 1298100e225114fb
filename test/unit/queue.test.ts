// The sandbox queue (src/steps/act/queue.ts) against a fake account, with a clock that moves only
// when the run sleeps: when a queued run may take a slot.
import { describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/openhands/client.ts';
import { conversationIdFor } from '../../src/openhands/start.ts';
import type { Conversation, StartTask } from '../../src/openhands/types.ts';
import type { Session } from '../../src/steps/run.ts';

vi.mock('@actions/core', () => ({ warning: () => {}, info: () => {}, debug: () => {} }));
const { waitForSlot } = await import('../../src/steps/act/queue.ts');

const T0 = Date.parse('2026-12-01T10:00:00Z');
const ours = (n: number): string => conversationIdFor(['o/r', String(n)]);
const iso = (t: number): string => new Date(t).toISOString();
const running = (id: string): Sandbox => ({ id, status: 'RUNNING', created_at: iso(T0 - 600_000) });
const working = (id: string): Conversation => ({ id, sandbox_id: id, sandbox_status: 'RUNNING', execution_status: 'running', trigger: 'openhands_api', updated_at: iso(T0) }) as Conversation;

describe('the sandbox queue', () => {
  it('a queued run that sees a free slot counts the in-flight starts first: a slot another queued run just freed is taken by that run\'s start', async () => {
    let t = T0;
    let looks = 0;
    const tasksRead: number[] = [];
    // Look 1: 3 of 3, agents working. Then another queued run pauses ours(1) and starts in its
    // place: at look 2 its start is in WORKING (not listed yet); by look 3 it has ended.
    const client = {
      searchSandboxes: vi.fn(async () => ({ items: looks++ === 0 ? [running(ours(1)), running(ours(2)), running(ours(3))] : [running(ours(2)), running(ours(3))], nextPageId: null })),
      searchStartTasks: vi.fn(async () => {
        tasksRead.push(looks);
        return { items: looks === 2 ? [{ id: 'theirs', status: 'WORKING', sandbox_id: null, created_at: iso(t), updated_at: iso(t) } as StartTask] : [], nextPageId: null };
      }),
      searchConversations: vi.fn(async () => ({ items: [ours(1), ours(2), ours(3)].map(working), nextPageId: null })),
      pauseSandbox: vi.fn(async () => {}),
    };
    const run = {
      cfg: { maxSandboxes: 3, readyTimeoutMs: 600_000 },
      now: () => t,
      sleep: async (ms: number) => void (t += ms),
      signal: new AbortController().signal,
      secrets: { redact: (m: string) => m },
    };
    const s = { run, client, reporter: { update: vi.fn(async () => {}), report: {} }, plan: {} } as unknown as Session;
    await waitForSlot(s, ours(9));
    // look 2 saw 2 of 3 sandboxes, but with the start in flight it was 3 of 3: no start then
    expect(looks).toBe(3);
    expect(tasksRead).toEqual([2, 3]);
    expect(client.pauseSandbox).not.toHaveBeenCalled();
  });

  it('a wake for a finished conversation that another queued run already paused costs one read, not a look at the sandboxes', async () => {
    let t = T0;
    const finished = (id: string, status: string): Conversation => ({ ...working(id), execution_status: 'finished', sandbox_status: status, updated_at: iso(T0) }) as Conversation;
    const conversationReads: number[] = [];
    const client = {
      // the account stays full until the third look at it
      searchSandboxes: vi.fn(async () => ({ items: client.searchSandboxes.mock.calls.length < 2 ? [running(ours(1)), running(ours(2)), running(ours(3))] : [running(ours(2)), running(ours(3))], nextPageId: null })),
      searchStartTasks: vi.fn(async () => ({ items: [], nextPageId: null })),
      // ours(1)'s agent finished at T0: pausable a minute later, by which time another run has paused it
      searchConversations: vi.fn(async () => {
        conversationReads.push(t - T0);
        return { items: [finished(ours(1), t - T0 < 60_000 ? 'RUNNING' : 'PAUSED'), working(ours(2)), working(ours(3))], nextPageId: null };
      }),
      pauseSandbox: vi.fn(async () => {}),
    };
    const run = { cfg: { maxSandboxes: 3, readyTimeoutMs: 600_000 }, now: () => t, sleep: async (ms: number) => void (t += ms), signal: new AbortController().signal, secrets: { redact: (m: string) => m } };
    const s = { run, client, reporter: { update: vi.fn(async () => {}), report: {} }, plan: {} } as unknown as Session;
    await waitForSlot(s, ours(9));
    expect(conversationReads).toHaveLength(2);
    expect(conversationReads[1]).toBeGreaterThanOrEqual(60_000); // it came for ours(1)'s grace end
    expect(client.searchSandboxes).toHaveBeenCalledTimes(2); // the first look and the one that found a slot
    expect(client.pauseSandbox).not.toHaveBeenCalled();
  });

  it('a wake that pauses the finished conversation it came for starts in the slot it freed, without another look at the sandboxes', async () => {
    let t = T0;
    const finished = (id: string): Conversation => ({ ...working(id), execution_status: 'finished', updated_at: iso(T0) }) as Conversation;
    const client = {
      searchSandboxes: vi.fn(async () => ({ items: [running(ours(1)), running(ours(2)), running(ours(3))], nextPageId: null })),
      searchStartTasks: vi.fn(async () => ({ items: [], nextPageId: null })),
      searchConversations: vi.fn(async () => ({ items: [finished(ours(1)), working(ours(2)), working(ours(3))], nextPageId: null })),
      pauseSandbox: vi.fn(async () => {}),
    };
    const run = { cfg: { maxSandboxes: 3, readyTimeoutMs: 600_000 }, now: () => t, sleep: async (ms: number) => void (t += ms), signal: new AbortController().signal, secrets: { redact: (m: string) => m } };
    const update = vi.fn(async () => {});
    const s = { run, client, reporter: { update, report: {} }, plan: {} } as unknown as Session;
    await waitForSlot(s, ours(9));
    expect(t - T0).toBeGreaterThanOrEqual(60_000); // not before ours(1)'s grace ended
    expect(client.pauseSandbox.mock.calls).toEqual([[ours(1)]]);
    expect(client.searchSandboxes).toHaveBeenCalledTimes(1);
    expect(client.searchConversations).toHaveBeenCalledTimes(2);
    expect(update).toHaveBeenLastCalledWith({ queue: expect.objectContaining({ inUse: 2, limit: 3, waiting: false, paused: [ours(1)] }) }, { force: true });
  });
});

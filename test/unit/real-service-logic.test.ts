// Issue 8 logic with injected clocks and fake clients: dead start tasks, paged searches, pausing only
// the conversation's own sandbox.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const pauseSandboxNow = vi.fn(async () => {});
const warning = vi.fn();
vi.mock('@actions/core', () => ({ warning: (m: string) => warning(m), info: () => {}, debug: () => {} }));
vi.mock('../../src/openhands/client.ts', () => ({ pauseSandboxNow: (...a: unknown[]) => pauseSandboxNow(...(a as [])) }));

const { lastExecutionStatus } = await import('../../src/openhands/conversation.ts');
const { crowdOf, findStartTask, phaseLimitMs, waitForStartTask } = await import('../../src/openhands/start.ts');
const { DeadStartError } = await import('../../src/errors.ts');
/** WAITING_FOR_SANDBOX's limit: the server's 120 s sandbox wait plus a margin ([api: start-task]) */
const STALE_START_MS = phaseLimitMs('WAITING_FOR_SANDBOX');
const { stopSpending } = await import('../../src/steps/pause.ts');
type Client = import('../../src/openhands/client.ts').OpenHandsClient;
type StartTask = import('../../src/openhands/types.ts').StartTask;
type Report = import('../../src/report.ts').Report;
type Config = import('../../src/config.ts').Config;

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** A clock that only moves when the code sleeps. */
function clock() {
  let t = T0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

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

describe('paged searches', () => {
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

  it('the execution status pages back past stats updates, and gives up (null) after its page bound', async () => {
    const stats = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, kind: 'ConversationStateUpdateEvent', key: 'stats', value: {} }));
    const searchEvents = vi.fn(async (_id: string, o: { pageId?: string }) =>
      o.pageId === '200' ? { items: [...stats(20), { id: 'e', kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: 'finished' }], nextPageId: null } : { items: stats(100), nextPageId: String(Number(o.pageId ?? 0) + 100) },
    );
    expect(await lastExecutionStatus({ searchEvents } as unknown as Client, 'c')).toBe('finished');
    expect(searchEvents.mock.calls.map((a) => a[1].pageId)).toEqual([undefined, '100', '200']);
    const endless = vi.fn(async (_id: string, o: { pageId?: string }) => ({ items: stats(100), nextPageId: String(Number(o.pageId ?? 0) + 100) }));
    expect(await lastExecutionStatus({ searchEvents: endless } as unknown as Client, 'c')).toBeNull();
    expect(endless).toHaveBeenCalledTimes(10);
  });
});

describe('[api: events] stored full_state snapshots', () => {
  it('the newest status wins, whether an execution_status update or a full_state snapshot', async () => {
    const update = (id: string, value: string) => ({ id, kind: 'ConversationStateUpdateEvent', key: 'execution_status', value });
    const snapshot = (id: string, status: string) => ({ id, kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { execution_status: status } });
    // newest first: after a resume the running → error switch is only in the snapshot
    const afterResume = vi.fn(async () => ({ items: [snapshot('s', 'error'), update('u', 'running')], nextPageId: null }));
    expect(await lastExecutionStatus({ searchEvents: afterResume } as unknown as Client, 'c')).toBe('error');
    const later = vi.fn(async () => ({ items: [update('u', 'finished'), snapshot('s', 'running')], nextPageId: null }));
    expect(await lastExecutionStatus({ searchEvents: later } as unknown as Client, 'c')).toBe('finished');
  });
});

describe('pausing only the own sandbox', () => {
  const id = 'c'.repeat(32);
  const cfg = { apiKey: 'k', baseUrl: 'https://oh.example', onTimeout: 'pause', onCancel: 'pause' } as unknown as Config;
  const report = (over: Partial<Report>): Report => ({ status: 'timed_out', conversationId: id, ...over }) as Report;
  beforeEach(() => {
    pauseSandboxNow.mockClear();
    warning.mockClear();
  });

  it("a shared sandbox (another conversation's, or unchecked) is left running with a warning that says why", async () => {
    for (const sandboxShared of [true, undefined]) {
      const r = report({ sandboxId: 'shared-sandbox', sandboxShared });
      // The note for the report says the sandbox was left running; it is not paused.
      const stopped = await stopSpending(r, cfg);
      expect(stopped?.note).toMatch(/left running/);
      expect(stopped?.paused).toBe(false);
    }
    expect(pauseSandboxNow).not.toHaveBeenCalled();
    expect(warning).toHaveBeenCalledTimes(2);
    expect(warning.mock.calls[0]?.[0]).toMatch(/Sandbox shared-sandbox is left running: it is shared with other conversations.*pausing it would stop them too/);
  });

  it('the own sandbox (named after the conversation) is paused, by its reported id', async () => {
    const r = report({ sandboxId: id });
    const stopped = await stopSpending(r, cfg);
    expect(stopped?.note).toMatch(/paused so it stops costing money \(on-timeout: pause\)/);
    expect(pauseSandboxNow).toHaveBeenCalledWith('https://oh.example', 'k', id, { quick: false });
    expect(stopped?.paused).toBe(true);
    expect(warning).not.toHaveBeenCalled();
  });
});

describe('[api: follow-ups] which send-message failures may have delivered the message', () => {
  it('a 5xx, a reset or a timeout may have; a refused connection, a 429 or a 4xx have not', async () => {
    const { maybeDelivered } = await import('../../src/steps/act/follow-up.ts');
    const { OpenHandsApiError } = await import('../../src/errors.ts');
    const e = (o: { status?: number; transient: boolean; code?: string }) =>
      new OpenHandsApiError('x', { url: 'u', status: o.status, transient: o.transient, cause: o.code ? Object.assign(new Error('net'), { code: o.code }) : undefined });
    expect(maybeDelivered(e({ status: 502, transient: true }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'ECONNRESET' }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'ECONNREFUSED' }))).toBe(false);
    expect(maybeDelivered(e({ status: 429, transient: true }))).toBe(false);
    expect(maybeDelivered(e({ status: 409, transient: false }))).toBe(false);
    expect(maybeDelivered(new Error('other'))).toBe(false);
  });
});

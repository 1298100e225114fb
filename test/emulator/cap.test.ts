// Emulator: the account limits a burst of runs meets ([api: rate-limits], [api: auto-pause], [api: rate-limits], [api: start-task], [api: route-age]), over real HTTP.
import { describe, expect, it } from 'vitest';
import { api, closeAfterEach, emu, getJson, readyConversation, start, startConversation, waitFor, type J } from './test-kit.ts';

closeAfterEach();

const HELD = [{ afterMs: 0, status: 'running' as const }];
const capPauses = (): string[] =>
  emu()
    .transitions.filter((t) => t.kind === 'sandbox' && t.status === 'PAUSED' && t.cause === 'max-sandboxes')
    .map((t) => String(t.sandboxId));

describe('sandbox cap ([api: auto-pause], [api: start-task])', () => {
  it('a start pauses the oldest RUNNING sandbox in its WORKING phase, before it reports WAITING_FOR_SANDBOX', async () => {
    await start({ maxSandboxes: 2, scenario: { execution: HELD } });
    const first = await readyConversation();
    await readyConversation();
    emu().queueScenario({ phaseDurations: { WORKING: 400 } });
    const third = await startConversation();
    // still WORKING, and the oldest is already paused
    const [task] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(third.id)}`);
    expect(task?.status).toBe('WORKING');
    expect(capPauses()).toEqual([String(first.task.sandbox_id)]);
  });

  it('only RUNNING sandboxes count: starts whose sandboxes still boot do not see each other', async () => {
    await start({ maxSandboxes: 2, scenario: { phaseDurations: { WAITING_FOR_SANDBOX: 300 } } });
    const tasks = [await startConversation(), await startConversation(), await startConversation()];
    await waitFor(() => tasks.every((t) => emu().tasks.find((x) => x.id === t.id)?.status === 'READY'), 3000);
    expect(capPauses()).toEqual([]);
    expect(emu().sandboxes.filter((s) => s.status === 'RUNNING')).toHaveLength(3);
    // the next start sees three RUNNING on a cap of 2: it pauses the two oldest
    await startConversation();
    expect(capPauses()).toEqual(emu().sandboxes.slice(0, 2).map((s) => String(s.id)));
  });

  it('a resume sweeps too, and the resumed sandbox is not counted while it is PAUSED', async () => {
    await start({ maxSandboxes: 2, scenario: { resumeMs: 10 } });
    const a = await readyConversation();
    const b = await readyConversation();
    emu().pauseSandbox(String(a.task.sandbox_id));
    await readyConversation(); // it sees one RUNNING (b): room for itself on a cap of 2
    expect(capPauses()).toEqual([]);
    // the resume sees b and c RUNNING: it pauses the oldest of them (b), not the resumed one
    expect((await api(`/api/v1/sandboxes/${String(a.task.sandbox_id)}/resume`, { method: 'POST' })).status).toBe(200);
    expect(capPauses()).toEqual([String(b.task.sandbox_id)]);
  });
});

describe('GET /api/v1/sandboxes/search ([api: rate-limits], [api: auto-pause])', () => {
  it("lists the user's sandboxes newest first with their status, paged by limit", async () => {
    await start({ apiKeys: ['test-key', 'other-key'], scenario: { execution: HELD } });
    const a = await readyConversation();
    const b = await readyConversation();
    emu().pauseSandbox(String(a.task.sandbox_id));
    await api('/api/v1/app-conversations', { key: 'other-key', method: 'POST', body: JSON.stringify({ initial_message: { content: [{ type: 'text', text: 'x' }] } }) });
    const page = await getJson<{ items: J[]; next_page_id: string | null }>('/api/v1/sandboxes/search?limit=1');
    expect(page.items).toMatchObject([{ id: b.task.sandbox_id, status: 'RUNNING' }]);
    expect(page.next_page_id).toBeTruthy();
    const rest = await getJson<{ items: J[]; next_page_id: string | null }>(`/api/v1/sandboxes/search?limit=100&page_id=${String(page.next_page_id)}`);
    expect(rest.items).toMatchObject([{ id: a.task.sandbox_id, status: 'PAUSED' }]);
    expect(rest.next_page_id).toBeNull();
    expect((await api('/api/v1/sandboxes/search?limit=101')).status).toBe(422);
  });
});

describe('per-user fixed windows ([api: rate-limits], [api: rate-limits])', () => {
  it('the window opens when Retry-After says, and every window counts every request', async () => {
    await start({ rateLimits: { ip: false, user: [{ limit: 3, windowMs: 1000 }, { limit: 5, windowMs: 60_000 }] } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('/api/v1/users/me')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api('/api/v1/users/me');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBe(1);
    expect(Number(limited.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 50));
    // the second opened; a rejected hit stops at the window that refused it, so the minute has
    // counted 3 (rate_limit.py hit(): windows in order, the first refusal raises): two more pass
    expect([(await api('/api/v1/users/me')).status, (await api('/api/v1/users/me')).status]).toEqual([200, 200]);
    const minute = await api('/api/v1/users/me');
    expect(minute.status).toBe(429);
    expect(await minute.json()).toEqual({ error: 'Rate limit exceeded: 5 per 1 minute' });
    expect(Number(minute.headers.get('retry-after'))).toBeGreaterThan(50);
  });
});

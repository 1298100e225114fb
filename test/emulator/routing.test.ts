// Emulator: auth, unknown routes, batch gets, rate limits, legacy routes ([api: authentication], [api: start-task], [api: reading], [api: rate-limits], [api: ids], [api: errors]), over real HTTP.
import { describe, expect, it } from 'vitest';
import { api, closeAfterEach, emu, getJson, readyConversation, start, waitFor, type J } from './test-kit.ts';

closeAfterEach();

const NO_CREDENTIALS = { error: 'NoCredentialsError' };

describe('auth and unknown routes', () => {
  it('answers 401 without any credential, before routing', async () => {
    await start();
    for (const path of ['/api/v1/no/such/route', '/api/v1/users/me']) {
      const res = await api(path, { key: null });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(NO_CREDENTIALS);
      expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate, max-age=0');
    }
  });

  it('a wrong key: 401 on a real route, but the SPA page on an unknown GET and 405 on an unknown POST', async () => {
    await start();
    const known = await api('/api/v1/users/me', { key: 'wrong' });
    expect(known.status).toBe(401);
    expect(await known.json()).toEqual(NO_CREDENTIALS);
    const page = await api('/api/v1/no/such/route', { key: 'wrong' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const post = await api('/api/v1/no/such/route', { key: 'wrong', method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('answers GET /app-conversations/{id} with the SPA html; unknown POST with 405', async () => {
    await start();
    const { convId } = await readyConversation();
    const res = await api(`/api/v1/app-conversations/${convId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<div id="root">');
    const post = await api('/api/v1/nothing-here', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('a key-store fault makes a valid key answer 401 for a while ([api: errors])', async () => {
    await start();
    // a window long enough for the three requests below on a loaded machine; then wait for its end
    emu().addFault({ kind: 'key-store', forMs: 1500 });
    const failed = await api('/api/v1/users/me');
    expect(failed.status).toBe(401);
    expect(await failed.json()).toEqual({ error: 'BearerTokenError' });
    expect((await api('/api/v1/users/me')).status).toBe(401); // not consumed: time-boxed
    const none = await api('/api/v1/users/me', { key: null });
    expect(await none.json()).toEqual(NO_CREDENTIALS); // no credential: the normal answer
    await waitFor(async () => (await api('/api/v1/users/me')).status === 200, 10_000);
    emu().addFault({ kind: 'key-store', error: 'ExpiredError', times: 1 });
    expect(await (await api('/api/v1/users/me')).json()).toEqual({ error: 'ExpiredError' });
    expect((await api('/api/v1/users/me')).status).toBe(200);
  });
});

describe('batch gets and paging', () => {
  it('returns null for unknown ids and checks id counts and formats', async () => {
    await start();
    const { task, convId } = await readyConversation();
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const tasks = await getJson<Array<J | null>>(`/api/v1/app-conversations/start-tasks?ids=${unknown}&ids=${String(task.id)}`);
    expect(tasks[0]).toBeNull();
    expect(tasks[1]!.id).toBe(task.id);
    const convs = await getJson<Array<J | null>>(`/api/v1/app-conversations?ids=${String(task.id)}&ids=${convId}`);
    expect(convs[0]).toBeNull(); // a start-task id is not a conversation id
    expect(convs[1]!.id).toBe(convId);

    expect((await api('/api/v1/app-conversations/start-tasks?ids=nope')).status).toBe(422);
    const many = Array.from({ length: 101 }, () => `ids=${unknown}`).join('&');
    const tooMany = await api(`/api/v1/app-conversations/start-tasks?${many}`);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ detail: 'Cannot request more than 100 start tasks at once, got 101' });
    const hundred = Array.from({ length: 100 }, () => `ids=${unknown}`).join('&');
    expect(await (await api(`/api/v1/app-conversations?${hundred}`)).json()).toEqual({ detail: 'Too many ids requested. Maximum is 99.' });
    expect(await (await api('/api/v1/app-conversations?ids=xyz')).json()).toEqual({ detail: "Invalid UUID format for ids: ['xyz']" });

    expect(await getJson(`/api/v1/app-conversations/count`)).toBe(1);
    const page = await getJson<{ items: J[]; next_page_id: string | null }>('/api/v1/app-conversations/start-tasks/search?limit=1');
    expect(page.items).toHaveLength(1);
    expect(page.next_page_id).toBeNull();
    expect((await api('/api/v1/app-conversations/search?limit=0')).status).toBe(422);
    expect((await api('/api/v1/app-conversations/search?limit=101')).status).toBe(422);
  });
});

describe('legacy server routes ([api: ids])', () => {
  it('events only at /api/v1/events/search; the newer routes answer as unknown', async () => {
    await start({ legacy: true });
    const { convId } = await readyConversation();
    const legacy = await waitFor(async () => {
      const page = await getJson<{ items: J[] }>(`/api/v1/events/search?conversation_id__eq=${convId}`);
      return page.items.length > 0 ? page : null;
    });
    expect(legacy.items[0]).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state' });
    expect((await api('/api/v1/events/search')).status).toBe(422); // the emulator requires the filter
    const newer = await api(`/api/v1/conversation/${convId}/events/search`);
    expect(newer.headers.get('content-type')).toMatch(/^text\/html/);
    const patch = await api(`/api/v1/app-conversations/${convId}`, { method: 'PATCH', body: JSON.stringify({ title: 'x' }) });
    expect(patch.status).toBe(405);
    const send = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: JSON.stringify({ content: [{ type: 'text', text: 'hi' }] }) });
    expect(send.status).toBe(405);
  });
});

describe('rate limits', () => {
  it('per user: 429 with Retry-After and X-RateLimit-* once 10 requests in a second are used', async () => {
    await start({ rateLimits: { ip: false } });
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 11; i++) {
      const res = await api('/api/v1/users/me');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited!.headers.get('x-ratelimit-limit')).toBe('10');
    expect(limited!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await limited!.json()).toEqual({ error: 'Rate limit exceeded: 10 per 1 second' });
  });

  it('per IP: delays above the limit, 429 above twice the limit, /resume exempt', async () => {
    await start({ rateLimits: { user: false, ip: { requests: 2, delayMs: 150 } } });
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await api('/api/v1/users/me');
        return { status: res.status, ms: performance.now() - t0, retry: res.headers.get('retry-after') };
      }),
    );
    const ok = results.filter((r) => r.status === 200);
    const rejected = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(4);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.retry).toBe('1');
    expect(ok.filter((r) => r.ms >= 140)).toHaveLength(2);
    const resume = await api('/api/v1/sandboxes/nope/resume', { method: 'POST' });
    expect(resume.status).toBe(404); // not 429: exempt
  });
});

// Tests of the OpenHands Cloud emulator itself (test/emulator), over real sockets with global fetch.
import { afterEach, describe, expect, it } from 'vitest';
import { START_PHASES } from '../emulator/engine.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.ts';

const KEY = 'test-key';
const PHASES = START_PHASES;
const HEX32 = /^[0-9a-f]{32}$/;

type J = Record<string, unknown>;

let emu: Emulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({ rateLimits: false, scenario: { phaseMs: 5 }, ...options });
  return emu;
}

function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${emu!.url}${path}`, { ...init, headers });
}

async function getJson<T = J>(path: string): Promise<T> {
  const res = await api(path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

const startBody = (extra: J = {}): string =>
  JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text: 'Fix the bug' }], run: true }, ...extra });

async function startConversation(extra: J = {}): Promise<J> {
  const res = await api('/api/v1/app-conversations', { method: 'POST', body: startBody(extra) });
  expect(res.status).toBe(200);
  return (await res.json()) as J;
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const taskStatuses = (taskId: string): string[] =>
  emu!.transitions.filter((t) => t.kind === 'start-task' && t.taskId === taskId).map((t) => t.status);

async function readyConversation(extra: J = {}): Promise<{ task: J; convId: string }> {
  const task = await startConversation(extra);
  const ready = await waitFor(async () => {
    const [t] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
    return t?.status === 'READY' ? t : null;
  });
  return { task: ready, convId: String(ready.app_conversation_id) };
}

async function conversation(id: string): Promise<J> {
  const [c] = await getJson<Array<J | null>>(`/api/v1/app-conversations?ids=${id}`);
  return c!;
}

describe('start task life-cycle', () => {
  it('POST returns WORKING, then goes through every phase in order to READY with the documented fields', async () => {
    await start();
    const chosen = '9f0c3a4e-1111-4222-8333-444455556666';
    const task = await startConversation({ conversation_id: chosen, title: 'ignored title', unknown_field: 1 });
    expect(task).toMatchObject({ status: 'WORKING', sandbox_id: null, agent_server_url: null, app_conversation_id: null, detail: null });
    expect(task.id).toMatch(HEX32);
    expect((task.request as J).conversation_id).toBe(chosen);
    expect(task.request).not.toHaveProperty('unknown_field');

    const { task: ready, convId } = await readyConversation();
    expect(taskStatuses(String(ready.id))).toEqual(PHASES);
    expect(ready.app_conversation_id).toMatch(HEX32);
    expect(ready.sandbox_id).toBeTruthy();
    expect(String(ready.agent_server_url)).toBe(emu!.agentServer.url);

    const first = await waitFor(() => taskStatuses(String(task.id)).includes('READY') && emu!.tasks.find((t) => t.id === task.id));
    expect(first.app_conversation_id).toBe(chosen.replaceAll('-', ''));
    const conv = await conversation(chosen.replaceAll('-', ''));
    expect(conv.title).toBe('Conversation 9f0c3');
    expect(conv.sandbox_id).toBe(chosen.replaceAll('-', ''));

    const c2 = await conversation(convId);
    expect(c2.sandbox_status).toBe('RUNNING');
    expect(String(c2.session_api_key)).toMatch(/^sess_/);
    expect(emu!.sessionApiKeys()).toContain(c2.session_api_key);
    expect(String(c2.conversation_url)).toMatch(new RegExp(`/api/conversations/${convId}$`));
  });

  it('ends in ERROR with the scenario detail', async () => {
    await start();
    emu!.queueScenario({ startError: { atPhase: 'PREPARING_REPOSITORY', detail: 'Missing either Git token or valid repository' } });
    const task = await startConversation();
    const t = await waitFor(async () => {
      const [x] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
      return x?.status === 'ERROR' ? x : null;
    });
    expect(t.detail).toBe('Missing either Git token or valid repository');
    expect(taskStatuses(String(task.id))).toEqual(['WORKING', 'WAITING_FOR_SANDBOX', 'PREPARING_REPOSITORY', 'ERROR']);
    // the queue was consumed: the next start uses the default scenario
    const { task: ok } = await readyConversation();
    expect(ok.status).toBe('READY');
  });

  it('a second start with an existing conversation_id ends in ERROR', async () => {
    await start();
    const id = 'abcdefabcdefabcdefabcdefabcdef01';
    await readyConversation({ conversation_id: id });
    const dup = await startConversation({ conversation_id: id });
    await waitFor(() => taskStatuses(String(dup.id)).includes('ERROR'));
    expect(emu!.tasks.find((t) => t.id === dup.id)?.detail).toContain(id);
  });

  it('validates the body like FastAPI (422)', async () => {
    await start();
    const extra = await api('/api/v1/app-conversations', {
      method: 'POST',
      body: JSON.stringify({ initial_message: { content: [{ type: 'text', text: 'x', bogus: true }] } }),
    });
    expect(extra.status).toBe(422);
    const body = (await extra.json()) as { detail: Array<J> };
    expect(body.detail[0]).toMatchObject({ type: 'extra_forbidden', msg: 'Extra inputs are not permitted', input: true });
    expect(body.detail[0]!.loc).toContain('bogus');
    const malformed = await api('/api/v1/app-conversations', { method: 'POST', body: '{nope' });
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as { detail: J[] }).detail[0]!.type).toBe('json_invalid');
    expect(emu!.tasks).toHaveLength(0);
  });
});

describe('stream-start', () => {
  it('writes "[\\n", the states separated by ",\\n", then "]" as they happen', async () => {
    await start({ scenario: { phaseMs: 15 } });
    const res = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const arrivals: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      arrivals.push(performance.now());
    }
    expect(text.startsWith('[\n')).toBe(true);
    expect(text.endsWith(']')).toBe(true);
    expect(text).toContain('},\n{');
    const items = JSON.parse(text) as J[];
    expect(items.map((i) => i.status)).toEqual(PHASES);
    expect(items.at(-1)!.app_conversation_id).toMatch(HEX32);
    // pieces arrived over time, not in one buffered write
    expect(arrivals.length).toBeGreaterThan(3);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(50);
  });

  it('answers 404 when disabled', async () => {
    await start({ streamStart: false });
    const res = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'Not Found' });
  });
});

describe('routing, auth and batch gets', () => {
  it('answers 401 without or with a wrong key, before routing', async () => {
    await start();
    for (const key of [null, 'wrong']) {
      const res = await api('/api/v1/no/such/route', { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'NoCredentialsError' });
      expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate, max-age=0');
    }
  });

  it('answers GET /app-conversations/{id} with the SPA html; unknown POST with 404', async () => {
    await start();
    const { convId } = await readyConversation();
    const res = await api(`/api/v1/app-conversations/${convId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<div id="root">');
    const post = await api('/api/v1/nothing-here', { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ detail: 'Not Found' });
  });

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

describe('execution, sandboxes, events and messages', () => {
  it('reports execution_status only while the sandbox is RUNNING; send-message needs a running sandbox', async () => {
    await start({ scenario: { phaseMs: 5, sandboxAfterEnd: 'PAUSED', resumeMs: 20 } });
    const { convId } = await readyConversation();
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === convId && t.kind === 'sandbox' && t.status === 'PAUSED'));
    const paused = await conversation(convId);
    expect(paused).toMatchObject({ sandbox_status: 'PAUSED', execution_status: null, session_api_key: null, conversation_url: null });
    // metrics are complete once the run is over
    expect((paused.metrics as J).accumulated_cost).toBeCloseTo(0.0421);

    const msg = JSON.stringify({ role: 'user', content: [{ type: 'text', text: 'And the docs?' }] });
    const refused = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: msg });
    expect(refused.status).toBe(409);
    const sandboxId = String(paused.sandbox_id);
    expect(await refused.json()).toEqual({ detail: `Sandbox is PAUSED. Use POST /api/v1/sandboxes/${sandboxId}/resume to resume it first.` });

    expect(await (await api(`/api/v1/sandboxes/${sandboxId}/resume`, { method: 'POST' })).json()).toEqual({ success: true });
    expect((await conversation(convId)).sandbox_status).toBe('STARTING');
    await waitFor(async () => (await conversation(convId)).sandbox_status === 'RUNNING');
    expect((await conversation(convId)).execution_status).toBe('finished');

    const sent = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: msg });
    expect(await sent.json()).toEqual({ success: true, sandbox_status: 'RUNNING', message: null });
    expect((await conversation(convId)).execution_status).toBe('running');
    await waitFor(() => emu!.events(convId).some((e) => (e.action as J | undefined)?.message === 'Done (follow-up).'));
    const [sb] = await getJson<J[]>(`/api/v1/sandboxes?id=${sandboxId}&id=nope`).then((l) => [l[0], l[1]]);
    expect(sb).toMatchObject({ id: sandboxId });
  });

  it('publishes events through the app server only after eventLagMs', async () => {
    await start({ scenario: { phaseMs: 5, eventLagMs: 300, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 60, status: 'finished' }] } });
    const { convId } = await readyConversation();
    const search = `/api/v1/conversation/${convId}/events/search?sort_order=TIMESTAMP_DESC`;
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === convId && t.status === 'finished'));
    expect((await conversation(convId)).execution_status).toBe('finished');
    const early = await getJson<{ items: J[] }>(search);
    expect(early.items.some((e) => e.tool_name === 'finish')).toBe(false);
    const late = await waitFor(async () => {
      const page = await getJson<{ items: J[] }>(search);
      return page.items[0]?.value === 'finished' ? page : null;
    });
    const finish = late.items.find((e) => e.kind === 'ActionEvent' && e.tool_name === 'finish')!;
    expect(finish).toMatchObject({ source: 'agent', action: { kind: 'FinishAction', message: 'Done.' } });
    expect(String(finish.id)).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(finish.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const kinds = late.items.map((e) => e.kind);
    expect(kinds).toContain('ObservationEvent');
    expect(late.items.at(-1)).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state' });

    const count = await getJson<number>(`/api/v1/conversation/${convId}/events/count?kind__eq=MessageEvent`);
    expect(count).toBe(1);
    expect((await api(`/api/v1/conversation/${convId}/events/search?kind__eq=Nope`)).status).toBe(422);
    const byId = await getJson<Array<J | null>>(`/api/v1/conversation/${convId}/events?id=${String(finish.id)}&id=nope`);
    expect(byId[0]!.id).toBe(finish.id);
    expect(byId[1]).toBeNull();
    expect(await getJson(`/api/v1/conversation/ffffffffffffffffffffffffffffffff/events/search`)).toEqual({ items: [], next_page_id: null });
    // the agent-server stand-in behind conversation_url
    const conv = await conversation(convId);
    const base = String(conv.conversation_url);
    const fr = await fetch(`${base}/agent_final_response`, { headers: { 'X-Session-API-Key': String(conv.session_api_key) } });
    expect(await fr.json()).toEqual({ response: 'Done.' });
  });

  it('ends via an agent MessageEvent when finalVia is "message"', async () => {
    await start({ scenario: { phaseMs: 5, finalVia: 'message', finalMessage: 'All good.' } });
    const { convId } = await readyConversation();
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === convId && t.status === 'finished'));
    const last = emu!.events(convId).filter((e) => e.source === 'agent').at(-1)!;
    expect(last).toMatchObject({ kind: 'MessageEvent', llm_message: { role: 'assistant', content: [{ type: 'text', text: 'All good.' }] } });
  });

  it('sandbox failure: MISSING gives 410 on send-message', async () => {
    await start({ scenario: { phaseMs: 5, sandboxFailure: { afterMs: 20, status: 'MISSING' } } });
    const { convId } = await readyConversation();
    await waitFor(async () => (await conversation(convId)).sandbox_status === 'MISSING');
    const res = await api(`/api/v1/app-conversations/${convId}/send-message`, {
      method: 'POST',
      body: JSON.stringify({ content: [{ type: 'text', text: 'hi' }] }),
    });
    expect(res.status).toBe(410);
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

describe('faults', () => {
  it('status, html, delay and reset faults', async () => {
    await start();
    emu!.addFault({ kind: 'status', status: 503, retryAfter: 2, path: '/api/v1/users/me' });
    const f503 = await api('/api/v1/users/me');
    expect(f503.status).toBe(503);
    expect(f503.headers.get('retry-after')).toBe('2');
    expect((await api('/api/v1/users/me')).status).toBe(200); // consumed

    emu!.addFault({ kind: 'html', method: 'GET' });
    const h = await api('/api/v1/users/me');
    expect(h.headers.get('content-type')).toMatch(/text\/html/);

    emu!.addFault({ kind: 'delay', ms: 120 });
    const t0 = performance.now();
    expect((await api('/api/v1/users/me')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);

    emu!.addFault({ kind: 'reset', path: /users/ });
    await expect(api('/api/v1/users/me')).rejects.toThrow();
    expect(emu!.requests.at(-1)).toMatchObject({ status: null, fault: 'reset' });
  });

  it('reset-after creates the task but never answers', async () => {
    await start();
    emu!.addFault({ kind: 'reset-after', method: 'POST', path: '/api/v1/app-conversations' });
    await expect(api('/api/v1/app-conversations', { method: 'POST', body: startBody() })).rejects.toThrow();
    expect(emu!.tasks).toHaveLength(1);
  });

  it('hang never answers, and close() is still prompt', async () => {
    await start();
    emu!.addFault({ kind: 'hang' });
    await expect(api('/api/v1/users/me', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    emu!.addFault({ kind: 'hang' });
    const pending = api('/api/v1/users/me').catch((e: unknown) => e);
    await waitFor(() => emu!.requests.length === 2);
    const t0 = performance.now();
    await emu!.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('stream-break and stream-stall', async () => {
    await start({ scenario: { phaseMs: 10 } });
    emu!.addFault({ kind: 'stream-break', afterItems: 2 });
    const broken = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody() });
    await expect(broken.text()).rejects.toThrow();

    emu!.addFault({ kind: 'stream-stall', afterItems: 1 });
    const stalled = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody(), signal: AbortSignal.timeout(300) });
    const reader = stalled.body!.getReader();
    let text = '';
    const read = async (): Promise<void> => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    };
    await expect(read()).rejects.toThrow();
    expect(text.startsWith('[\n{')).toBe(true);
    expect(text).not.toContain(',\n');
    // the task itself went on to READY
    await waitFor(() => emu!.tasks.filter((t) => t.status === 'READY').length === 2);
  });
});

describe('control endpoints', () => {
  it('drives the emulator over HTTP without being recorded', async () => {
    await start();
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${emu!.url}/_emulator/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    await post('queue', { startError: { atPhase: 'WORKING', detail: 'boom' } });
    await post('faults', { kind: 'status', status: 502, pathRegex: 'users/me$', times: 2 });
    expect((await api('/api/v1/users/me')).status).toBe(502);
    expect((await api('/api/v1/users/me')).status).toBe(502);
    expect((await api('/api/v1/users/me')).status).toBe(200);
    const task = await startConversation();
    await waitFor(() => taskStatuses(String(task.id)).includes('ERROR'));
    const reqs = (await (await fetch(`${emu!.url}/_emulator/requests`)).json()) as J[];
    expect(reqs).toHaveLength(4);
    expect(reqs.every((r) => !String(r.path).startsWith('/_emulator'))).toBe(true);
    const transitions = (await (await fetch(`${emu!.url}/_emulator/transitions`)).json()) as J[];
    expect(transitions.map((t) => t.status)).toEqual(['WORKING', 'ERROR']);
    await post('reset', {});
    expect(emu!.requests).toHaveLength(0);
    expect(emu!.tasks).toHaveLength(0);
  });
});

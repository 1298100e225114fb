// Emulator: starting a conversation ([api: start], [api: start-task], [api: ids], [api: errors]), over real HTTP.
import { describe, expect, it } from 'vitest';
import { START_PHASES } from './engine.ts';
import { api, closeAfterEach, conversation, emu, getJson, HEX32, readyConversation, sleep, start, startBody, startConversation, taskStatuses, waitFor, readCut, type J } from './test-kit.ts';

closeAfterEach();

/** Reads a stream-start body until `until` appears in it, then aborts the request. */
async function readStreamUntil(until: string, abort: AbortController): Promise<string> {
  const res = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody(), signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(until)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  return text;
}

describe('start task life-cycle', () => {
  it('POST returns WORKING, then goes through every phase in order to READY with the documented fields', async () => {
    await start();
    const chosen = '9f0c3a4e-1111-4222-8333-444455556666';
    const task = await startConversation({ conversation_id: chosen, title: 'ignored title', unknown_field: 1 });
    expect(task).toMatchObject({ status: 'WORKING', sandbox_id: null, agent_server_url: null, app_conversation_id: null, detail: null });
    expect(task.id).toMatch(HEX32);
    expect((task.request as J).conversation_id).toBe(chosen);
    expect((task.request as J).title).toBe('ignored title'); // echoed, never applied ([api: titles])
    expect(task.request).not.toHaveProperty('unknown_field');

    const { task: ready, convId } = await readyConversation();
    expect(taskStatuses(String(ready.id))).toEqual(START_PHASES);
    expect(ready.app_conversation_id).toMatch(HEX32);
    expect(ready.sandbox_id).toBeTruthy();
    expect(String(ready.agent_server_url)).toBe(emu().agentServer.url);

    const first = await waitFor(() => taskStatuses(String(task.id)).includes('READY') && emu().tasks.find((t) => t.id === task.id));
    expect(first.app_conversation_id).toBe(chosen.replaceAll('-', ''));
    const conv = await conversation(chosen.replaceAll('-', ''));
    expect(conv.title).not.toBe('ignored title');
    expect(conv.sandbox_id).toBe(chosen.replaceAll('-', ''));

    const c2 = await conversation(convId);
    expect(c2.sandbox_status).toBe('RUNNING');
    expect(String(c2.session_api_key)).toMatch(/^sess_/);
    expect(emu().sessionApiKeys()).toContain(c2.session_api_key);
    expect(String(c2.conversation_url)).toMatch(new RegExp(`/api/conversations/${convId}$`));
  });

  it('ends in ERROR with the scenario detail', async () => {
    await start();
    emu().queueScenario({ startError: { atPhase: 'PREPARING_REPOSITORY', detail: 'Missing either Git token or valid repository' } });
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

  it('a duplicate client conversation_id gets an emulator-specific 500 (not verified upstream)', async () => {
    await start();
    const id = 'abcdefabcdefabcdefabcdefabcdef01';
    await startConversation({ conversation_id: id }); // still in flight counts too
    const dup = await api('/api/v1/app-conversations', { method: 'POST', body: startBody({ conversation_id: id }) });
    expect(dup.status).toBe(500);
    expect(await dup.json()).toEqual({ detail: 'emulator: duplicate conversation_id is not modelled (not verified upstream)' });
    expect(emu().tasks).toHaveLength(1);
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
    expect(emu().tasks).toHaveLength(0);
  });

  it('the plain POST start goes on when the client disconnects before the answer ([api: start])', async () => {
    await start();
    emu().addFault({ kind: 'delay', ms: 300, when: 'after', method: 'POST', path: '/api/v1/app-conversations' });
    await expect(api('/api/v1/app-conversations', { method: 'POST', body: startBody(), signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await waitFor(() => emu().tasks[0]?.status === 'READY');
    expect(emu().conversations).toHaveLength(1);
  });

  it('ageTask moves a task\'s created_at and updated_at into the past, as the reads show', async () => {
    await start({ scenario: { phaseDurations: { WAITING_FOR_SANDBOX: 600_000 } } });
    const task = await startConversation();
    await waitFor(() => emu().tasks[0]?.status === 'WAITING_FOR_SANDBOX');
    const [before] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
    expect(emu().ageTask(String(task.id), 360_000)).toBe(true);
    expect(emu().ageTask('f'.repeat(32), 1)).toBe(false);
    const [after] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
    expect(after?.status).toBe('WAITING_FOR_SANDBOX');
    expect(Date.parse(String(before?.updated_at)) - Date.parse(String(after?.updated_at))).toBeCloseTo(360_000, -1);
    expect(Date.parse(String(before?.created_at)) - Date.parse(String(after?.created_at))).toBeCloseTo(360_000, -1);
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
    expect(items.map((i) => i.status)).toEqual(START_PHASES);
    expect(items.at(-1)!.app_conversation_id).toMatch(HEX32);
    // pieces arrived over time, not in one buffered write
    expect(arrivals.length).toBeGreaterThan(3);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(50);
  });

  it('a client that disconnects cancels the start: the task stays at its status for good, the sandbox keeps running', async () => {
    await start({ scenario: { phaseMs: 30 } });
    const text = await readStreamUntil('"PREPARING_REPOSITORY"', new AbortController());
    expect(text).toContain('"WAITING_FOR_SANDBOX"');
    await waitFor(() => emu().requests[0]?.doneAt);
    const [stuck] = emu().tasks;
    expect(START_PHASES.slice(2, 7)).toContain(stuck!.status); // PREPARING_REPOSITORY, unless the close took a phase to arrive
    await sleep(250); // longer than the remaining phases (5 × 30 ms)
    expect(emu().tasks[0]).toEqual(stuck); // updated_at did not move either
    expect(emu().conversations).toHaveLength(0);
    expect(emu().sandboxes[0]).toMatchObject({ id: stuck!.sandbox_id, status: 'RUNNING' });
  });

  it('cancelled while waiting for its sandbox: the sandbox still comes up', async () => {
    await start({ scenario: { phaseMs: 60 } });
    await readStreamUntil('"WAITING_FOR_SANDBOX"', new AbortController());
    await sleep(150);
    expect(emu().tasks[0]!.status).toBe('WAITING_FOR_SANDBOX');
    expect(emu().sandboxes[0]!.status).toBe('RUNNING');
  });

  it('an error before the first item: 200, "[\\n", then the connection drops; the POST answers 500', async () => {
    await start();
    const body = startBody({ parent_conversation_id: 'ffffffffffffffffffffffffffffffff' });
    const res = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body });
    expect(res.status).toBe(200);
    const { text, error } = await readCut(res);
    expect(error).toBeTruthy(); // no closing "]": the body is cut
    expect(text).toBe('[\n');
    const post = await api('/api/v1/app-conversations', { method: 'POST', body });
    expect(post.status).toBe(500);
    expect(emu().tasks).toHaveLength(0);
  });

  it('answers like an unknown non-GET route (405) when disabled', async () => {
    await start({ streamStart: false });
    const res = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody() });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ detail: 'Method Not Allowed' });
  });
});

describe('legacy server ([api: ids])', () => {
  it('ignores the client conversation_id; the sandbox id is random base62', async () => {
    await start({ legacy: true });
    const chosen = '9f0c3a4e-1111-4222-8333-444455556666';
    const task = await startConversation({ conversation_id: chosen });
    expect(task.request).not.toHaveProperty('conversation_id');
    const ready = await waitFor(() => emu().tasks.find((t) => t.id === task.id && t.status === 'READY'));
    expect(ready.app_conversation_id).toMatch(HEX32);
    expect(ready.app_conversation_id).not.toBe(chosen.replaceAll('-', ''));
    expect(String(ready.sandbox_id)).toMatch(/^[0-9A-Za-z]{22}$/);
    // a second start with the same id is no duplicate there: the id is dropped unread
    expect((await api('/api/v1/app-conversations', { method: 'POST', body: startBody({ conversation_id: chosen }) })).status).toBe(200);
  });
});

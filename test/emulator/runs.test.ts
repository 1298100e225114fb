// Emulator: runs, events, titles and messages ([api: reading], [api: events], [api: follow-ups], [api: titles], [api: pr-number], [api: errors]), over real HTTP.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, Engine, mergeScenario } from './engine.ts';
import { dashed } from './server.ts';
import { Errors, validateStartRequest } from './validation.ts';
import { api, closeAfterEach, conversation, emu, getJson, hasTransition, readyConversation, sleep, start, waitFor, type J } from './test-kit.ts';

closeAfterEach();

type Page = { items: J[]; next_page_id: string | null };
const message = (text: string): string => JSON.stringify({ role: 'user', content: [{ type: 'text', text }] });
const HELD = [{ afterMs: 0, status: 'running' as const }];

describe('execution and messages', () => {
  it('reports execution_status only while the sandbox is RUNNING; send-message needs a running sandbox', async () => {
    await start({ scenario: { sandboxAfterEnd: 'PAUSED', resumeMs: 20 } });
    const { convId } = await readyConversation();
    await waitFor(() => hasTransition(convId, 'PAUSED', 'sandbox'));
    const paused = await conversation(convId);
    expect(paused).toMatchObject({ sandbox_status: 'PAUSED', execution_status: null, session_api_key: null, conversation_url: null });
    // metrics are complete once the run is over
    expect((paused.metrics as J).accumulated_cost).toBeCloseTo(0.0421);

    const refused = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('And the docs?') });
    expect(refused.status).toBe(409);
    const sandboxId = String(paused.sandbox_id);
    expect(await refused.json()).toEqual({ detail: `Sandbox is PAUSED. Use POST /api/v1/sandboxes/${sandboxId}/resume to resume it first.` });

    const seen = emu().transitions.length;
    expect(await (await api(`/api/v1/sandboxes/${sandboxId}/resume`, { method: 'POST' })).json()).toEqual({ success: true });
    // through STARTING first (read from the transition log: 20 ms of STARTING may be over before a read returns)
    expect(emu().transitions.slice(seen).filter((t) => t.kind === 'sandbox').map((t) => t.status)[0]).toBe('STARTING');
    await waitFor(async () => (await conversation(convId)).sandbox_status === 'RUNNING');
    expect((await conversation(convId)).execution_status).toBe('finished'); // paused after the end: nothing lost

    const sent = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('And the docs?') });
    expect(await sent.json()).toEqual({ success: true, sandbox_status: 'RUNNING', message: null });
    expect((await conversation(convId)).execution_status).toBe('running');
    await waitFor(() => emu().events(convId).some((e) => (e.action as J | undefined)?.message === 'Done (follow-up).'));
  });

  it('advanceRun: a test moves a held run to its next status, with the agent steps planned before it, and no further', async () => {
    await start();
    emu().queueScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 600_000, status: 'waiting_for_confirmation' }, { afterMs: 1_200_000, status: 'finished' }] });
    const { convId } = await readyConversation();
    const statuses = (): unknown[] => emu().events(convId).filter((e) => e.key === 'execution_status').map((e) => e.value);
    const tools = (): number => emu().events(convId).filter((e) => e.kind === 'ObservationEvent').length;
    await waitFor(() => statuses().includes('running'));
    expect(tools()).toBe(0);
    expect(emu().advanceRun(convId)).toBe(true);
    expect(statuses()).toEqual(['running', 'waiting_for_confirmation']);
    expect(tools()).toBe(2); // the two steps of the running segment came first
    expect((await conversation(convId)).execution_status).toBe('waiting_for_confirmation');
    expect(emu().advanceRun(convId)).toBe(true);
    expect(statuses()).toEqual(['running', 'waiting_for_confirmation', 'finished']);
    expect(emu().advanceRun(convId)).toBe(false); // the run is over
    expect(emu().advanceRun('ffffffffffffffffffffffffffffffff')).toBe(false);
  });

  it('send-message errors: 404 with the dashed id, 410 MISSING, 503 ERROR', async () => {
    await start();
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const missing = await api(`/api/v1/app-conversations/${unknown}/send-message`, { method: 'POST', body: message('hi') });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: `Conversation ${dashed(unknown)} not found` });
    const a = await readyConversation();
    const b = await readyConversation();
    emu().failSandbox(String(a.task.sandbox_id), 'MISSING');
    emu().failSandbox(String(b.task.sandbox_id), 'ERROR');
    const gone = await api(`/api/v1/app-conversations/${a.convId}/send-message`, { method: 'POST', body: message('hi') });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toEqual({ detail: 'Conversation is archived. The sandbox no longer exists.' });
    const broken = await api(`/api/v1/app-conversations/${b.convId}/send-message`, { method: 'POST', body: message('hi') });
    expect(broken.status).toBe(503);
    expect(await broken.json()).toEqual({ detail: 'Sandbox is in an error state and cannot accept messages.' });
  });

  it('ends via an agent MessageEvent when finalVia is "message"', async () => {
    await start({ scenario: { finalVia: 'message', finalMessage: 'All good.' } });
    const { convId } = await readyConversation();
    await waitFor(() => hasTransition(convId, 'finished'));
    const last = emu().events(convId).filter((e) => e.source === 'agent').at(-1)!;
    expect(last).toMatchObject({ kind: 'MessageEvent', llm_message: { role: 'assistant', content: [{ type: 'text', text: 'All good.' }] } });
  });

  it('agentPr: the agent prints the PR URL in a gh pr create observation and its final message; pr_number stays as sent', async () => {
    const url = 'https://github.com/o/r/pull/7';
    await start({ scenario: { agentPr: { url } } });
    const { convId } = await readyConversation({ pr_number: [3] });
    await waitFor(() => hasTransition(convId, 'finished'));
    const obs = emu().events(convId).find((e) => e.kind === 'ObservationEvent' && (e.observation as J).command === 'gh pr create --fill')!;
    expect(JSON.stringify((obs.observation as J).content)).toContain(url);
    const finish = emu().events(convId).find((e) => e.tool_name === 'finish')!;
    expect(String((finish.action as J).message)).toContain(url);
    expect((await conversation(convId)).pr_number).toEqual([3]);
  });
});

describe('events reach the app server in batches ([api: events])', () => {
  it('5 events or the flush delay; the search sees only delivered events', async () => {
    // A flush delay long enough that a loaded machine still reads the count before the timer fires.
    await start({ scenario: { eventFlushMs: 1500, execution: HELD } });
    const { convId } = await readyConversation();
    const count = (): Promise<number> => getJson<number>(`/api/v1/conversation/${convId}/events/count`);
    // full_state, the user message, running: queued, not posted yet
    expect(emu().events(convId)).toHaveLength(3);
    expect(await count()).toBe(0);
    // the first agent step (action, observation) fills the buffer of 5; its stats update waits
    await waitFor(() => emu().deliveredEvents(convId).length >= 5);
    expect(await count()).toBe(5);
    expect(emu().events(convId).length).toBeGreaterThan(5);
    await waitFor(() => emu().deliveredEvents(convId).length === emu().events(convId).length, 5000);
  });

  it('eventLagMs delays each batch further', async () => {
    await start({ scenario: { eventLagMs: 300, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 60, status: 'finished' }] } });
    const { convId } = await readyConversation();
    const search = `/api/v1/conversation/${convId}/events/search?sort_order=TIMESTAMP_DESC`;
    await waitFor(() => hasTransition(convId, 'finished'));
    expect((await conversation(convId)).execution_status).toBe('finished');
    const early = await getJson<Page>(search);
    expect(early.items.some((e) => e.tool_name === 'finish')).toBe(false);
    const late = await waitFor(async () => {
      const page = await getJson<Page>(search);
      return page.items[0]?.value === 'finished' ? page : null;
    });
    const finish = late.items.find((e) => e.kind === 'ActionEvent' && e.tool_name === 'finish')!;
    expect(finish).toMatchObject({ source: 'agent', action: { kind: 'FinishAction', message: 'Done.' } });
    expect(String(finish.id)).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(finish.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(late.items.map((e) => e.kind)).toContain('ObservationEvent');
    expect(late.items.at(-1)).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state' });

    expect(await getJson<number>(`/api/v1/conversation/${convId}/events/count?kind__eq=MessageEvent`)).toBe(1);
    expect((await api(`/api/v1/conversation/${convId}/events/search?kind__eq=Nope`)).status).toBe(422);
    const byId = await getJson<Array<J | null>>(`/api/v1/conversation/${convId}/events?id=${String(finish.id)}&id=nope`);
    expect(byId[0]!.id).toBe(finish.id);
    expect(byId[1]).toBeNull();
    expect(await getJson(`/api/v1/conversation/ffffffffffffffffffffffffffffffff/events/search`)).toEqual({ items: [], next_page_id: null });
    // the agent-server stand-in behind conversation_url has every event at once
    const conv = await conversation(convId);
    const fr = await fetch(`${String(conv.conversation_url)}/agent_final_response`, { headers: { 'X-Session-API-Key': String(conv.session_api_key) } });
    expect(await fr.json()).toEqual({ response: 'Done.' });
  });

  it('a stats update after every LLM call: the newest 100 state updates can miss the execution_status change; cost grows', async () => {
    await start({ scenario: { stepMs: 3, costPerStep: 0.01, execution: HELD } });
    const { convId, task } = await readyConversation();
    const stats = (): J[] => emu().deliveredEvents(convId).filter((e) => e.key === 'stats');
    const firstCost = await waitFor(async () => ((await conversation(convId)).metrics as J).accumulated_cost as number);
    await waitFor(() => stats().length > 110, 5000);
    emu().pauseSandbox(String(task.sandbox_id)); // stops the agent: the numbers hold still
    await sleep(150); // the last batch arrives
    const q = `/api/v1/conversation/${convId}/events/search?kind__eq=ConversationStateUpdateEvent&sort_order=TIMESTAMP_DESC`;
    const newest = await getJson<Page>(q);
    expect(newest.items).toHaveLength(100);
    expect(newest.items.every((e) => e.key === 'stats')).toBe(true);
    const older = await getJson<Page>(`${q}&page_id=${String(newest.next_page_id)}`);
    expect(older.items.some((e) => e.key === 'execution_status' && e.value === 'running')).toBe(true);
    const steps = emu().events(convId).filter((e) => e.key === 'stats').length;
    const cost = ((await conversation(convId)).metrics as J).accumulated_cost as number;
    expect(cost).toBeGreaterThan(firstCost);
    expect(cost).toBeCloseTo(steps * 0.01, 6);
  });
});

describe('titles ([api: titles])', () => {
  it('starts as "Conversation xxxxx"; the first MessageEvent batch copies the auto-title over a PATCH, once', async () => {
    await start({ scenario: { eventBufferSize: 100, eventFlushMs: 150, execution: HELD, autoTitle: 'Fix the README typo' } });
    const { convId } = await readyConversation({ title: 'Requested title' });
    expect((await conversation(convId)).title).toBe(`Conversation ${convId.slice(0, 5)}`);
    const patch = await api(`/api/v1/app-conversations/${convId}`, { method: 'PATCH', body: JSON.stringify({ title: 'Mine' }) });
    expect(((await patch.json()) as J).title).toBe('Mine');
    await waitFor(async () => (await conversation(convId)).title === 'Fix the README typo');
    // the copy is one-shot: a later PATCH sticks, even across another MessageEvent batch
    await api(`/api/v1/app-conversations/${convId}`, { method: 'PATCH', body: JSON.stringify({ title: 'Mine again' }) });
    await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('more') });
    const n = emu().events(convId).length;
    await waitFor(() => emu().deliveredEvents(convId).length >= n);
    expect((await conversation(convId)).title).toBe('Mine again');
  });

  it('the copy uses the agent-server title when that was set; default auto-title is the first message line', async () => {
    await start({ scenario: { eventBufferSize: 100, eventFlushMs: 100, execution: HELD } });
    const a = await readyConversation();
    expect(emu().agentTitle(a.convId)).toBe('Fix the bug');
    const b = await readyConversation();
    expect(emu().setAgentTitle(b.convId, 'Set on the agent server')).toBe(true);
    await waitFor(async () => (await conversation(b.convId)).title === 'Set on the agent server');
    await waitFor(async () => (await conversation(a.convId)).title === 'Fix the bug');
  });
});

describe('engine hooks (for an agent-server emulator)', () => {
  it('notices every written event and sandbox change; onDelivery sees the batches', async () => {
    const engine = new Engine({ baseUrl: () => 'http://emulator', llmModel: 'm', agentBaseUrl: () => 'http://agent' });
    const notices: string[] = [];
    const batches: number[] = [];
    engine.listeners.add((n) => notices.push(n.type === 'event' ? String(n.json.kind) : `sandbox:${n.sandbox.status}`));
    engine.events.onDelivery((_conv, batch) => batches.push(batch.length));
    const request = validateStartRequest({ initial_message: { content: [{ type: 'text', text: 'x' }] } }, new Errors())!;
    const task = engine.startTask('user', request, mergeScenario(DEFAULT_SCENARIO, { phaseMs: 1, eventFlushMs: 10 }));
    await waitFor(() => batches.length > 0);
    expect(notices.slice(0, 2)).toEqual(['sandbox:STARTING', 'sandbox:RUNNING']);
    expect(notices).toContain('MessageEvent');
    expect(engine.taskJson(task).agent_server_url).toBe('http://agent');
    const conv = engine.conversations.get(task.conversationId)!;
    expect(engine.setAgentTitle(conv, 'T')).toBe(true);
    expect(engine.agentTitle(conv.id)).toBe('T');
    expect(engine.allEvents(conv).length).toBe(notices.filter((n) => !n.startsWith('sandbox')).length);
    engine.dispose();
  });
});

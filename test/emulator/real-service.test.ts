// The emulator's model of the facts of reference [api: sources] (the real server under long starts, transient
// faults and long agent steps), over real sockets.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, closeAfterEach, conversation, emu, getJson, readyConversation, sleep, start, startConversation, waitFor, type J } from './test-kit.ts';

closeAfterEach();

const held = (stepMs: number) => ({ execution: [{ afterMs: 0, status: 'running' as const }], stepMs });
const message = (text: string): string => JSON.stringify({ role: 'user', content: [{ type: 'text', text }], run: true });
const userTexts = (convId: string): string[] =>
  emu()
    .events(convId)
    .filter((e) => e.kind === 'MessageEvent' && e.source === 'user')
    .map((e) => JSON.stringify(e.llm_message));

describe('[api: start-task] start phases on a scaled clock', () => {
  it('a long setup script keeps updated_at still for the whole phase; service time runs clockScale times faster', async () => {
    await start({ clockScale: 200, scenario: { phaseMs: 5, phaseDurations: { RUNNING_SETUP_SCRIPT: 60_000 } } });
    const task = await startConversation();
    const read = async (): Promise<J> => (await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`))[0]!;
    const inScript = await waitFor(async () => ((await read()).status === 'RUNNING_SETUP_SCRIPT' ? read() : null));
    const realStart = Date.now();
    await sleep(100); // 20 s of service time
    const still = await read();
    expect(still.status).toBe('RUNNING_SETUP_SCRIPT');
    expect(still.updated_at).toBe(inScript.updated_at); // nothing is saved inside a phase
    const after = await waitFor(async () => {
      const t = await read();
      return t.status !== 'RUNNING_SETUP_SCRIPT' ? t : null;
    });
    expect(Date.now() - realStart).toBeLessThan(2000); // a minute of service time took ~0.3 s
    const phaseMs = Date.parse(String(after.updated_at)) - Date.parse(String(inScript.updated_at));
    expect(phaseMs).toBeGreaterThanOrEqual(59_000);
    expect(emu().clock.scale).toBe(200);
  });
});

describe('[api: statuses] / [api: pause-resume] a failing runtime API', () => {
  it('a failed status lookup reads MISSING once; the sandbox itself runs on', async () => {
    await start({ scenario: held(1000) });
    const { convId } = await readyConversation();
    await waitFor(async () => (await conversation(convId)).execution_status === 'running');
    emu().failRuntime(1, 'lookup');
    expect(await conversation(convId)).toMatchObject({ sandbox_status: 'MISSING', execution_status: null, conversation_url: null, session_api_key: null });
    expect(await conversation(convId)).toMatchObject({ sandbox_status: 'RUNNING', execution_status: 'running' });
    expect(emu().transitions.some((t) => t.kind === 'sandbox' && t.status === 'MISSING')).toBe(false);
  });

  it('pause and resume answer a bare 404 on a runtime error, and work when tried again', async () => {
    await start();
    const { task } = await readyConversation();
    const sandbox = String(task.sandbox_id);
    emu().failRuntime(1, 'pause');
    const failed = await api(`/api/v1/sandboxes/${sandbox}/pause`, { method: 'POST' });
    expect(failed.status).toBe(404);
    expect(await failed.json()).toEqual({ detail: 'Not Found' });
    expect((await conversation(String(task.app_conversation_id))).sandbox_status).toBe('RUNNING');
    expect((await api(`/api/v1/sandboxes/${sandbox}/pause`, { method: 'POST' })).status).toBe(200);
    emu().failRuntime(1, 'resume');
    expect((await api(`/api/v1/sandboxes/${sandbox}/resume`, { method: 'POST' })).status).toBe(404);
    expect((await conversation(String(task.app_conversation_id))).sandbox_status).toBe('PAUSED');
    expect((await api(`/api/v1/sandboxes/${sandbox}/resume`, { method: 'POST' })).status).toBe(200);
  });
});

describe('[api: follow-ups] send-message waits for the agent\'s current step', () => {
  it('answers 502 at the proxy timeout and still delivers the message when the step ends', async () => {
    await start({ sendMessageTimeoutMs: 150, scenario: held(1200) });
    const { convId } = await readyConversation();
    await waitFor(async () => (await conversation(convId)).execution_status === 'running');
    const t0 = Date.now();
    const res = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('please also add tests') });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ detail: 'Failed to reach agent server.' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(userTexts(convId).some((t) => t.includes('please also add tests'))).toBe(false);
    await waitFor(() => userTexts(convId).some((t) => t.includes('please also add tests')), 3000);
  });

  it('answers 200 once the step ends when that is within the proxy timeout', async () => {
    await start({ sendMessageTimeoutMs: 5000, scenario: held(300) });
    const { convId } = await readyConversation();
    await waitFor(async () => (await conversation(convId)).execution_status === 'running');
    const res = await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('one more thing') });
    expect(res.status).toBe(200);
    expect(userTexts(convId).some((t) => t.includes('one more thing'))).toBe(true);
  });

  it('a failed runtime lookup makes send-message answer 410 without sending', async () => {
    await start();
    const { convId } = await readyConversation();
    emu().failRuntime(1, 'lookup');
    expect((await api(`/api/v1/app-conversations/${convId}/send-message`, { method: 'POST', body: message('lost') })).status).toBe(410);
    expect(userTexts(convId).some((t) => t.includes('lost'))).toBe(false);
  });
});

describe('[api: agent-server] the event socket under a long step', () => {
  it('the first frame waits for the current step; live events may come before the snapshot', async () => {
    await start({ scenario: held(2500) });
    const { convId } = await readyConversation();
    const c = await conversation(convId);
    const base = String(c.conversation_url).replace(/\/api\/conversations\/[0-9a-f]+$/, '');
    await waitFor(async () => (await conversation(convId)).execution_status === 'running');
    // connect just after a step ended: the next one holds the lock for ~2.5 s
    const n = emu().events(convId).length;
    await waitFor(() => emu().events(convId).length > n, 3000);
    const frames: J[] = [];
    const ws = new WebSocket(`${base.replace('http', 'ws')}/sockets/events/${convId}?resend_mode=all`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', session_api_key: c.session_api_key })));
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as J));
    try {
      await sleep(150);
      // the agent is mid-step: no frame yet, and no acknowledgement either
      expect(frames).toEqual([]);
      const snapshot = await waitFor(() => frames.findIndex((f) => f.key === 'full_state' && (f.value as J).id === convId) + 1, 5000);
      // the step's own events were published live before the snapshot could be built
      expect(snapshot - 1).toBeGreaterThan(0);
      expect(frames.slice(0, snapshot - 1).every((f) => f.key !== 'full_state')).toBe(true);
    } finally {
      ws.terminate();
    }
  });
});

describe('[api: events] / [api: auto-pause] snapshots and a user pause', () => {
  it('a person pausing the conversation in the web app: execution_status paused, the sandbox runs on, nothing resumes it', async () => {
    await start({ scenario: held(100) });
    const { convId } = await readyConversation();
    await waitFor(async () => (await conversation(convId)).execution_status === 'running');
    expect(emu().userPause(convId)).toBe(true);
    const before = emu().events(convId).length;
    await sleep(300);
    expect(await conversation(convId)).toMatchObject({ sandbox_status: 'RUNNING', execution_status: 'paused' });
    // the agent took no further step
    expect(emu().events(convId).length).toBe(before);
    expect((await fetch(`${emu().url}/_emulator/conversations/${convId}/pause`, { method: 'POST' })).status).toBe(200);
  });
});

// The emulator's agent server (test/emulator/agent-server*.ts) and the action's client for it
// (src/openhands/agent-server.ts), over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { agentServerBase, getAgentFinalResponse, setAgentTitle } from '../../src/openhands/agent-server.ts';
import { OpenHandsApiError } from '../../src/errors.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.ts';
import { appConversation, readyRun, waitFor, type LiveRun } from '../emulator/agent-server-fixture.ts';

type J = Record<string, unknown>;

let emu: Emulator | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await emu?.close();
  emu = null;
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({ rateLimits: false, scenario: { phaseMs: 2 }, ...options });
  return emu;
}

const noWait = { sleep: async () => {}, retry: { attempts: 2, baseDelayMs: 0, maxDelayMs: 0 } };
const target = (run: LiveRun) => ({ baseUrl: run.base, conversationId: run.convId, sessionApiKey: run.sessionApiKey });
const slow = { execution: [{ afterMs: 0, status: 'running' as const }, { afterMs: 300, status: 'finished' as const }] };

/** A raw client: collects frames and the close code. */
function connect(run: LiveRun, query = '', headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${run.base.replace('http', 'ws')}/sockets/events/${run.convId}${query}`, { headers });
  sockets.push(ws);
  const frames: J[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const opened = new Promise<boolean>((resolve) => {
    ws.on('open', () => resolve(true));
    ws.on('error', () => resolve(false));
  });
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as J));
  return { ws, frames, closed, opened };
}

describe('agentServerBase', () => {
  it('strips /api/conversations/{id}, keeps a path prefix, refuses other shapes', () => {
    const id = '9f0c3a4e111142228333444455556666';
    expect(agentServerBase(`https://abc.prod-runtime.all-hands.dev/api/conversations/${id}`, id)).toBe('https://abc.prod-runtime.all-hands.dev');
    expect(agentServerBase(`http://localhost:3000/runtime/8000/api/conversations/${id}/`, '9f0c3a4e-1111-4222-8333-444455556666')).toBe('http://localhost:3000/runtime/8000');
    expect(agentServerBase(`https://x.dev/api/conversations/${id}`, 'ffffffffffffffffffffffffffffffff')).toBeNull();
    expect(agentServerBase(`https://x.dev/conversations/${id}`, id)).toBeNull();
    expect(agentServerBase(`ftp://x.dev/api/conversations/${id}`, id)).toBeNull();
    expect(agentServerBase(null, id)).toBeNull();
    expect(agentServerBase('not a url', id)).toBeNull();
  });
});

describe('agent server HTTP', () => {
  it('answers agent_final_response without lag: "" before the end, the message after', async () => {
    await start({ scenario: { phaseMs: 2, eventLagMs: 10_000 } });
    const run = await readyRun(emu!, { ...slow, finalMessage: 'Opened the PR.' });
    expect(agentServerBase(run.conversationUrl, run.convId)).toBe(emu!.agentServer.url);
    expect(await getAgentFinalResponse(target(run))).toBe('');
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    expect(await getAgentFinalResponse(target(run))).toBe('Opened the PR.');
    expect(emu!.agentServer.requests.every((r) => r.hasKey)).toBe(true);
  });

  it('401 for a wrong key (the key is not in the message), 404 for an unknown conversation, 503 while paused', async () => {
    await start();
    const run = await readyRun(emu!);
    const wrong = await getAgentFinalResponse({ ...target(run), sessionApiKey: 'sess_wrong' }, noWait).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenHandsApiError);
    expect(wrong).toMatchObject({ status: 401, transient: false });
    expect(String((wrong as Error).message)).not.toContain('sess_');
    const unknown = await getAgentFinalResponse({ ...target(run), conversationId: 'ffffffffffffffffffffffffffffffff' }, noWait).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404 });
    emu!.pauseSandbox(run.sandboxId);
    const paused = await getAgentFinalResponse(target(run), noWait).catch((e: unknown) => e);
    expect(paused).toMatchObject({ status: 503, transient: true });
    expect(emu!.agentServer.requests.filter((r) => r.status === 503)).toHaveLength(2); // retried once
  });

  it('a PATCHed agent-server title is what the app server copies when the run ends', async () => {
    await start();
    const run = await readyRun(emu!, { ...slow, autoTitle: 'Fix the bug in the parser' });
    const long = `  ${'x'.repeat(250)}  `;
    expect(await setAgentTitle(target(run), 'OpenHands: issue #12')).toBe(true);
    expect(await setAgentTitle(target(run), '   ')).toBe(false);
    expect(await setAgentTitle({ ...target(run), conversationId: 'ffffffffffffffffffffffffffffffff' }, 'x')).toBe(false);
    expect(emu!.agentServer.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    await waitFor(async () => (await appConversation(emu!, run.convId)).title === 'OpenHands: issue #12');
    const other = await readyRun(emu!, slow);
    expect(await setAgentTitle(target(other), long)).toBe(true);
    await waitFor(async () => (await appConversation(emu!, other.convId)).title === 'x'.repeat(200));
  });
});

describe('agent server events socket', () => {
  it('runs every client frame after the auth frame as a user message; a repeated auth frame is ignored', async () => {
    await start();
    const run = await readyRun(emu!);
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    const c = connect(run);
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'auth', session_api_key: run.sessionApiKey }));
    await waitFor(() => c.frames.length > 0);
    expect(c.frames[0]).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { execution_status: 'finished' } });
    expect(emu!.events(run.convId).map((e) => e.id)).not.toContain(c.frames[0]!.id); // not stored
    c.ws.send(JSON.stringify({ type: 'auth', session_api_key: run.sessionApiKey }));
    c.ws.send(JSON.stringify({ role: 'user', content: [{ type: 'text', text: 'also update the docs' }] }));
    c.ws.send('not json');
    await waitFor(() => c.frames.some((f) => f.kind === 'ServerErrorEvent'));
    expect(emu!.agentServer.socketFrames.map((f) => f.role)).toEqual(['auth', 'ignored', 'message', 'invalid']);
    expect(emu!.agentServer.userFrames()).toHaveLength(3);
    const users = emu!.events(run.convId).filter((e) => e.kind === 'MessageEvent' && e.source === 'user');
    expect(JSON.stringify(users.at(-1))).toContain('also update the docs');
    // the message runs: live frames follow without lag, and the agent is running again
    await waitFor(() => c.frames.some((f) => f.key === 'execution_status' && f.value === 'running'));
    expect(c.frames.some((f) => f.kind === 'MessageEvent' && JSON.stringify(f).includes('also update the docs'))).toBe(true);
    expect(c.frames.every((f) => !Object.values(f).includes(null))).toBe(true); // exclude_none
  });

  it('legacy auth by header or query; a wrong legacy key is refused at the handshake (403)', async () => {
    await start();
    const run = await readyRun(emu!);
    // once the agent is done, nothing holds the state lock: the snapshot comes first ([api: agent-server])
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    const byHeader = connect(run, '?resend_mode=all', { 'X-Session-API-Key': run.sessionApiKey });
    await waitFor(() => byHeader.frames.length > 1);
    const byQuery = connect(run, `?session_api_key=${run.sessionApiKey}`);
    await waitFor(() => byQuery.frames.length > 0);
    const wrong = connect(run, '', { 'X-Session-API-Key': 'sess_wrong' });
    expect(await wrong.opened).toBe(false);
    expect(emu!.agentServer.connections.map((c) => c.auth ?? c.refused)).toEqual(['header', 'query', 403]);
    // resend_mode=all: the snapshot, then every stored event in order
    expect(byHeader.frames.slice(1).map((f) => f.id)).toEqual(emu!.events(run.convId).slice(0, byHeader.frames.length - 1).map((e) => e.id));
  });

  it('resend_mode=since replays events at or after the timestamp; first-frame auth timeout and bad keys close 4001', async () => {
    await start({ agentServer: { authTimeoutMs: 30 } });
    const run = await readyRun(emu!);
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    const stored = emu!.events(run.convId);
    const from = String(stored[3]!.timestamp);
    const c = connect(run, `?resend_mode=since&after_timestamp=${from}`, { 'X-Session-API-Key': run.sessionApiKey });
    await waitFor(() => c.frames.length === stored.length - 3 + 1);
    expect(c.frames.slice(1).map((f) => f.id)).toEqual(stored.slice(3).map((e) => e.id));
    const silent = connect(run);
    expect(await silent.closed).toBe(4001);
    const bad = connect(run);
    await bad.opened;
    bad.ws.send(JSON.stringify({ type: 'auth', session_api_key: 'sess_wrong' }));
    expect(await bad.closed).toBe(4001);
    expect(await connect(run, '?resend_mode=sometimes').opened).toBe(false);
  });

  it('1013 past the subscriber limit; 4004 for an unknown conversation', async () => {
    await start({ agentServer: { maxSubscribers: 1 } });
    const run = await readyRun(emu!);
    const first = connect(run, '', { 'X-Session-API-Key': run.sessionApiKey });
    await waitFor(() => first.frames.length > 0);
    expect(await connect(run, '', { 'X-Session-API-Key': run.sessionApiKey }).closed).toBe(1013);
    expect(await connect({ ...run, convId: 'ffffffffffffffffffffffffffffffff' }, '', { 'X-Session-API-Key': run.sessionApiKey }).closed).toBe(4004);
  });

  it('a drop fault with afterMs still drops a socket that authenticated by its first frame', async () => {
    await start();
    const run = await readyRun(emu!);
    // an idle agent holds no lock: the first frame comes at once ([api: agent-server])
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    emu!.agentServer.addSocketFault({ kind: 'drop', afterMs: 50 });
    const c = connect(run);
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'auth', session_api_key: run.sessionApiKey }));
    expect(await c.closed).toBe(1006);
    expect(c.frames.length).toBeGreaterThan(0);
  });

  it('a paused sandbox drops its sockets and refuses new ones (503); stats updates are events', async () => {
    await start();
    const run = await readyRun(emu!, slow);
    const c = connect(run, '', { 'X-Session-API-Key': run.sessionApiKey });
    await waitFor(() => c.frames.some((f) => f.key === 'stats'));
    const stats = c.frames.find((f) => f.key === 'stats')!;
    expect((stats.value as { usage_to_metrics: { agent: { accumulated_cost: number } } }).usage_to_metrics.agent.accumulated_cost).toBeGreaterThan(0);
    emu!.pauseSandbox(run.sandboxId);
    expect(await c.closed).toBe(1006);
    expect(await connect(run, '', { 'X-Session-API-Key': run.sessionApiKey }).opened).toBe(false);
    expect(emu!.agentServer.connections.at(-1)!.refused).toBe(503);
    expect((await appConversation(emu!, run.convId)).conversation_url).toBeNull();
  });
});

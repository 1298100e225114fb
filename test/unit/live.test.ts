// The live watcher (src/openhands/live.ts) against the emulator's agent server, over real sockets.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followLive, liveSocketUrl, LiveTracker, statsFrom, type LiveEnd, type LiveEvent, type LiveOptions, type LiveStats } from '../../src/openhands/live.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.ts';
import { readyRun, waitFor, appConversation, type LiveRun } from '../emulator/agent-server-fixture.ts';

let emu: Emulator | null = null;
const stops: AbortController[] = [];
afterEach(async () => {
  for (const c of stops.splice(0)) c.abort();
  await emu?.close();
  emu = null;
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({ rateLimits: false, scenario: { phaseMs: 2 }, ...options });
  return emu;
}

interface Watch {
  end: Promise<LiveEnd>;
  statuses: string[];
  stats: LiveStats[];
  events: LiveEvent[];
  stop: AbortController;
}

function watch(run: LiveRun, extra: Partial<LiveOptions> = {}): Watch {
  const stop = new AbortController();
  stops.push(stop);
  const w: Omit<Watch, 'end'> = { statuses: [], stats: [], events: [], stop };
  const end = followLive({
    baseUrl: run.base,
    conversationId: run.convId,
    sessionApiKey: run.sessionApiKey,
    signal: stop.signal,
    onStatus: (s) => w.statuses.push(s),
    onStats: (s) => w.stats.push(s),
    onEvent: (e) => w.events.push(e),
    backoff: { attempts: Infinity, baseDelayMs: 2, maxDelayMs: 10 },
    ...extra,
  });
  return { ...w, end };
}

/** A status the test moves past itself (emu.advanceRun) once the watcher has seen it: longer than any test. */
const HELD = 600_000;
/** How long to wait for something the watcher reports: only a bound for a loaded machine, never a pause. */
const WAIT = 15_000;

const storedIds = (id: string): string[] => emu!.events(id).map((e) => String(e.id));

describe('followLive', () => {
  it('authenticates with the first frame only, reports status and cost as they happen, and sends nothing else', async () => {
    await start();
    // the agent holds `running` until the watcher has seen it (no race with a timeline under load)
    const run = await readyRun(emu!, { execution: [{ afterMs: 0, status: 'running' }, { afterMs: HELD, status: 'finished' }] });
    const w = watch(run);
    await waitFor(() => w.statuses.includes('running'), WAIT);
    expect(emu!.advanceRun(run.convId)).toBe(true);
    await waitFor(() => w.statuses.includes('finished'), WAIT);
    expect(w.statuses.at(-1)).toBe('finished');
    // each status once, in order (replayed older ones never go back); connected mid-step, the
    // snapshot may already say finished ([api: agent-server]), so running is not always seen
    if (w.statuses.includes('running')) expect(w.statuses.indexOf('running')).toBeLessThan(w.statuses.indexOf('finished'));
    expect(new Set(w.statuses).size).toBe(w.statuses.length);
    const conv = await appConversation(emu!, run.convId);
    const cost = (conv.metrics as { accumulated_cost: number }).accumulated_cost;
    expect(cost).toBeGreaterThan(0);
    await waitFor(() => w.stats.at(-1)?.cost === cost, WAIT);
    expect(w.stats.map((s) => s.cost)).toEqual([...w.stats.map((s) => s.cost)].sort((a, b) => a - b));
    w.stop.abort();
    expect(await w.end).toEqual({ reason: 'aborted' });

    const a = emu!.agentServer;
    expect(a.connections).toHaveLength(1);
    expect(a.connections[0]).toMatchObject({ auth: 'frame', refused: null });
    expect(a.connections[0]!.query.get('resend_mode')).toBe('all');
    expect(a.connections[0]!.query.has('session_api_key')).toBe(false);
    expect(a.socketFrames.map((f) => f.role)).toEqual(['auth']);
    expect(JSON.parse(a.socketFrames[0]!.data)).toEqual({ type: 'auth', session_api_key: run.sessionApiKey });
    expect(a.userFrames()).toEqual([]);
    // every stored event arrived once
    const ids = w.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of storedIds(run.convId)) expect(ids).toContain(id);
  });

  it('reconnects after drops with resend_mode=since and loses no event', async () => {
    await start();
    const plan = ['running', 'waiting_for_confirmation', 'running', 'finished'] as const;
    const run = await readyRun(emu!, { execution: plan.map((status, i) => ({ afterMs: i * HELD, status })) });
    emu!.agentServer.addSocketFault({ kind: 'drop', afterFrames: 3, times: 4 });
    const w = watch(run, { maxFailures: 3 });
    // each status is held until the watcher reports it, then the agent moves on
    for (let i = 0; i < plan.length; i++) {
      await waitFor(() => w.statuses.length === i + 1, WAIT);
      if (i < plan.length - 1) expect(emu!.advanceRun(run.convId)).toBe(true);
    }
    expect(w.statuses).toEqual([...plan]);
    await waitFor(() => storedIds(run.convId).every((id) => w.events.some((e) => e.id === id)), WAIT);
    const ids = w.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const conns = emu!.agentServer.connections;
    expect(conns.length).toBeGreaterThanOrEqual(5);
    expect(conns.slice(0, 4).every((c) => c.closeCode === 1006)).toBe(true);
    // a reconnect replays since the newest replayed event; one whose predecessor was dropped before
    // its snapshot (only live events, [api: agent-server]) saw no replay yet and asks for everything again
    for (const c of conns.slice(1)) {
      if (c.query.get('resend_mode') === 'since') expect(c.query.get('after_timestamp')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      else expect(c.query.get('resend_mode')).toBe('all');
    }
    // one auth frame per connection, nothing else
    expect(emu!.agentServer.socketFrames.every((f) => f.role === 'auth')).toBe(true);
    expect(emu!.agentServer.socketFrames.length).toBe(conns.length);
  });

  it('gives up after maxFailures refused connections, so the caller can fall back to polling', async () => {
    await start();
    const run = await readyRun(emu!);
    emu!.agentServer.addSocketFault({ kind: 'refuse', times: Infinity });
    const w = watch(run, { maxFailures: 3 });
    const end = await w.end;
    expect(end).toMatchObject({ reason: 'failed', failures: 3 });
    expect(emu!.agentServer.connections.map((c) => c.refused)).toEqual([503, 503, 503]);
    expect(emu!.agentServer.socketFrames).toEqual([]);
  });

  it('gives up when the agent server is down (connections reset), and when it flaps', async () => {
    await start();
    const run = await readyRun(emu!);
    // an idle agent: no live event can pass for progress
    await waitFor(() => emu!.transitions.some((t) => t.conversationId === run.convId && t.status === 'finished'));
    emu!.agentServer.setDown(true);
    expect(await watch(run, { maxFailures: 2 }).end).toMatchObject({ reason: 'failed', failures: 2 });
    emu!.agentServer.setDown(false);
    // accepts, sends the snapshot, drops: no progress, so it counts as a failure
    emu!.agentServer.addSocketFault({ kind: 'drop', afterFrames: 1, times: Infinity });
    const before = emu!.agentServer.connections.length;
    const flapping = watch(run, { maxFailures: 3, since: '2999-01-01T00:00:00' });
    expect(await flapping.end).toMatchObject({ reason: 'failed', failures: 3 });
    expect(emu!.agentServer.connections.length - before).toBe(3);
  });

  it('stops at once on 4001 (wrong key) and 4004 (unknown conversation)', async () => {
    await start();
    const run = await readyRun(emu!);
    expect(await watch({ ...run, sessionApiKey: 'sess_wrong' }).end).toMatchObject({ reason: 'unauthorized' });
    expect(emu!.agentServer.connections.map((c) => c.closeCode)).toEqual([4001]);
    expect(await watch({ ...run, convId: 'ffffffffffffffffffffffffffffffff' }).end).toMatchObject({ reason: 'not-found' });
    expect(emu!.agentServer.connections.map((c) => c.closeCode)).toEqual([4001, 4004]);
  });

  it('rejects with an error a callback threw, after closing its socket', async () => {
    await start();
    const run = await readyRun(emu!);
    const boom = new Error('caller bug');
    const w = watch(run, {
      onStatus: () => {
        throw boom;
      },
    });
    await expect(w.end).rejects.toBe(boom);
    await waitFor(() => emu!.agentServer.connections[0]?.closeCode === 1000);
    expect(emu!.agentServer.connections).toHaveLength(1);
  });

  it('an open socket that sends no frame yet is up, not failing; only idleMs of silence reconnects ([api: agent-server])', async () => {
    await start({ agentServer: { authTimeoutMs: 60_000 } });
    const run = await readyRun(emu!);
    // the server waits for an auth frame that never comes: as silent as a snapshot behind a long step
    const states: string[] = [];
    const w = watch(run, { maxFailures: 2, idleMs: 120, stableMs: 60, WebSocket: NoAuthSocket, onConnection: (s) => states.push(s) });
    await waitFor(() => emu!.agentServer.connections.length >= 3);
    expect(states[0]).toBe('open');
    let ended = false;
    void w.end.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false); // it never gives up on silence
    expect(emu!.agentServer.socketFrames).toEqual([]);
  });

  it('a handshake that never completes times out and counts as a failure', async () => {
    const silent = net.createServer(() => {}); // accepts TCP, never answers the upgrade
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const run = { convId: 'a'.repeat(32), sandboxId: 'x', conversationUrl: '', sessionApiKey: 'k', base: `http://127.0.0.1:${port}` };
      expect(await watch(run, { maxFailures: 2, openTimeoutMs: 50 }).end).toMatchObject({ reason: 'failed', failures: 2 });
    } finally {
      silent.close();
    }
  });
});

/** A WebSocket that drops everything sent: the server waits for an auth frame that never comes. */
class NoAuthSocket extends WebSocket {
  override send(): void {}
}

describe('LiveTracker', () => {
  const ev = (id: string, timestamp: string, key: string, value: unknown): LiveEvent => ({ id, kind: 'ConversationStateUpdateEvent', timestamp, key, value });

  it('keeps the snapshot status against replayed older ones and moves the cursor only below the snapshot', () => {
    const t = new LiveTracker(null);
    t.connected();
    t.accept(ev('s1', '2026-01-01T10:00:10.000000', 'full_state', { execution_status: 'running', stats: { usage_to_metrics: { agent: { accumulated_cost: 0.5 } } } }));
    expect(t.status).toBe('running');
    expect(t.accept(ev('a', '2026-01-01T10:00:01.000000', 'execution_status', 'finished')).status).toBe(false);
    expect(t.status).toBe('running');
    expect(t.cursor).toBe('2026-01-01T10:00:01.000000');
    // a live event newer than the snapshot: reported, but the cursor stays
    expect(t.accept(ev('b', '2026-01-01T10:00:11.000000', 'execution_status', 'finished'))).toMatchObject({ isNew: true, fresh: true, status: true });
    expect(t.status).toBe('finished');
    expect(t.cursor).toBe('2026-01-01T10:00:01.000000');
    expect(t.accept(ev('b', '2026-01-01T10:00:11.000000', 'execution_status', 'finished'))).toMatchObject({ isNew: false, status: false });
    // next connection: the same event, now older than the new snapshot, moves the cursor
    t.connected();
    t.accept(ev('s2', '2026-01-01T10:00:20.000000', 'full_state', { execution_status: 'finished' }));
    t.accept(ev('b', '2026-01-01T10:00:11.000000', 'execution_status', 'finished'));
    expect(t.cursor).toBe('2026-01-01T10:00:11.000000');
    expect(t.stats).toEqual({ cost: 0.5, promptTokens: 0, completionTokens: 0 });
  });

  it('live events that come before the snapshot ([api: agent-server]) are reported but do not move the cursor', () => {
    const t = new LiveTracker('2026-01-01T09:00:00.000000');
    t.connected();
    // the agent's step ends: its events are published live before the snapshot can be built
    expect(t.accept(ev('live', '2026-01-01T10:00:05.000000', 'execution_status', 'running'))).toMatchObject({ isNew: true, fresh: true, status: true });
    expect(t.cursor).toBe('2026-01-01T09:00:00.000000');
    t.accept(ev('s', '2026-01-01T10:00:06.000000', 'full_state', { execution_status: 'running' }));
    // the replay: older than the snapshot, and older than the live event that came first
    t.accept(ev('old', '2026-01-01T09:30:00.000000', 'stats', {}));
    expect(t.cursor).toBe('2026-01-01T09:30:00.000000');
    // a stored full_state in the replay ([api: events]) is an event like any other
    t.accept(ev('stored', '2026-01-01T09:40:00.000000', 'full_state', { execution_status: 'error' }));
    expect(t.cursor).toBe('2026-01-01T09:40:00.000000');
    expect(t.status).toBe('running');
  });

  it('sums stats over usages and builds socket URLs without the key', () => {
    expect(statsFrom({ usage_to_metrics: { agent: { accumulated_cost: 0.25, accumulated_token_usage: { prompt_tokens: 10, completion_tokens: 2 } }, condenser: { accumulated_cost: 0.5 } } })).toEqual({ cost: 0.75, promptTokens: 10, completionTokens: 2 });
    expect(statsFrom('nope')).toBeNull();
    expect(liveSocketUrl('https://abc.prod-runtime.all-hands.dev', '9f0c3a4e-1111-4222-8333-444455556666', null)).toBe(
      'wss://abc.prod-runtime.all-hands.dev/sockets/events/9f0c3a4e111142228333444455556666?resend_mode=all',
    );
    expect(liveSocketUrl('http://127.0.0.1:8000/runtime/x', 'ab', '2026-01-01T10:00:01.5')).toBe(
      'ws://127.0.0.1:8000/runtime/x/sockets/events/ab?resend_mode=since&after_timestamp=2026-01-01T10%3A00%3A01.5',
    );
  });
});

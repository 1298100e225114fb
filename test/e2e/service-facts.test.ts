/**
 * No false failure from one answer of the real service (reference [api: sources]). The built
 * dist against the emulator in its [api: sources] model: a long setup script, one MISSING read, a follow-up
 * the service delivers but answers 502 for, a pause that answers 404 once, an event socket whose
 * first frame waits for a long step, a person pausing the conversation, and a ready-timeout that
 * passes before the start made its sandbox.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../emulator/server.ts';
import { issueComment, issueLabeled } from './payloads.ts';
import { scaledClockEnv } from './scaled-clock.ts';
import { until, worldPerTest, type World } from './world.ts';

const open = worldPerTest();

const labeled = () => issueLabeled({ label: 'openhands' });
const now = () => performance.timeOrigin + performance.now();

const untilIn = (pred: () => unknown, what: string, ms = 20_000): Promise<void> => until(pred, what, ms, 10);

const isPause = (r: RecordedRequest) => r.method === 'POST' && r.path.endsWith('/pause');
const conversationReads = (w: World) => w.emu.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/app-conversations').length;
const transitionAt = (w: World, status: string): number | undefined => w.emu.transitions.find((t) => t.status === status)?.at;

describe('[api: start-task] a start whose setup script runs longer than 5 minutes', () => {
  it('reaches READY with the default ready-timeout: the setup-script phase is allowed the service\'s own 10 minutes', async () => {
    // 60× service clock: the 7-minute script takes 7 s; the action's clock runs as fast (scaled-clock.ts).
    const { emu, run } = await open({ emulator: { clockScale: 60, rateLimits: false, scenario: { phaseMs: 1000, phaseDurations: { RUNNING_SETUP_SCRIPT: 7 * 60_000 } } } });
    const r = await run({ event: 'issues', payload: labeled(), env: scaledClockEnv(emu.clock), timeoutMs: 40_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('ready');
    const setup = emu.transitions.filter((t) => t.kind === 'start-task');
    const inScript = setup.find((t) => t.status === 'RUNNING_SETUP_SCRIPT')!;
    const after = setup.find((t) => t.status === 'SETTING_UP_GIT_HOOKS')!;
    expect(after.at - inScript.at).toBeGreaterThan(5 * 60_000); // service time
    // nothing declared it dead, nothing paused its sandbox
    expect(r.stdout).not.toMatch(/without a change/);
    expect(emu.requests.some(isPause)).toBe(false);
    expect(emu.sandboxes[0]?.status).toBe('RUNNING');
  }, 60_000);
});

describe('[api: statuses] one MISSING read', () => {
  it('does not end a wait: finished run: the sandbox is read again and the run ends finished', async () => {
    const w = await open();
    const { emu, run } = w;
    emu.setDefaultScenario({ stepMs: 500, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 6000, status: 'finished' }] });
    const running = run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 30_000 });
    // the ownership read and the finish wait's first read are done: the next read (the finish) fails its runtime lookup
    await untilIn(() => conversationReads(w) >= 2 && transitionAt(w, 'finished') === undefined, 'the finish wait');
    emu.failRuntime(1, 'lookup');
    const r = await running;
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('finished');
    expect(r.outputs['sandbox-status']).toBe('RUNNING');
    expect(emu.runtimeFailuresLeft()).toBe(0); // the MISSING was really served
  }, 40_000);

  it('does not make a live conversation look dead: a new trigger follows up instead of paying for a second start', async () => {
    const { emu, run, starts } = await open();
    emu.setDefaultScenario({ stepMs: 500, execution: [{ afterMs: 0, status: 'running' }] });
    const first = await run({ event: 'issues', payload: labeled(), runId: '1601' });
    expect(first.outputs.status).toBe('ready');
    emu.failRuntime(1, 'lookup');
    const second = await run({ event: 'issue_comment', payload: issueComment({ body: '@openhands also the docs', sender: 'Codertocat' }), runId: '1602' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('followed_up');
    expect(starts()).toBe(1);
    expect(emu.runtimeFailuresLeft()).toBe(0);
  }, 30_000);
});

describe('[api: follow-ups] send-message answers 502 but delivers', () => {
  it('a follow-up sent while the agent is mid-step is reported as sent, and not sent twice', async () => {
    // the app server's proxy gives up after (a scaled) 30 s; the agent's step takes longer
    const { emu, run } = await open({ emulator: { sendMessageTimeoutMs: 500 } });
    // the agent's first step (12 s) is still under way when the follow-up comes
    emu.setDefaultScenario({ stepMs: 12_000, execution: [{ afterMs: 0, status: 'running' }] });
    const first = await run({ event: 'issues', payload: labeled(), runId: '1611' });
    expect(first.outputs.status).toBe('ready');
    const second = await run({ event: 'issue_comment', payload: issueComment({ body: '@openhands also the changelog', sender: 'Codertocat' }), runId: '1612', timeoutMs: 30_000 });
    const sends = emu.requests.filter((r) => r.path.endsWith('/send-message'));
    expect(sends.map((r) => r.status)).toEqual([502]);
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('followed_up');
    expect(second.stdout).toContain('Looking for it');
    expect(second.stdout).toContain('The follow-up message arrived');
    const delivered = emu.events(first.outputs['conversation-id']!).filter((e) => e.kind === 'MessageEvent' && e.source === 'user' && JSON.stringify(e).includes('also the changelog'));
    expect(delivered).toHaveLength(1);
  }, 40_000);
});

describe('[api: pause-resume] pause answers 404 on a runtime error', () => {
  it('a finish-timeout pauses the sandbox on the second try', async () => {
    const { emu, run } = await open();
    emu.setDefaultScenario({ stepMs: 500, execution: [{ afterMs: 0, status: 'running' }] });
    emu.failRuntime(1, 'pause');
    const r = await run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '2s' }, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('timed_out');
    expect(emu.requests.filter(isPause).map((q) => q.status)).toEqual([404, 200]);
    expect(emu.sandboxes[0]?.status).toBe('PAUSED');
    expect(r.outputs['sandbox-status']).toBe('PAUSED');
    expect(r.annotations.errors.join('\n')).toContain('the sandbox was paused so it stops costing money');
  }, 30_000);
});

describe('[api: agent-server] the event socket under a long step', () => {
  it('a first frame that waits longer than a handshake timeout is normal: one socket, no reconnect, the finish seen live', async () => {
    const w = await open();
    const { emu, run } = w;
    // one long tool run (20 s, longer than the 15 s a handshake may take) holds the state lock:
    // the socket's first frame waits for it
    emu.setDefaultScenario({ stepMs: 20_000, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 20_000, status: 'finished' }] });
    const r = await run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 45_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('finished');
    const conns = emu.agentServer.connections;
    expect(conns).toHaveLength(1);
    expect(r.stdout).not.toMatch(/Live events: (could not connect|connection lost)/);
    expect(r.stdout).toContain('Live events: connected');
    // the finish came over the socket: seen at once, not at the next safety poll
    expect(r.exitedAt - transitionAt(w, 'finished')!).toBeLessThan(10_000);
  }, 60_000);
});

describe('[api: statuses] a person pauses the conversation in the web app', () => {
  it('ends the run at once as interrupted, and says why', async () => {
    const w = await open();
    const { emu, run, gh } = w;
    emu.setDefaultScenario({ stepMs: 500, execution: [{ afterMs: 0, status: 'running' }] });
    const running = run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '20s' }, timeoutMs: 40_000 });
    await untilIn(() => conversationReads(w) >= 2, 'the finish wait');
    const id = String(emu.conversations[0]?.id);
    const pausedAt = now();
    expect(emu.userPause(id)).toBe(true);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('interrupted');
    expect(r.exitedAt - pausedAt).toBeLessThan(15_000); // not the 20 s finish-timeout
    const why = /Someone paused the conversation in the OpenHands web app/;
    expect(r.annotations.errors.join('\n')).toMatch(why);
    expect(gh.commentsOn(1)[0]?.body).toMatch(why);
  }, 50_000);
});

describe('a ready-timeout before the start made its sandbox', () => {
  it('keeps watching the start task and pauses the sandbox once it appears', async () => {
    const { emu, run } = await open();
    // the runtime takes 4 s to give the start its sandbox; the run gives up after 1 s
    emu.setDefaultScenario({ phaseMs: 20, phaseDurations: { WORKING: 4000, WAITING_FOR_SANDBOX: 60_000 } });
    const r = await run({ event: 'issues', payload: labeled(), inputs: { 'ready-timeout': '1s' }, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('timed_out');
    expect(r.stdout).toContain('watching it for up to');
    const sandboxId = emu.tasks[0]?.sandbox_id as string;
    expect(sandboxId).toBe(r.outputs['conversation-id']);
    expect(emu.requests.filter(isPause).map((q) => q.path)).toEqual([`/api/v1/sandboxes/${sandboxId}/pause`]);
    expect(emu.sandboxes.find((s) => s.id === sandboxId)?.status).toBe('PAUSED');
  }, 40_000);
});

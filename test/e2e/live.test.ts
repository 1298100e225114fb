/**
 * Live events. Through the built action against the emulator and its agent server:
 * the finish is seen over the socket at once, polling takes over when the socket is refused or
 * keeps dropping, the client never sends a frame other than the auth frame, the session key
 * stays secret, and the agent's PR is found with and without the socket.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueComment, issueLabeled } from './payloads.ts';
import { everythingVisible, world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  // In every live test the client sent the auth frame and nothing else ([api: agent-server]).
  expect(w.emu.agentServer.userFrames()).toEqual([]);
  expect(w.emu.agentServer.socketFrames.every((f) => f.role === 'auth')).toBe(true);
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });
const at = (status: string): number => w.emu.transitions.find((t) => t.kind === 'execution' && t.status === status)?.at ?? NaN;
const readyAt = (): number => w.emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY')?.at ?? NaN;
/** App-server requests of the action (not the agent server) in [from, to). */
const appReads = (from: number, to: number) => w.emu.requests.filter((r) => r.at >= from && r.at < to);

describe('finish over the socket', () => {
  it('the finish is seen at once and the app server is hardly read while the agent works', async () => {
    const workMs = 12_000;
    w.emu.setDefaultScenario({ stepMs: 1000, execution: [{ afterMs: 0, status: 'running' }, { afterMs: workMs, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 40_000 });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('finished');
    const finished = at('finished');
    // Outputs are written before exit; with the safety poll at 60 s, only the socket can end it this fast.
    expect(run.exitedAt - finished).toBeLessThan(5000);
    // While the agent worked (after the socket came up), ≤ 2 app-server reads a minute.
    const conn = w.emu.agentServer.connections[0];
    expect(conn?.auth).toBe('frame');
    const working = appReads((conn?.at ?? readyAt()) + 2000, finished);
    expect(working.length, JSON.stringify(working.map((r) => `${r.method} ${r.path}`))).toBeLessThanOrEqual(Math.ceil((2 * (finished - readyAt())) / 60_000));
  }, 60_000);
});


describe('what the socket cannot say', () => {
  it('a sandbox the service pauses mid-run drops the socket: noticed at once, not at the 60 s safety poll', async () => {
    w.emu.setDefaultScenario({ stepMs: 1000, execution: [{ afterMs: 0, status: 'running' }] });
    const running = w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 30_000 });
    const deadline = Date.now() + 20_000;
    while (!w.emu.agentServer.connections.some((c) => c.auth === 'frame' && c.framesSent > 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const sandboxId = w.emu.conversations[0]?.sandbox_id as string;
    w.emu.pauseSandbox(sandboxId);
    const pausedAt = performance.timeOrigin + performance.now();
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('interrupted');
    expect(run.outputs['sandbox-status']).toBe('PAUSED');
    expect(run.exitedAt - pausedAt).toBeLessThan(5000);
  }, 40_000);
});

describe('polling fallback', () => {
  // Long enough for the socket to be given up (five failed connections, 1 s doubling back-off).
  const scenario = { stepMs: 1000, execution: [{ afterMs: 0, status: 'running' as const }, { afterMs: 20_000, status: 'finished' as const }] };

  it.each([
    ['refused', { kind: 'refuse', times: Infinity }, 'Live events: could not connect'],
    // (a socket that brings a new event before it drops makes progress, and is kept)
    ['dropped right after it opens, every time', { kind: 'drop', afterMs: 1, times: Infinity }, 'Live events: connection lost'],
  ] as const)('socket %s: the run still ends finished, within the polling schedule', async (_name, fault, logged) => {
    w.emu.agentServer.addSocketFault(fault);
    w.emu.setDefaultScenario(scenario);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 40_000 });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('finished');
    expect(run.outputs['final-message']).toBe('Done.');
    // finishPollDelay is ≤ 5 s in the first minute: the finish is seen within one interval (+ slack).
    expect(run.exitedAt - at('finished')).toBeLessThan(6000);
    // It gave up on the socket after a few tries, instead of hammering the agent server.
    const conns = w.emu.agentServer.connections;
    expect(conns.length).toBeGreaterThan(0);
    expect(conns.length).toBe(5);
    expect(run.stdout).toContain('polling instead');
    expect(run.stdout).toContain(logged);
    const lastTry = Math.max(...conns.map((c) => c.at));
    // after that, the app server is polled on the schedule (reads at least every 5 s)
    const reads = appReads(lastTry, at('finished')).map((r) => r.at);
    const gaps = reads.slice(1).map((t, i) => t - (reads[i] ?? 0));
    expect(reads.length).toBeGreaterThan(1);
    expect(Math.max(...gaps)).toBeLessThan(5500);
    expect(run.annotations.warnings).toEqual([]);
  }, 60_000);
});

describe('a dropped socket', () => {
  it('reconnects with resend_mode=since and misses nothing: the finish is still seen at once', async () => {
    // the first two sockets die 2 s in (no close frame); the agent goes on meanwhile
    w.emu.agentServer.addSocketFault({ kind: 'drop', afterMs: 2000, times: 2 });
    w.emu.setDefaultScenario({ stepMs: 700, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 6000, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 30_000 });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('finished');
    const conns = w.emu.agentServer.connections;
    // At least one reconnect (the second drop may come after the finish on a loaded machine).
    expect(conns.length).toBeGreaterThanOrEqual(2);
    expect(conns.length).toBeLessThanOrEqual(3);
    expect(conns[0]?.query.get('resend_mode')).toBe('all');
    for (const c of conns.slice(1)) {
      expect(c.query.get('resend_mode')).toBe('since');
      expect(c.query.get('after_timestamp')).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(run.exitedAt - at('finished')).toBeLessThan(3000);
    expect(run.stdout).not.toContain('polling instead');
  }, 40_000);
});

describe('secrets', () => {
  it('the session key (sent in the auth frame) appears in no log, output, comment or summary', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 1500, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    const [key] = w.emu.sessionApiKeys();
    expect(key).toBeTruthy();
    // the key went over the socket, in the auth frame only, and nowhere in the URL
    expect(w.emu.agentServer.socketFrames.map((f) => f.data)).toEqual([JSON.stringify({ type: 'auth', session_api_key: key })]);
    expect(w.emu.agentServer.connections.every((c) => !c.query.has('session_api_key') && c.auth === 'frame')).toBe(true);
    const visible = everythingVisible(run, w.gh);
    expect(visible).not.toContain(key);
    expect(run.masks).toContain(key);
  });
});

describe("the agent's pull request", () => {
  const prUrl = 'https://github.com/octo-org/octo-repo/pull/314';
  it.each([
    ['the socket up (live events)', false],
    ['the socket refused (app-server events)', true],
  ])('pr-number and pr-url with %s', async (_name, refused) => {
    if (refused) w.emu.agentServer.addSocketFault({ kind: 'refuse', times: Infinity });
    w.emu.setDefaultScenario({ agentPr: { url: prUrl }, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 1500, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['pr-number']).toBe('314');
    expect(run.outputs['pr-url']).toBe(prUrl);
    expect(w.gh.commentsOn(1)[0]?.body).toContain(prUrl);
    const searched = w.emu.requests.some((r) => r.path.endsWith('/events/search'));
    expect(searched).toBe(refused);
  });

  it("the start asks the agent to put this conversation's link in the PR description", async () => {
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'none' } });
    const id = run.outputs['conversation-id'] ?? '';
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const start = w.emu.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/app-conversations')?.body as { initial_message: { content: { text: string }[] } };
    expect(start.initial_message.content[0]?.text).toContain(`- Put the link to this conversation, ${w.emu.url}/conversations/${id}, in the description of any pull request you open.`);
  });

  it('no PR: the outputs stay empty', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 500, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.outputs['pr-number']).toBe('');
    expect(run.outputs['pr-url']).toBe('');
  });
});

describe('follow-up with wait: finished', () => {
  it('waits for its own end, following the socket from our message on', async () => {
    w.emu.setDefaultScenario({
      finalMessage: 'The first answer',
      followUp: {
        execution: [
          { afterMs: 2000, status: 'running' },
          { afterMs: 4000, status: 'finished' },
        ],
        finalMessage: 'The second answer',
      },
    });
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '501', inputs: { wait: 'finished' } });
    expect(first.outputs.status).toBe('finished');
    const before = w.emu.agentServer.connections.length;
    const second = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands more', sender: 'Codertocat' }), runId: '502', inputs: { wait: 'finished' } });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('finished');
    expect(second.outputs['final-message']).toBe('The second answer');
    const sent = w.emu.requests.find((r) => r.path.endsWith('/send-message'))?.at ?? NaN;
    const ends = w.emu.transitions.filter((t) => t.kind === 'execution' && t.status === 'finished');
    expect(ends).toHaveLength(2);
    expect(second.exitedAt).toBeGreaterThan(ends[1]?.at ?? Infinity);
    expect(second.exitedAt - (ends[1]?.at ?? 0)).toBeLessThan(3000);
    expect(ends[1]?.at ?? 0).toBeGreaterThan(sent);
    const conn = w.emu.agentServer.connections[before];
    expect(conn?.query.get('resend_mode')).toBe('since');
    expect(conn?.query.get('after_timestamp')).toBeTruthy();
  }, 40_000);

  it.each([
    ['the socket up', false],
    ['the socket refused', true],
  ])("with %s, the previous run's end arriving late on the app server is not taken for ours", async (_name, refused) => {
    // The app server gets events in batches ([api: events]; 30 s in production): the previous run's
    // `finished` reaches it only after our message was sent.
    w.emu.setDefaultScenario({
      eventBufferSize: 1000,
      eventFlushMs: 2500,
      finalMessage: 'The first answer',
      followUp: {
        execution: [
          { afterMs: 4000, status: 'running' },
          { afterMs: 5000, status: 'finished' },
        ],
        finalMessage: 'The second answer',
      },
    });
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '601', inputs: { wait: 'finished' } });
    expect(first.outputs.status).toBe('finished');
    if (refused) w.emu.agentServer.addSocketFault({ kind: 'refuse', times: Infinity });
    const second = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands more', sender: 'Codertocat' }), runId: '602', inputs: { wait: 'finished' } });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs['final-message']).toBe('The second answer');
    const ends = w.emu.transitions.filter((t) => t.kind === 'execution' && t.status === 'finished');
    expect(second.exitedAt).toBeGreaterThan(ends[1]?.at ?? Infinity);
    // over the socket at once; else within a poll plus the app server's lag for the answer
    expect(second.exitedAt - (ends[1]?.at ?? 0)).toBeLessThan(refused ? 9000 : 3000);
  }, 40_000);
});

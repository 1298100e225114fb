/**
 * Many runs on one account. The sandbox cap as a limit of the action's own (a visible
 * queue, room made by pausing finished conversations this action started, never a working agent
 * or the web app's), READY then paused by the service's cap → interrupted, one conversation per
 * step, and what a run spent in its summary. Through the built action against the emulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRun } from './harness.ts';
import { issueLabeled } from './payloads.ts';
import { API_KEY, world, type World } from './world.ts';

let w: World;
afterEach(async () => {
  await w?.close();
});

const labeled = (n: number) => issueLabeled({ label: 'openhands', number: n });
const issues = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ number: from + i, title: `Task ${from + i}` }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pauseRequests = () => w.emu.requests.filter((r) => r.method === 'POST' && /\/sandboxes\/[^/]+\/pause$/.test(r.path)).map((r) => r.path.split('/')[4]);
const capPauses = () => w.emu.transitions.filter((t) => t.kind === 'sandbox' && t.status === 'PAUSED' && t.cause === 'max-sandboxes');

/** A conversation the web app started (a random id, no API trigger), its agent working; returns its sandbox. */
async function webAppConversation(): Promise<string> {
  w.emu.queueScenario({ phaseMs: 5, execution: [{ afterMs: 0, status: 'running' }] });
  const res = await fetch(`${w.emu.url}/api/v1/app-conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text: 'by hand' }], run: true } }),
  });
  const task = (await res.json()) as { id: string };
  for (;;) {
    const t = w.emu.tasks.find((x) => x.id === task.id);
    if (t?.status === 'READY') return String(t.sandbox_id);
    await sleep(10);
  }
}

const commentBodies = () => w.gh.requests.filter((r) => (r.method === 'POST' || r.method === 'PATCH') && /\/comments/.test(r.path)).map((r) => JSON.stringify(r.body ?? ''));

describe('the sandbox cap (max-sandboxes)', () => {
  it('a run beyond max-sandboxes waits in a visible queue, then makes room by pausing a finished conversation of this action, never the web app\'s working agent', async () => {
    w = await world({ github: { issues: issues(30, 3) } });
    const webApp = await webAppConversation();
    // Two runs fill max-sandboxes 3 with the web app's; their agents work for 2 s.
    w.emu.setDefaultScenario({ phaseMs: 20, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 2000, status: 'finished' }] });
    const inputs = { wait: 'ready', 'max-sandboxes': '3', 'ready-timeout': '30s' };
    const first = await Promise.all([30, 31].map((n) => w.run({ event: 'issues', payload: labeled(n), inputs, timeoutMs: 60_000 })));
    expect(first.map((r) => r.outputs.status)).toEqual(['ready', 'ready']);
    const queued = w.run({ event: 'issues', payload: labeled(32), inputs, timeoutMs: 60_000 });
    // The third waits: the account is full and no agent has finished. Once one has (and a minute
    // passed, as the emulator's clock is aged: the conversation, and its sandbox, are older), the
    // queue pauses it and starts.
    for (let i = 0; i < 400 && !commentBodies().some((b) => b.includes('queued: 3 of 3 sandboxes in use on this account')); i++) await sleep(25);
    const finishedFirst = first[0]!.outputs['conversation-id'] as string;
    for (let i = 0; i < 400 && w.emu.conversations.find((c) => c.id === finishedFirst)?.execution_status !== 'finished'; i++) await sleep(25);
    w.emu.ageConversation(finishedFirst, 2 * 60_000, { started: true });
    const run = await queued;
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(run.stdout).toContain('queued: 3 of 3 sandboxes in use on this account (max-sandboxes 3)');
    expect(commentBodies().some((b) => b.includes('queued: 3 of 3 sandboxes in use on this account'))).toBe(true);
    expect(run.stdout).toContain(`Paused the sandbox ${finishedFirst} of a finished conversation this action started`);
    // only the finished one was paused: not the web app's working agent, not the other run's
    expect(pauseRequests()).toEqual([finishedFirst]);
    expect(w.emu.sandboxes.find((s) => s.id === webApp)?.status).toBe('RUNNING');
    expect(capPauses()).toEqual([]);
    expect(run.summary).toMatch(/Sandbox queue: waited \d+ s \(max-sandboxes 3\); paused 1 finished conversation/);
    expect(run.summary).toMatch(/OpenHands requests: `\d+`/);
  }, 90_000);

  it('a burst of 6 runs on max-sandboxes 4: the queue holds the ones beyond it until finished conversations make room; the cap of the service pauses nobody', async () => {
    // The service's cap (6) two above max-sandboxes, as the default (8 on 10) leaves it.
    w = await world({ emulator: { maxSandboxes: 6 }, github: { issues: issues(40, 6) } });
    const webApp = await webAppConversation();
    // Agents work 8 s (far longer than a run takes to spawn and look, even on a busy machine):
    // the fourth and later runs find the account full of working agents.
    w.emu.setDefaultScenario({ phaseMs: 20, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 8000, status: 'finished' }] });
    const inputs = { wait: 'ready', 'max-sandboxes': '4', 'ready-timeout': '24s' };
    // Label events a few hundred ms apart. Once a run has ended (so nobody reads its answer any
    // more), its finished conversation is aged past the queue's one-minute grace.
    const runs: Promise<ActionRun>[] = [];
    const ended = async (run: ActionRun): Promise<ActionRun> => {
      const id = run.outputs['conversation-id'] as string;
      for (let i = 0; i < 400 && w.emu.conversations.find((c) => c.id === id)?.execution_status !== 'finished'; i++) await sleep(25);
      w.emu.ageConversation(id, 61_000, { started: true });
      return run;
    };
    for (let i = 0; i < 6; i++) {
      runs.push(w.run({ event: 'issues', payload: labeled(40 + i), inputs, timeoutMs: 60_000 }).then(ended));
      await sleep(400);
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => r.outputs.status), results.map((r) => r.stdout).join('\n----\n')).toEqual(Array(6).fill('ready'));
    expect(results.filter((r) => r.stdout.includes('queued: 4 of 4 sandboxes in use on this account')).length).toBeGreaterThanOrEqual(1);
    // the service's own cap never bit
    expect(capPauses()).toEqual([]);
    expect(w.emu.sandboxes.find((s) => s.id === webApp)?.status).toBe('RUNNING');
    expect(pauseRequests().length).toBeGreaterThanOrEqual(1);
    expect(pauseRequests()).not.toContain(webApp);
    expect(new Set(results.map((r) => r.outputs['conversation-id'])).size).toBe(6);
  }, 90_000);

  it('a queue that stays full for ready-timeout ends timed_out, naming the input and the queue, and starts nothing', async () => {
    w = await world({ github: { issues: issues(50, 2) } });
    const webApp = await webAppConversation();
    // The web app's agent and one run's agent work on; nothing of this action ever finishes.
    w.emu.setDefaultScenario({ phaseMs: 20, execution: [{ afterMs: 0, status: 'running' }] });
    const inputs = { wait: 'ready', 'max-sandboxes': '2', 'ready-timeout': '5s' };
    const first = await w.run({ event: 'issues', payload: labeled(50), inputs });
    expect(first.outputs.status).toBe('ready');
    const run = await w.run({ event: 'issues', payload: labeled(51), inputs, timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(run.annotations.errors.join('\n')).toMatch(/A free sandbox \(queued: 2 of 2 sandboxes in use on this account, max-sandboxes 2\) did not happen within \d+s \(input 'ready-timeout'\)/);
    expect(w.starts()).toBe(2); // the web app's and the first run's: the queued run sent none
    expect(pauseRequests()).toEqual([]);
    expect(w.emu.sandboxes.find((s) => s.id === webApp)?.status).toBe('RUNNING');
    expect(w.gh.commentsOn(51)[0]?.body).toContain('Timed out');
  });

  it('READY after the service paused the sandbox (its cap, [api: auto-pause]): interrupted with the reason, never ready', async () => {
    w = await world({ emulator: { maxSandboxes: 2 } });
    // A long skills phase: the sandbox runs while the start is not READY yet.
    w.emu.setDefaultScenario({ phaseMs: 20, phaseDurations: { SETTING_UP_SKILLS: 4000 } });
    const running = w.run({ event: 'issues', payload: labeled(1), inputs: { wait: 'ready', 'max-sandboxes': '0' } });
    for (let i = 0; i < 400 && !w.emu.tasks.some((t) => t.status === 'SETTING_UP_SKILLS'); i++) await sleep(10);
    // Meanwhile two conversations start in the web app: the second one's start pauses the oldest.
    await webAppConversation();
    await webAppConversation();
    const run = await running;
    expect(capPauses().map((t) => t.conversationId)).toEqual([run.outputs['conversation-id']]);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('interrupted');
    expect(run.outputs['sandbox-status']).toBe('PAUSED');
    expect(run.annotations.errors.join('\n')).toContain("the account's sandbox cap");
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Interrupted');
  });
});

describe('one conversation per step', () => {
  it('two matrix legs that differ only in their prompt start two conversations, each with its own task', async () => {
    w = await world();
    const leg = (prompt: string) => w.run({ event: 'workflow_dispatch', payload: {}, runId: '4242', inputs: { prompt, comment: 'false', wait: 'ready' } });
    const [a, b] = await Promise.all([leg('Fix the docs'), leg('Fix the tests')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.outputs['conversation-id']).not.toBe(b.outputs['conversation-id']);
    expect(w.starts()).toBe(2);
    const texts = w.emu.tasks.map((t) => JSON.stringify(t.request));
    expect(texts.some((t) => t.includes('Fix the docs'))).toBe(true);
    expect(texts.some((t) => t.includes('Fix the tests'))).toBe(true);
  });

  it('two matrix legs that differ only in their model start two conversations, each on its model', async () => {
    w = await world();
    const leg = (model: string) => w.run({ event: 'workflow_dispatch', payload: {}, runId: '4244', inputs: { prompt: 'Fix the docs', 'llm-model': model, comment: 'false', wait: 'ready' } });
    const [a, b] = await Promise.all([leg('openai/gpt-5'), leg('anthropic/claude-sonnet-4-5')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.outputs['conversation-id']).not.toBe(b.outputs['conversation-id']);
    expect(w.emu.tasks.map((t) => (t.request as { llm_model?: string }).llm_model).sort()).toEqual(['anthropic/claude-sonnet-4-5', 'openai/gpt-5']);
  });

  it('a second step that shares the first one\'s comment (same comment-key and issue) fails loudly instead of taking over its conversation', async () => {
    w = await world();
    const step = (prompt: string) => w.run({ event: 'issues', payload: labeled(1), runId: '4343', inputs: { prompt, wait: 'ready' } });
    const first = await step('Fix the docs');
    expect(first.code).toBe(0);
    const second = await step('Fix the tests');
    expect(second.code).toBe(1);
    expect(second.annotations.errors.join('\n')).toMatch(/Input 'comment-key'.*another step or matrix leg of this workflow run/);
    expect(w.starts()).toBe(1);
    // the first step's comment is left as it was
    expect(w.gh.commentsOn(1)).toHaveLength(1);
    expect(w.gh.commentsOn(1)[0]?.body).toContain(first.outputs['conversation-id']);
  });
});

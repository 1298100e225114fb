// run() in this process (src/main.ts, not the bundle): the whole sequence (decide, plan, act,
// ready, finish, endRun) against the emulator and the GitHub fake, with a typed @actions/core
// stand-in and the runner's environment stubbed. Edits to src/ are tested without a build; the
// runner contract (file commands, masks, post step, signals) stays with test/e2e on dist/.
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/main.ts';
import { runnerEnv, type RunActionOptions } from '../e2e/harness.ts';
import { issueComment, issueLabeled } from '../e2e/payloads.ts';
import { API_KEY, world, type World } from '../e2e/world.ts';
import { recorded, resetCore } from '../support/core-stub.ts';

vi.mock('@actions/core', () => import('../support/core-stub.ts'));

let w: World;
const temps: string[] = [];
beforeEach(async () => {
  w = await world();
  resetCore();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await w.close();
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** Runs run() with the environment the runner would give the step (inputs as under `with:`). */
async function runHere(opts: Omit<RunActionOptions, 'githubApiUrl'>, signal = new AbortController().signal): Promise<void> {
  const { env, tmp } = runnerEnv({ ...opts, githubApiUrl: w.gh.url, inputs: { 'api-key': API_KEY, 'base-url': w.emu.url, ...opts.inputs } });
  temps.push(tmp);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  await run({ env: process.env, signal });
}

const labeled = () => issueLabeled({ label: 'openhands', title: 'Fix the typo' });

describe('run() in process', () => {
  it('wait: ready: one start, the link in the outputs and the comment, a summary, no failure', async () => {
    await runHere({ event: 'issues', payload: labeled() });
    expect(recorded.failed).toEqual([]);
    expect(recorded.outputs.status).toBe('ready');
    const id = recorded.outputs['conversation-id'];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(recorded.outputs['conversation-url']).toBe(`${w.emu.url}/conversations/${id}`);
    expect(w.starts()).toBe(1);
    const [comment] = w.gh.commentsOn(1);
    expect(String(comment?.id)).toBe(recorded.outputs['comment-id']);
    expect(comment?.body).toContain('Ready');
    expect(recorded.summary).toContain('Ready');
    expect(recorded.secrets).toContain(API_KEY);
  });

  it('wait: finished: the agent finished, its final message in the outputs', async () => {
    await runHere({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(recorded.failed).toEqual([]);
    expect(recorded.outputs.status).toBe('finished');
    expect(recorded.outputs['final-message']).not.toBe('');
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Finished');
  });

  it('not a trigger: skipped with its reason, and no request to OpenHands', async () => {
    await runHere({ event: 'issues', payload: issueLabeled({ label: 'bug' }) });
    expect(recorded.failed).toEqual([]);
    expect(recorded.outputs.status).toBe('skipped');
    expect(recorded.outputs['skip-reason']).toContain("'bug'");
    expect(recorded.summary).toContain('Skipped');
    expect(w.emu.requests).toEqual([]);
  });

  it('a bad input fails before any request, naming the input', async () => {
    await runHere({ event: 'issues', payload: labeled(), inputs: { wait: 'sometimes' } });
    expect(recorded.outputs.status).toBe('error');
    expect(recorded.failed).toHaveLength(1);
    expect(recorded.failed[0]).toContain("'wait'");
    expect(w.emu.requests).toEqual([]);
  });

  it("an outsider's mention is held for approval: nothing starts, the conversation outputs stay empty", async () => {
    await runHere({ event: 'issue_comment', payload: issueComment({ body: '@openhands please fix', number: 1, sender: 'eve' }) });
    expect(recorded.failed).toEqual([]);
    expect(recorded.outputs.status).toBe('awaiting_approval');
    expect(recorded.outputs['conversation-id']).toBe('');
    expect(w.starts()).toBe(0);
    expect(w.gh.commentsOn(1).at(-1)?.body).toMatch(/approv/i);
  });

  it('a failure after the start (finish-timeout) ends timed_out, fails the step and pauses the own sandbox', async () => {
    w.emu.setDefaultScenario({ phaseMs: 5, execution: [{ afterMs: 0, status: 'running' }] });
    await runHere({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '2s' } });
    expect(recorded.outputs.status).toBe('timed_out');
    expect(recorded.failed).toHaveLength(1);
    expect(w.emu.sandboxes[0]?.status).toBe('PAUSED');
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Timed out');
  });
});

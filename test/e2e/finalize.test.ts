/**
 * mode: finalize, through the built action: a run hands the conversation over (wait: ready), the
 * agent ends later, and a finalize run on a schedule brings the comment and the check run to the
 * state wait: finished would have written, with the final message and the agent's PR.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markerKeyOf, markerLine, parseMarker } from '../../src/marker.ts';
import { issueLabeled, prLabeled, schedule, workflowDispatch } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const AGENT_PR = 'https://github.com/octo-org/octo-repo/pull/77';
const pr = () => prLabeled({ label: 'openhands', number: 2 });
/** The agent works `ms`, then finishes with a message naming the PR it opened. */
const worksFor = (ms: number) =>
  w.emu.setDefaultScenario({
    execution: [
      { afterMs: 0, status: 'running' },
      { afterMs: ms, status: 'finished' },
    ],
    finalMessage: `Fixed the README typo in ${AGENT_PR}.`,
    agentPr: { url: AGENT_PR },
  });
const handOver = (inputs: Record<string, string> = {}) =>
  w.run({ event: 'pull_request', payload: pr(), runId: '900', inputs: { wait: 'ready', finalize: 'scheduled', ...inputs } });
const finalizeRun = (runId = '950', inputs: Record<string, string> = {}) =>
  w.run({ event: 'schedule', payload: schedule(), runId, workflow: 'OpenHands finalize', job: 'finalize', inputs: { mode: 'finalize', ...inputs } });
const ohSince = (n: number) => w.ohRequests().slice(n);

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const conv = () => w.emu.conversations[0] as { id: string; sandbox_id: string; execution_status: string | null; metrics: { accumulated_cost: number } | null } | undefined;
const agentEnded = () => until(() => conv()?.execution_status === 'finished');
const costNow = () => conv()?.metrics?.accumulated_cost ?? 0;

describe('a handed-over conversation, finalized later', () => {
  it('brings the PR comment and the check run to finished, with the final message and the agent PR', async () => {
    worksFor(1200);
    const first = await handOver();
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs.status).toBe('ready');
    const held = w.gh.commentsOn(2)[0]?.body ?? '';
    expect(held).toContain('still working');
    expect(held).toContain('a scheduled finalize run posts the agent');
    // finalize: scheduled: the check run waits for the finalize run instead of ending neutral.
    expect(w.gh.checkRuns).toHaveLength(1);
    expect(w.gh.checkRuns[0]).toMatchObject({ status: 'in_progress', conclusion: null });
    // The post step leaves it in progress too (it is not a killed run's).
    const post = await w.run({ event: 'pull_request', payload: pr(), runId: '900', phase: 'post', state: first.state, inputs: { wait: 'ready', finalize: 'scheduled' } });
    expect(post.code).toBe(0);
    expect(w.gh.checkRuns[0]?.status).toBe('in_progress');

    await agentEnded();
    const before = w.ohRequests().length;
    const fin = await finalizeRun();
    expect(fin.code, fin.stdout + fin.stderr).toBe(0);
    expect(fin.outputs).toMatchObject({ finalized: '1', 'still-running': '0' });
    const comments = w.gh.commentsOn(2);
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body).toContain('✅ Finished');
    expect(body).toContain('Fixed the README typo');
    expect(body).toMatch(/Pull request opened by the agent:\*\* \[octo-org\/octo-repo#77\]/);
    expect(body).toContain('**Cost:**');
    expect(body).toContain('requested by @');
    expect(w.gh.checkRuns).toHaveLength(1);
    expect(w.gh.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(w.gh.checkRuns[0]?.output.title).toBe('✅ Finished');
    expect(fin.summary).toContain('Finalized (1)');
    expect(fin.summary).toContain(`/conversations/${w.emu.conversations[0]?.id}`);
    // One batch read, plus what the ended conversation needs (its final message from the agent server).
    const oh = ohSince(before);
    expect(oh.filter((r) => r === 'GET /api/v1/app-conversations')).toHaveLength(1);
    expect(oh.every((r) => !r.startsWith('POST'))).toBe(true);

    // A second finalize run finds nothing left to do: no OpenHands request at all.
    const after = w.ohRequests().length;
    const again = await finalizeRun('951');
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ finalized: '0', 'still-running': '0' });
    expect(ohSince(after)).toEqual([]);
    expect(w.gh.commentsOn(2)[0]?.body).toBe(body);
  });

  it('a conversation still working is left working, with its time and cost refreshed', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], stepMs: 100, costPerStep: 0.05 });
    const first = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'ready' } });
    expect(first.code, first.stdout).toBe(0);
    await until(() => costNow() > 0);
    const fin = await finalizeRun();
    expect(fin.code, fin.stdout).toBe(0);
    expect(fin.outputs).toMatchObject({ finalized: '0', 'still-running': '1' });
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('🟢 Ready: the agent is still working');
    expect(body).toMatch(/\*\*Cost:\*\* \$\d/);
    expect(fin.summary).toContain('Still running');
    expect(fin.summary).toMatch(/working for .*\$\d/);
  });

  it('a conversation the service paused mid-run is finalized as interrupted, with the reason', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], stepMs: 200 });
    const first = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'ready' } });
    expect(first.code, first.stdout).toBe(0);
    const id = conv()?.id as string;
    expect(w.emu.pauseSandbox(conv()?.sandbox_id as string)).toBe(true);
    const fin = await finalizeRun();
    expect(fin.code, fin.stdout).toBe(0);
    expect(fin.outputs.finalized).toBe('1');
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('⏸️ Interrupted');
    expect(body).toContain('The sandbox turned PAUSED while the agent was working');
    expect(body).toContain(id);
  });

  it('over max-cost: the sandbox is paused and the comment says over_budget', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], stepMs: 50, costPerStep: 0.5 });
    const first = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'ready', 'max-cost': '1.00' } });
    expect(first.code, first.stdout).toBe(0);
    await until(() => costNow() > 1);
    const fin = await finalizeRun();
    expect(fin.code, fin.stdout).toBe(0);
    expect(fin.outputs.finalized).toBe('1');
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('💸 Over budget');
    expect(body).toContain('the sandbox was paused');
    expect(w.emu.sandboxes[0]?.status).toBe('PAUSED');
  });
});

describe('what a finalize run leaves alone', () => {
  it('with nothing to do it makes no OpenHands request (and needs no API key)', async () => {
    w.gh.addComment({ issue_number: 1, body: 'an ordinary comment' });
    const fin = await w.run({ event: 'workflow_dispatch', payload: workflowDispatch(), inputs: { mode: 'finalize', 'api-key': '' } });
    expect(fin.code, fin.stdout + fin.stderr).toBe(0);
    expect(fin.outputs).toMatchObject({ finalized: '0', 'still-running': '0' });
    expect(w.ohRequests()).toEqual([]);
    expect(w.gh.countWrites()).toBe(0);
    expect(fin.summary).toContain('nothing to do');
  });

  it('a forged marker written by another account is ignored', async () => {
    worksFor(300);
    await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'ready' } });
    await agentEnded();
    const real = w.gh.commentsOn(1)[0];
    // Someone copies the marker (conversation and all) into a comment of their own elsewhere,
    // one older than ours (a lower id), which would win if its author were trusted.
    w.gh.addComment({ issue_number: 7, body: real?.body ?? '', user: 'mallory', id: 3_000_000_000 });
    const forged = w.gh.commentsOn(7)[0];
    const fin = await finalizeRun();
    expect(fin.outputs.finalized).toBe('1');
    expect(w.gh.commentsOn(7)[0]?.body).toBe(forged?.body);
    expect(w.gh.commentsOn(1)[0]?.body).toContain('✅ Finished');
    expect(fin.summary).not.toContain('#7');
  });

  it('a dry run reads no conversation and writes nothing, and says what it would finalize', async () => {
    worksFor(300);
    await handOver();
    await agentEnded();
    const before = w.ohRequests().length;
    // GraphQL's `viewer` (who the token is, for the trust rule) is a POST that only reads.
    const writes = () => w.gh.requests.filter((r) => r.method !== 'GET' && !/\/graphql$/.test(r.path)).length;
    const writesBefore = writes();
    const fin = await finalizeRun('970', { 'dry-run': 'true' });
    expect(fin.code, fin.stdout).toBe(0);
    expect(w.ohRequests().slice(before)).toEqual([]);
    expect(writes()).toBe(writesBefore);
    expect(fin.summary).toContain('Would read 1 conversation(s) in 1 batch read(s)');
    expect(w.gh.checkRuns[0]?.status).toBe('in_progress');
  });

  it('a forged marker alone costs no OpenHands request', async () => {
    const report = {
      key: 'x/y', status: 'ready' as const, final: true, repo: 'octo-org/octo-repo', serverUrl: 'https://github.com', baseUrl: w.emu.url,
      runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/1', runId: '1', runAttempt: 1, startedAt: Date.now(), updatedAt: Date.now(),
      actor: 'mallory', conversationId: 'a'.repeat(32), previous: [],
    };
    w.gh.addComment({ issue_number: 1, body: `${markerLine(report)}\nforged`, user: 'mallory' });
    const fin = await finalizeRun();
    expect(fin.code).toBe(0);
    expect(w.ohRequests()).toEqual([]);
  });

  it('two concurrent finalize runs: one final comment and one completed check run, each written once', async () => {
    worksFor(300);
    await handOver();
    await agentEnded();
    const patchesBefore = w.gh.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/issues/comments/')).length;
    const [a, b] = await Promise.all([finalizeRun('960'), finalizeRun('961')]);
    expect(a.code, a.stdout).toBe(0);
    expect(b.code, b.stdout).toBe(0);
    expect(Number(a.outputs.finalized) + Number(b.outputs.finalized)).toBeGreaterThanOrEqual(1);
    const comments = w.gh.commentsOn(2);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('✅ Finished');
    expect(w.gh.checkRuns).toHaveLength(1);
    expect(w.gh.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    const bodies = w.gh.requests
      .filter((r) => r.method === 'PATCH' && r.path.includes('/issues/comments/'))
      .slice(patchesBefore)
      .map((r) => (r.body as { body: string }).body);
    // Whoever wrote, wrote the same text: the finished comment is never posted in two versions.
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toBe(comments[0]?.body);
  });

  it('a run still watching (wait: finished) is not touched', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], stepMs: 200 });
    const main = w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'finished', 'finish-timeout': '5s' }, timeoutMs: 28_000 });
    // The agent works and the run's comment exists (its marker says final: false while the run watches).
    await until(() => conv()?.execution_status === 'running' && w.gh.commentsOn(1).length === 1, 20_000);
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(parseMarker(body, markerKeyOf(body) as string)?.final).toBe(false);
    const fin = await finalizeRun();
    expect(fin.outputs).toMatchObject({ finalized: '0', 'still-running': '0' });
    expect(fin.summary).toContain('nothing to do');
    const r = await main;
    expect(r.outputs.status).toBe('timed_out');
  });
});

/**
 * The action against a server that behaves as the real service does (reference [api: sources]):
 * a start that survives cut connections, dead start tasks, legacy servers that pick their own
 * ids, titles the service overwrites, sandboxes it pauses on its own, and the account's request
 * budget. Built dist, real sockets, the emulator in its [api: sources] model.
 */
import { describe, expect, it } from 'vitest';
import { phaseLimitMs } from '../../src/openhands/start.ts';

/** WAITING_FOR_SANDBOX's limit ([api: start-task]) */
const STALE_START_MS = phaseLimitMs('WAITING_FOR_SANDBOX');
import type { RecordedRequest } from '../emulator/server.ts';
import { issueComment, issueLabeled, workflowDispatch } from './payloads.ts';
import { API_KEY, sleep, until, worldPerTest } from './world.ts';

const open = worldPerTest();

const labeled = () => issueLabeled({ label: 'openhands' });

const untilIn = (pred: () => unknown, what: string, ms = 15_000): Promise<void> => until(pred, what, ms, 20);

/** The state a comment's hidden marker carries. */
function marker(body: string): Record<string, unknown> {
  const m = /state="([A-Za-z0-9_-]*)" -->/.exec(body);
  return m ? (JSON.parse(Buffer.from(m[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>) : {};
}

const where = (r: RecordedRequest) => `${r.path}?${r.query.toString()}`;
const isStartPost = (r: RecordedRequest) => r.method === 'POST' && /^\/api\/v1\/app-conversations(\/stream-start)?$/.test(r.path);

/** A start that is not the action's: another workflow, or the user in the web app. */
async function startElsewhere(emuUrl: string, text: string): Promise<void> {
  const res = await fetch(`${emuUrl}/api/v1/app-conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text }], run: true }, selected_repository: 'octo-org/other', git_provider: 'github' }),
  });
  expect(res.status).toBe(200);
}

describe('the start survives cut connections ([api: start])', () => {
  it("the POST's answer lost after the server took it, and a poll's connection reset: READY with one start, never stream-start", async () => {
    const { emu, run, starts } = await open({ emulator: { scenario: { phaseMs: 300 } } });
    emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'reset-after' });
    // a poll: through the search of the account's recent starts (same one request as by id)
    emu.addFault({ method: 'GET', path: '/api/v1/app-conversations/start-tasks/search', kind: 'reset' });
    const r = await run({ event: 'issues', payload: labeled() });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('ready');
    expect(starts()).toBe(1);
    expect(emu.tasks).toHaveLength(1);
    expect(emu.requests.some((q) => q.path.endsWith('/stream-start'))).toBe(false);
    // Both cuts happened, and the run went on polling the same task after them.
    expect(emu.requests.filter((q) => q.fault === 'reset-after' || q.fault === 'reset').map((q) => q.method)).toEqual(['POST', 'GET']);
    const taskId = emu.tasks[0]?.id as string;
    const polls = emu.requests.filter((q) => q.path.startsWith('/api/v1/app-conversations/start-tasks'));
    expect(polls.filter((q) => q.path.endsWith('/start-tasks')).every((q) => q.query.getAll('ids').join() === taskId)).toBe(true);
    expect(polls.some((q) => q.status === 200)).toBe(true);
    expect(r.outputs['start-task-id']).toBe(taskId);
  });
});

describe('dead start tasks ([api: start]: nothing sweeps a start that stopped)', () => {
  it('a re-run does not re-attach to a task that has not moved for longer than its phase limit: a new start under a new id', async () => {
    const { emu, run, starts } = await open();
    // The sandbox never comes: the task sits in WAITING_FOR_SANDBOX.
    emu.setDefaultScenario({ phaseMs: 20, phaseDurations: { WAITING_FOR_SANDBOX: 3_600_000 } });
    const payload = labeled();
    const first = await run({ event: 'issues', payload, runId: '800', inputs: { wait: 'none' } });
    expect(first.code, first.stdout).toBe(0);
    await untilIn(() => emu.tasks[0]?.status === 'WAITING_FOR_SANDBOX', 'the task to wait for its sandbox');
    expect(emu.ageTask(emu.tasks[0]?.id as string, STALE_START_MS + 60_000)).toBe(true);
    emu.setDefaultScenario({ phaseMs: 20 });
    const second = await run({ event: 'issues', payload, runId: '800', runAttempt: '2' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('ready');
    expect(second.stdout).toContain('stopped moving at WAITING_FOR_SANDBOX');
    expect(starts()).toBe(2);
    const ids = emu.requests.filter(isStartPost).map((q) => (q.body as { conversation_id: string }).conversation_id);
    expect(ids[0]).toBe(first.outputs['conversation-id']);
    expect(ids[1]).not.toBe(ids[0]);
    expect(second.outputs['conversation-id']).toBe(ids[1]);
    expect(second.outputs['start-task-id']).not.toBe(first.outputs['start-task-id']);
    // The lost start's own sandbox would run on unused: paused.
    expect(emu.sandboxes.find((x) => x.id === ids[0])?.status).toBe('PAUSED');
    expect(emu.sandboxes.find((x) => x.id === ids[1])?.status).toBe('RUNNING');
  });

  it('a task that stops moving during the run ends it with the "dead start" message, without a second start; its sandbox is paused', async () => {
    const { emu, gh, run, starts } = await open();
    emu.setDefaultScenario({ phaseMs: 20, phaseDurations: { WAITING_FOR_SANDBOX: 3_600_000 } });
    const running = run({ event: 'issues', payload: labeled() });
    await untilIn(() => emu.tasks[0]?.status === 'WAITING_FOR_SANDBOX' && emu.requests.some((q) => q.path.startsWith('/api/v1/app-conversations/start-tasks')), 'a poll');
    const agedAt = Date.now();
    emu.ageTask(emu.tasks[0]?.id as string, STALE_START_MS + 60_000);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('error');
    const dead = /has been at WAITING_FOR_SANDBOX for over 4 minutes without a change, longer than the service itself allows that phase: the service lost this start/;
    expect(r.annotations.errors.join('\n')).toMatch(dead);
    expect(gh.commentsOn(1)[0]?.body).toMatch(dead);
    expect(r.exitedAt - agedAt).toBeLessThan(8000); // the next poll tells, not the ready-timeout
    expect(starts()).toBe(1);
    // The sandbox the lost start asked for would run on, unused: it is the conversation's own, so it is paused.
    const sandboxId = emu.tasks[0]?.sandbox_id as string;
    expect(sandboxId).toBe(r.outputs['conversation-id']);
    expect(emu.sandboxes.find((x) => x.id === sandboxId)?.status).toBe('PAUSED');
    expect(emu.requests.filter((q) => q.path.endsWith('/pause')).map((q) => q.path)).toEqual([`/api/v1/sandboxes/${sandboxId}/pause`]);
    expect(r.annotations.errors.join('\n')).toContain('its sandbox was paused so it stops costing money');
  });
});

describe('a legacy server that ignores our conversation_id ([api: ids])', () => {
  it('links nothing before READY, then uses the server id everywhere; the title on the agent server', async () => {
    const { emu, gh, run } = await open({ emulator: { legacy: true, scenario: { phaseMs: 150 } } });
    emu.setDefaultScenario({ phaseMs: 150, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 300, status: 'finished' }], finalMessage: 'Legacy done.' });
    const r = await run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', title: 'Legacy title' } });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('finished');
    expect(r.outputs['final-message']).toBe('Legacy done.');

    const proposed = (emu.requests.find(isStartPost)?.body as { conversation_id: string }).conversation_id;
    const serverId = emu.conversations[0]?.id as string;
    expect(serverId).not.toBe(proposed);
    expect(r.outputs['conversation-id']).toBe(serverId);
    expect(r.outputs['conversation-url']).toBe(`${emu.url}/conversations/${serverId}`);

    // No link before READY: the proposed id would have led nowhere.
    const readyAt = emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY')?.at as number;
    const writes = gh.requests.filter((q) => q.method === 'POST' || q.method === 'PATCH');
    expect(writes.filter((q) => q.at < readyAt).length).toBeGreaterThan(0);
    for (const q of writes.filter((x) => x.at < readyAt)) expect(JSON.stringify(q.body)).not.toContain('/conversations/');
    const body = gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain(`/conversations/${serverId}`);
    expect(body).not.toContain(`/conversations/${proposed}`);
    expect(marker(body).conversationId).toBe(serverId);

    // Every call after the start names the server's id, never ours.
    const after = emu.requests.filter((q) => !isStartPost(q));
    expect(after.some((q) => where(q).includes(serverId))).toBe(true);
    expect(after.filter((q) => where(q).includes(proposed))).toEqual([]);
    // The title went to the agent server, where it sticks.
    expect(emu.agentTitle(serverId)).toBe('Legacy title');
    expect(emu.agentServer.requests.some((q) => q.method === 'PATCH' && q.path === `/api/conversations/${serverId}`)).toBe(true);
  });

  it('events come from the old route; a follow-up fails saying the server is too old and which route is missing, not with a bare 405', async () => {
    const { emu, gh, run } = await open({ emulator: { legacy: true } });
    emu.setDefaultScenario({ phaseMs: 20, execution: [{ afterMs: 0, status: 'running' }] });
    const first = await run({ event: 'issues', payload: labeled(), runId: '810' });
    expect(first.code, first.stdout).toBe(0);
    const r = await run({ event: 'issue_comment', payload: issueComment({ body: '@openhands also the docs', sender: 'Codertocat' }), runId: '811' });
    expect(r.code).toBe(1);
    const error = r.annotations.errors.join('\n');
    expect(error).toMatch(/too old for follow-ups.*no POST \/api\/v1\/app-conversations\/\{id\}\/send-message \(added 2026-04-28\)/);
    expect(error).not.toMatch(/HTTP 405/);
    expect(gh.commentsOn(1)[0]?.body).toContain('too old for follow-ups');
    const id = first.outputs['conversation-id'] as string;
    const sent = emu.requests.filter((q) => q.path.endsWith('/send-message'));
    expect(sent.map((q) => q.status)).toEqual([405]);
    expect(sent[0]?.path).toContain(id);
    // The follow-up read the events first (where the log stood): from the old route, by the server id,
    // after one probe of the new route, which such a server answers with its web app.
    const oldRoute = emu.requests.filter((q) => q.path === '/api/v1/events/search');
    expect(oldRoute.length).toBeGreaterThan(0);
    expect(oldRoute.every((q) => q.query.get('conversation_id__eq') === id && q.status === 200)).toBe(true);
    expect(emu.requests.filter((q) => q.path.startsWith('/api/v1/conversation/')).length).toBeLessThanOrEqual(1);
    expect(oldRoute[0]!.at).toBeLessThan(sent[0]!.at);
  });
});

describe('the title sticks ([api: titles])', () => {
  it("after READY and the service's auto-title copy, the conversation's title is the input", async () => {
    const { emu, run } = await open();
    // The auto-title copy comes with the first delivered batch, well after the action's title call.
    emu.setDefaultScenario({ phaseMs: 20, eventFlushMs: 5000, eventBufferSize: 1000, execution: [{ afterMs: 0, status: 'running' }] });
    const r = await run({ event: 'issues', payload: labeled(), inputs: { title: 'Typo fix' } });
    expect(r.code, r.stdout).toBe(0);
    const id = r.outputs['conversation-id'] as string;
    expect(emu.deliveredEvents(id).some((e) => e.kind === 'MessageEvent')).toBe(false); // not copied yet
    await untilIn(() => emu.deliveredEvents(id).some((e) => e.kind === 'MessageEvent'), 'the first batch');
    await sleep(50);
    expect(emu.conversations[0]?.title).toBe('Typo fix');
    expect(emu.agentTitle(id)).toBe('Typo fix');
  });
});

describe('sandboxes the service pauses on its own ([api: auto-pause])', () => {
  it('a second start beyond maxSandboxes pauses the running agent: the run ends interrupted within seconds, and says what to do', async () => {
    const { emu, gh, run } = await open({ emulator: { maxSandboxes: 1 } });
    emu.setDefaultScenario({ phaseMs: 20, stepMs: 300, execution: [{ afterMs: 0, status: 'running' }] });
    const running = run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '10m' } });
    await untilIn(() => emu.transitions.some((t) => t.kind === 'execution' && t.status === 'running'), 'the agent at work');
    await sleep(1500); // the run is following the agent
    await startElsewhere(emu.url, 'Another task');
    await untilIn(() => emu.transitions.some((t) => t.cause === 'max-sandboxes'), 'the auto-pause');
    const pausedAt = emu.transitions.find((t) => t.cause === 'max-sandboxes')?.at as number;
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('interrupted');
    expect(r.outputs['sandbox-status']).toBe('PAUSED');
    expect(r.exitedAt - pausedAt).toBeLessThan(6000); // not the 10-minute finish-timeout
    const paused = emu.transitions.find((t) => t.cause === 'max-sandboxes');
    expect(paused?.conversationId).toBe(r.outputs['conversation-id']);
    const body = gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('Interrupted');
    expect(body).toMatch(/too many running sandboxes/);
    expect(body).toMatch(/What to do:.*resume it in the OpenHands web app.*re-run the workflow/);
    expect(r.annotations.errors.join('\n')).toMatch(/turned PAUSED while the agent was working/);
  });
});

describe('the request budget ([api: rate-limits])', () => {
  it('5 runs at once on one key with 12 s starts: no 429, at most 12 OpenHands requests each for the whole run', async () => {
    const { emu, run } = await open({ emulator: { rateLimits: true } });
    // The real shape of a 12 s start: the sandbox boot is the long phase.
    const phaseDurations = { WORKING: 400, WAITING_FOR_SANDBOX: 6000, PREPARING_REPOSITORY: 2000, RUNNING_SETUP_SCRIPT: 1600, SETTING_UP_GIT_HOOKS: 400, SETTING_UP_SKILLS: 400, STARTING_CONVERSATION: 1200 };
    expect(Object.values(phaseDurations).reduce((a, b) => a + b)).toBe(12_000);
    emu.setDefaultScenario({ phaseMs: 20, phaseDurations });
    const runs = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        run({ event: 'workflow_dispatch', payload: workflowDispatch(), runId: `82${i}`, inputs: { prompt: `Task ${i}`, comment: 'false' }, timeoutMs: 60_000 }),
      ),
    );
    for (const r of runs) expect(r.code, r.stdout).toBe(0);
    expect(runs.map((r) => r.outputs.status)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready']);
    expect(emu.requests.filter((q) => q.status === 429)).toEqual([]);
    expect(emu.tasks).toHaveLength(5);
    // Polls go through the search of the account's recent starts, so they name no task: each
    // run's own count (every request its client sent, in its summary) is the measure. The look
    // at the account, the POST, its polls, the read at READY.
    const spent = runs.map((r) => Number(/OpenHands requests: `(\d+)`/.exec(r.summary)?.[1]));
    for (const n of spent) {
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(12);
    }
    expect(emu.requests.length).toBe(spent.reduce((a, b) => a + b));
  }, 90_000);

  it('a follow-up into a paused sandbox with a slow resume: one read per ~3 s, no events call while STARTING, ≤ 20 requests a minute', async () => {
    const { emu, run } = await open({ emulator: { rateLimits: true } });
    emu.setDefaultScenario({ phaseMs: 20, resumeMs: 8000, sandboxAfterEnd: 'PAUSED', execution: [{ afterMs: 0, status: 'running' }, { afterMs: 200, status: 'finished' }] });
    const first = await run({ event: 'issues', payload: labeled(), runId: '830', inputs: { wait: 'finished' } });
    expect(first.code, first.stdout).toBe(0);
    const sandboxId = emu.conversations[0]?.sandbox_id as string;
    await untilIn(() => emu.sandboxes[0]?.status === 'PAUSED', 'the pause after the end');
    // The per-user limit has fixed one-second windows: the first run's closing reads (its whole
    // conversation lasts 200 ms) must not share one with the follow-up's first requests.
    await sleep(1100);
    const r = await run({ event: 'issue_comment', payload: issueComment({ body: '@openhands also the docs', sender: 'Codertocat' }), runId: '831' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('followed_up');
    const resumes = emu.requests.filter((q) => q.path === `/api/v1/sandboxes/${sandboxId}/resume`);
    expect(resumes.map((q) => q.status)).toEqual([200]);
    const resume = resumes[0] as RecordedRequest;
    const runningAt = emu.transitions.find((t) => t.kind === 'sandbox' && t.status === 'RUNNING' && t.at > resume.at)?.at as number;
    expect(runningAt - resume.at).toBeGreaterThanOrEqual(7900);
    const during = emu.requests.filter((q) => q.at > resume.at && q.at < runningAt);
    expect(during.filter((q) => q.path.includes('/events'))).toEqual([]);
    expect(during.filter((q) => !(q.method === 'GET' && q.path === '/api/v1/app-conversations')).map((q) => `${q.method} ${q.path} ${q.at - resume.at}`)).toEqual([]);
    // The reads up to (and including) the one that saw RUNNING, with the resume call.
    const seq = [resume, ...emu.requests.filter((q) => q.at > resume.at && q.path === '/api/v1/app-conversations' && q.at < runningAt + 3500)];
    for (let i = 1; i < seq.length; i++) expect((seq[i] as RecordedRequest).at - (seq[i - 1] as RecordedRequest).at).toBeGreaterThanOrEqual(2900);
    const perMinute = ((seq.length - 1) * 60_000) / ((seq.at(-1) as RecordedRequest).at - resume.at);
    expect(seq.length).toBeGreaterThanOrEqual(3);
    expect(perMinute).toBeLessThanOrEqual(20.5);
    expect(emu.requests.filter((q) => q.status === 429)).toEqual([]);
    expect(emu.requests.filter((q) => q.path.endsWith('/send-message')).map((q) => q.status)).toEqual([200]);
  }, 60_000);
});

describe('events and the final message ([api: events])', () => {
  it('reads the execution status of a paused sandbox from events even when >100 stats updates came after it', async () => {
    const { emu, run } = await open({ emulator: { rateLimits: false } });
    emu.setDefaultScenario({ phaseMs: 20, stepMs: 5, eventFlushMs: 20, execution: [{ afterMs: 0, status: 'running' }] });
    const running = run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    await untilIn(() => emu.conversations.length > 0, 'READY');
    const id = emu.conversations[0]?.id as string;
    const stats = () => emu.deliveredEvents(id).filter((e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'stats').length;
    await untilIn(() => stats() >= 150, '150 stats updates');
    emu.pauseSandbox(emu.conversations[0]?.sandbox_id as string);
    const r = await running;
    expect(r.outputs.status).toBe('interrupted');
    // The last execution_status change (running) lies behind the newest 100 state updates.
    const updates = emu.deliveredEvents(id).filter((e) => e.kind === 'ConversationStateUpdateEvent').reverse();
    expect(updates.findIndex((e) => e.key === 'execution_status')).toBeGreaterThanOrEqual(100);
    expect(r.outputs['execution-status']).toBe('running');
    expect(emu.requests.some((q) => q.path === `/api/v1/conversation/${id}/events/search` && q.query.get('page_id'))).toBe(true);
  });

  it("takes the final message from the agent server's agent_final_response while the sandbox runs, without waiting out the event lag", async () => {
    const { emu, run } = await open();
    emu.setDefaultScenario({ phaseMs: 20, eventLagMs: 20_000, finalMessage: 'Straight from the agent server.', execution: [{ afterMs: 0, status: 'running' }, { afterMs: 300, status: 'finished' }] });
    const r = await run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, timeoutMs: 30_000 });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs['final-message']).toBe('Straight from the agent server.');
    expect(r.durationMs).toBeLessThan(10_000);
    const id = r.outputs['conversation-id'] as string;
    expect(emu.deliveredEvents(id).some((e) => e.kind === 'ActionEvent' && e.tool_name === 'finish')).toBe(false); // the app server has not seen it yet
    expect(emu.agentServer.requests.some((q) => q.path === `/api/conversations/${id}/agent_final_response` && q.status === 200)).toBe(true);
  }, 40_000);
});

describe('an ambiguous start on a server that ignores our id', () => {
  it("is found by its own request (repository and text, which holds the run's link): no second start", async () => {
    const { emu, run } = await open({ emulator: { legacy: true } });
    emu.setDefaultScenario({ phaseMs: 50 });
    emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'reset-after' });
    const r = await run({ event: 'issues', payload: labeled() });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('ready');
    expect(emu.requests.filter(isStartPost)).toHaveLength(1);
    expect(emu.tasks).toHaveLength(1);
    expect(r.outputs['conversation-id']).toBe(emu.conversations[0]?.id);
  });
});

describe('the ambiguity search follows next_page_id', () => {
  it('with >100 newer start tasks, an ambiguous POST failure still finds its task on a later page: no second start', async () => {
    const { emu, run } = await open({ emulator: { rateLimits: false, maxSandboxes: 1000 } });
    emu.setDefaultScenario({ phaseMs: 200 });
    emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'reset-after' });
    // The search waits until 105 newer tasks exist, so ours is on the second page.
    emu.addFault({ method: 'GET', path: '/api/v1/app-conversations/start-tasks/search', kind: 'delay', ms: 2000, when: 'before' });
    const running = run({ event: 'issues', payload: labeled() });
    await untilIn(() => emu.tasks.length === 1, 'our start');
    for (let i = 0; i < 105; i++) await startElsewhere(emu.url, `Other ${i}`);
    const r = await running;
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('ready');
    const ours = emu.requests.filter(isStartPost)[0];
    expect(r.outputs['conversation-id']).toBe((ours?.body as { conversation_id: string }).conversation_id);
    // one POST from the action (the others came from elsewhere, without a conversation_id)
    expect(emu.requests.filter((q) => isStartPost(q) && (q.body as { conversation_id?: string }).conversation_id)).toHaveLength(1);
    const searches = emu.requests.filter((q) => q.path === '/api/v1/app-conversations/start-tasks/search');
    expect(searches.some((q) => q.query.get('page_id'))).toBe(true);
  }, 40_000);
});

describe('honest 401s and base URLs', () => {
  it.each([
    ['a wrong key', { inputs: { 'api-key': 'wrong-key' } }, false],
    ["the service's key store failing", {}, true],
  ] as const)('%s: "rejected the API key or could not verify it", naming the real base URL', async (_name, opts, keyStore) => {
    const { emu, gh, run } = await open();
    if (keyStore) emu.addFault({ kind: 'key-store', times: Infinity });
    const r = await run({ event: 'issues', payload: labeled(), ...opts });
    expect(r.code).toBe(1);
    const error = r.annotations.errors.join('\n');
    expect(error).toContain(`OpenHands at ${emu.url} rejected the API key or could not verify it (401`);
    expect(error).toContain(`${emu.url}/settings/api-keys`);
    expect(error).not.toContain('<base-url>');
    expect(gh.commentsOn(1)[0]?.body).toContain('rejected the API key or could not verify it');
    expect(emu.tasks).toHaveLength(0);
  });

  it.each(['/api', '/api/v1', '/api/v1/'])('a base-url ending in %s is an input error naming base-url, before any request', async (suffix) => {
    const { emu, gh, run } = await open();
    const r = await run({ event: 'issues', payload: labeled(), inputs: { 'base-url': `${emu.url}${suffix}` } });
    expect(r.code).toBe(1);
    expect(r.annotations.errors.join('\n')).toMatch(/Input 'base-url'.*without \/api or \/api\/v1/);
    expect(emu.requests).toHaveLength(0);
    expect(gh.requests.filter((q) => q.method !== 'GET')).toHaveLength(0);
  });
});

/** Start a conversation, wait until ready, report link and status. Built dist, real sockets. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLabeled, prLabeled, schedule, workflowDispatch } from './payloads.ts';
import { API_KEY, everythingVisible, world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const HEX32 = /^[0-9a-f]{32}$/;
const startBodies = () =>
  w.emu.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v1/app-conversations')).map((r) => r.body as Record<string, unknown>);

describe('issue labeled', () => {
  it('starts one conversation on the default branch, comments the link and reports ready', async () => {
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands', title: 'Fix the typo' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(run.outputs['conversation-id']).toMatch(HEX32);
    expect(run.outputs['conversation-url']).toBe(`${w.emu.url}/conversations/${run.outputs['conversation-id']}`);
    expect(run.outputs['start-task-id']).toMatch(HEX32);
    expect(run.outputs['start-task-status']).toBe('READY');
    expect(w.starts()).toBe(1);

    const [body] = startBodies();
    expect(body).toMatchObject({ selected_repository: 'octo-org/octo-repo', selected_branch: 'main', git_provider: 'github' });
    expect(body?.conversation_id).toBe(run.outputs['conversation-id']);
    // The task the service created belongs to the conversation we reported.
    expect(w.emu.tasks[0]?.app_conversation_id).toBe(run.outputs['conversation-id']);

    const comments = w.gh.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(String(comments[0]?.id)).toBe(run.outputs['comment-id']);
    expect(run.outputs['comment-url']).toContain(`#issuecomment-${comments[0]?.id}`);
    expect(comments[0]?.body).toContain(run.outputs['conversation-url']);
    expect(comments[0]?.body).toContain('Ready');
    expect(comments[0]?.body).toContain(`actions/runs/`);
    expect(run.summary).toContain(run.outputs['conversation-url']);
  });

  it('posts the comment at once and the link as soon as the service takes our id, before READY', async () => {
    w.emu.setDefaultScenario({ phaseMs: 150 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code).toBe(0);
    const id = run.outputs['conversation-id'] as string;
    const writes = w.gh.requests.filter((r) => (r.method === 'POST' && r.path.endsWith('/comments')) || r.method === 'PATCH');
    const ready = w.emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY');
    expect(writes.length > 0 && ready).toBeTruthy();
    // The first write goes out before the start is even answered: no link yet (it could lead nowhere).
    expect(writes[0]?.method).toBe('POST');
    expect(JSON.stringify(writes[0]?.body)).not.toContain(id);
    const linked = writes.find((r) => JSON.stringify(r.body).includes(`/conversations/${id}`));
    expect(linked?.at).toBeLessThan((ready as { at: number }).at);
  });

  it('returns as soon as the start is accepted with wait: none', async () => {
    w.emu.setDefaultScenario({ phaseMs: 2000 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'none' } });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('started');
    expect(run.outputs['start-task-status']).toBe('WORKING');
    expect(run.outputs['conversation-id']).toMatch(HEX32);
    expect(w.starts()).toBe(1);
  });

  it('sets the title after the conversation exists', async () => {
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { title: 'Typo fix', 'llm-model': 'gpt-x' } });
    expect(run.code).toBe(0);
    expect(startBodies()[0]).toMatchObject({ llm_model: 'gpt-x' });
    expect(w.emu.conversations[0]?.title).toBe('Typo fix');
  });
});

describe('pull request labeled', () => {
  it('works on the PR head branch', async () => {
    const run = await w.run({ event: 'pull_request', payload: prLabeled({ label: 'openhands', number: 2, headRef: 'feature/x' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(startBodies()[0]).toMatchObject({ selected_branch: 'feature/x', pr_number: [2] });
    expect(w.gh.commentsOn(2)).toHaveLength(1);
  });
});

describe('schedule', () => {
  it('comments on issue-number', async () => {
    const run = await w.run({ event: 'schedule', payload: schedule(), inputs: { prompt: 'Nightly: update deps in {{repo}}', 'issue-number': '7' } });
    expect(run.code, run.stdout).toBe(0);
    expect(w.gh.commentsOn(7)).toHaveLength(1);
    const text = ((startBodies()[0]?.initial_message as { content: { text: string }[] }).content[0] as { text: string }).text;
    expect(text).toBe('Nightly: update deps in octo-org/octo-repo');
  });

  it('without issue-number posts no comment but writes the summary', async () => {
    const run = await w.run({ event: 'schedule', payload: schedule(), inputs: { prompt: 'Nightly chores' } });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(run.outputs['comment-id']).toBe('');
    expect(w.gh.comments).toHaveLength(0);
    expect(run.summary).toContain(run.outputs['conversation-url']);
  });
});

describe('failures', () => {
  it('start ERROR: fails with the service detail in the comment and summary', async () => {
    w.emu.setDefaultScenario({ startError: { atPhase: 'WAITING_FOR_SANDBOX', detail: 'Sandbox not startable: sb-1' } });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('error');
    expect(run.outputs['start-task-status']).toBe('ERROR');
    expect(run.annotations.errors.join('\n')).toContain('Sandbox not startable: sb-1');
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Sandbox not startable: sb-1');
    expect(run.summary).toContain('Sandbox not startable: sb-1');
    expect(w.starts()).toBe(1);
    expect(w.gh.reactions.map((r) => r.content)).toEqual(['eyes', 'confused']);
  });

  it('401: says the API key was rejected, and links no conversation that was never created', async () => {
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { 'api-key': 'wrong-key' } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('error');
    expect(run.annotations.errors.join('\n')).toMatch(/rejected the API key/);
    expect(run.outputs['conversation-id']).toBe('');
    expect(run.outputs['conversation-url']).toBe('');
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toMatch(/rejected the API key/);
    expect(body).not.toContain('/conversations/');
    expect(w.emu.tasks).toHaveLength(0);
  });

  it('ready-timeout: ends timed_out and fails, never green', async () => {
    w.emu.setDefaultScenario({ phaseMs: 3000 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { 'ready-timeout': '1s' } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(run.annotations.errors.join('\n')).toContain("ready-timeout");
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Timed out');
  });

  it('an HTML answer is a clear error naming the URL', async () => {
    const emuUrl = w.emu.url;
    w.emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'html', times: 10 });
    // max-sandboxes: 0, so the start is the run's first OpenHands request (no look at the account)
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { 'max-sandboxes': '0' } });
    expect(run.code).toBe(1);
    // The first answer of the run: most likely a wrong base-url, so the input is named too.
    expect(run.annotations.errors.join('\n')).toMatch(new RegExp(`Input 'base-url': ${emuUrl}/api/v1/app-conversations answered with a web page \\(HTML\\)`));
  });

  it('an HTML answer to the first request, the look at the account, names base-url too', async () => {
    const emuUrl = w.emu.url;
    w.emu.addFault({ method: 'GET', path: '/api/v1/sandboxes/search', kind: 'html', times: 10 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toMatch(new RegExp(`Input 'base-url': ${emuUrl}/api/v1/sandboxes/search\\?limit=100 answered with a web page \\(HTML\\)`));
    expect(w.starts()).toBe(0);
  });
});

describe('transient faults', () => {
  it('retries a 503 on the start only after checking that no task exists, and starts once', async () => {
    w.emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'status', status: 503 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(w.emu.tasks).toHaveLength(1);
    expect(w.ohRequests()).toContain('GET /api/v1/app-conversations/start-tasks/search');
  });

  it('a start whose answer is lost (reset after processing) is found again, not sent twice', async () => {
    w.emu.addFault({ method: 'POST', path: '/api/v1/app-conversations', kind: 'reset-after' });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(w.emu.tasks).toHaveLength(1);
    expect(w.starts()).toBe(1);
  });

  it('honours 429 Retry-After and retries 5xx while polling', async () => {
    // The start task is polled through the search of the account's recent starts (or by id).
    w.emu.addFault({ method: 'GET', path: '/api/v1/app-conversations/start-tasks', kind: 'status', status: 429, retryAfter: 1 });
    w.emu.addFault({ method: 'GET', path: '/api/v1/app-conversations/start-tasks', kind: 'status', status: 502 });
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    const polls = w.emu.requests.filter((r) => r.path.startsWith('/api/v1/app-conversations/start-tasks'));
    const after429 = polls.findIndex((r) => r.status === 429);
    expect(after429).toBeGreaterThanOrEqual(0);
    expect((polls[after429 + 1]?.at ?? 0) - (polls[after429]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(w.emu.tasks).toHaveLength(1);
  });
});

describe('bad inputs fail before any request', () => {
  it('a schedule with issue-number but no prompt fails before any GitHub or OpenHands request', async () => {
    const run = await w.run({ event: 'schedule', payload: schedule(), inputs: { 'issue-number': '7' } });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toContain("Input 'prompt'");
    expect(w.emu.requests).toHaveLength(0);
    expect(w.gh.requests).toHaveLength(0);
  });

  it('a template that does not parse fails before any request', async () => {
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { prompt: 'Fix {{#open}}' } });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toContain("Input 'prompt': the template does not parse");
    expect(w.gh.requests).toHaveLength(0);
  });

  it.each([
    [{ repo: 'nope' }, "'repo'"],
    [{ wait: 'sometimes' }, "'wait'"],
    [{ 'ready-timeout': 'ten' }, "'ready-timeout'"],
    [{ 'ready-timeout': '0' }, "'ready-timeout'"],
    [{ 'base-url': 'ftp://example.com' }, "'base-url'"],
    [{ 'prompt-file': 'missing.md' }, "'prompt-file'"],
    [{ 'api-key': '' }, "'api-key'"],
    [{ prompt: '' }, "'prompt'"],
  ])('%j', async (inputs, name) => {
    const run = await w.run({ event: 'workflow_dispatch', payload: workflowDispatch(), inputs: { prompt: 'x', ...inputs } });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toContain(`Input ${name}`);
    expect(w.emu.requests).toHaveLength(0);
    expect(w.gh.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });
});

describe('re-runs', () => {
  it('attempt 2 of the same run re-attaches to the conversation attempt 1 started', async () => {
    const payload = issueLabeled({ label: 'openhands' });
    const first = await w.run({ event: 'issues', payload, runId: '555', inputs: { wait: 'none' } });
    expect(first.code).toBe(0);
    const second = await w.run({ event: 'issues', payload, runId: '555', runAttempt: '2' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs['conversation-id']).toBe(first.outputs['conversation-id']);
    expect(second.outputs.status).toBe('ready');
    expect(w.starts()).toBe(1);
    expect(w.gh.commentsOn(1)).toHaveLength(1);
  });

  it('re-attaches by the derived id even with comments off', async () => {
    const payload = issueLabeled({ label: 'openhands' });
    await w.run({ event: 'issues', payload, runId: '556', inputs: { wait: 'none', comment: 'false' } });
    const second = await w.run({ event: 'issues', payload, runId: '556', runAttempt: '2', inputs: { comment: 'false' } });
    expect(second.code, second.stdout).toBe(0);
    expect(w.starts()).toBe(1);
    expect(w.gh.comments).toHaveLength(0);
  });

  it('a later trigger on the same issue updates the same comment and links the previous conversation', async () => {
    const first = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), runId: '1001', inputs: { 'follow-up': 'never' } });
    const second = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), runId: '1002', inputs: { 'follow-up': 'never' } });
    expect(second.code).toBe(0);
    expect(second.outputs['conversation-id']).not.toBe(first.outputs['conversation-id']);
    const comments = w.gh.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain((first.outputs['conversation-id'] ?? '').slice(0, 8));
    expect(comments[0]?.body).toContain('Earlier conversations (1)');
  });
});

describe('secrets', () => {
  it('the API key and the sandbox session key appear in no log, output, comment or summary', async () => {
    const run = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    const sessionKeys = w.emu.sessionApiKeys();
    expect(sessionKeys.length).toBeGreaterThan(0);
    const visible = everythingVisible(run, w.gh);
    expect(visible).not.toContain(API_KEY);
    expect(visible).not.toContain('ghs_test_token');
    for (const k of sessionKeys) expect(visible).not.toContain(k);
    expect(run.masks).toEqual(expect.arrayContaining([API_KEY, ...sessionKeys]));
  });
});

describe('GitHub Enterprise Server', () => {
  it('talks to GITHUB_API_URL with the /api/v3 prefix', async () => {
    const run = await w.run({
      event: 'issues',
      payload: issueLabeled({ label: 'openhands' }),
      env: { GITHUB_API_URL: `${w.gh.url}/api/v3`, GITHUB_SERVER_URL: 'https://ghe.example.com' },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(w.gh.requests.some((r) => r.url.startsWith('/api/v3/repos/'))).toBe(true);
    expect(w.gh.commentsOn(1)[0]?.body ?? '').toContain('https://ghe.example.com/octo-org/octo-repo/actions/runs/');
  });
});

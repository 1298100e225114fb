/** GitHub (and the start request) misbehaving, proven through the built action. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueComment, issueLabeled, prLabeled, schedule } from './payloads.ts';
import { everythingVisible, world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world({ github: { permissions: { Codertocat: 'write', reader: 'read' } } });
  w.emu.setDefaultScenario({ phaseMs: 5 });
});
afterEach(async () => {
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });
const MARKER = '<!-- openhands-cloud-action';
const stickies = (issue = 1) => w.gh.commentsOn(issue).filter((c) => c.body.startsWith(MARKER));
const commentCreates = () => w.gh.requests.filter((r) => r.method === 'POST' && /\/issues\/\d+\/comments$/.test(r.path));

describe('one sticky comment, whatever GitHub answers', () => {
  it('a secondary rate limit (403 + retry-after) on the first create is waited out: one comment, final state', async () => {
    w.gh.addFault({ kind: 'secondary', method: 'POST', path: /\/issues\/1\/comments$/, retryAfter: 1 });
    const run = await w.run({ event: 'issues', payload: labeled() });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(commentCreates().length).toBeGreaterThanOrEqual(2);
    expect(stickies()).toHaveLength(1);
    expect(stickies()[0]?.body).toContain('Ready');
    expect(run.outputs['comment-id']).toBe(String(stickies()[0]?.id));
  });

  it('a create GitHub applied but answered 500 is found, not sent again: one comment, final state', async () => {
    w.gh.addFault({ kind: 'applied-then-500', method: 'POST', path: /\/issues\/1\/comments$/ });
    const run = await w.run({ event: 'issues', payload: labeled() });
    expect(run.code, run.stdout).toBe(0);
    expect(w.gh.requests.some((r) => r.fault === 'applied-then-500' && r.applied)).toBe(true);
    expect(stickies()).toHaveLength(1);
    expect(stickies()[0]?.body).toContain('Ready');
  });

  it('a create that fails for good in the main step is made by the post step from saved state', async () => {
    w.gh.addFault({ method: 'POST', path: /\/issues\/1\/comments$/, status: 500, times: Infinity });
    const main = await w.run({ event: 'issues', payload: labeled() });
    expect(main.outputs.status).toBe('ready');
    expect(stickies()).toHaveLength(0);
    w.gh.clearFaults();
    const post = await w.run({ event: 'issues', payload: labeled(), phase: 'post', state: main.state });
    expect(post.code, post.stdout).toBe(0);
    expect(stickies()).toHaveLength(1);
    expect(stickies()[0]?.body).toContain('Ready');
    expect(stickies()[0]?.body).toContain(main.outputs['conversation-id']);
  });

  it('a busy issue (our comment on page 2 of > 100) gets no second status comment on a new trigger', async () => {
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '1200', inputs: { wait: 'none' } });
    expect(first.code, first.stdout).toBe(0);
    for (let i = 0; i < 120; i++) w.gh.addComment({ issue_number: 1, body: `chatter ${i}`, user: 'Codertocat' });
    const second = await w.run({ event: 'issues', payload: labeled(), runId: '1201', inputs: { 'follow-up': 'never', wait: 'none' } });
    expect(second.code, second.stdout).toBe(0);
    expect(w.gh.requests.some((r) => r.method === 'GET' && /\/issues\/1\/comments$/.test(r.path) && r.query.page === '2')).toBe(true);
    expect(stickies()).toHaveLength(1);
    expect(second.outputs['comment-id']).toBe(first.outputs['comment-id']);
  });
});

describe('GitHub reads', () => {
  it("a 500 on the permission check is retried and a writer's mention starts", async () => {
    w.gh.addFault({ method: 'GET', path: /collaborators\/Codertocat\/permission/, status: 500 });
    const run = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'Codertocat' }) });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(w.gh.requests.filter((r) => /collaborators\/Codertocat\/permission/.test(r.path))).toHaveLength(2);
    expect(w.starts()).toBe(1);
  });

  it("a failed request's error names what the action was doing, not Octokit's bare message", async () => {
    w.gh.addFault({ method: 'GET', path: /collaborators\/Codertocat\/permission/, status: 404, times: Infinity, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
    const run = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'Codertocat' }) });
    expect(run.code).toBe(1);
    const error = run.annotations.errors.join('\n');
    expect(error).toMatch(/^checking Codertocat's permission on octo-org\/octo-repo: HTTP 404/);
    expect(error).not.toMatch(/^Not Found - https/);
    expect(w.emu.requests).toHaveLength(0);
  });
});

describe('a dry run writes nothing, on every path', () => {
  const dry = { 'dry-run': 'true' };
  const cases: Array<[string, (w: World) => Promise<Awaited<ReturnType<World['run']>>>]> = [
    ['a plain accepted mention', (x) => x.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'Codertocat' }), inputs: dry })],
    [
      'a comment look-up that fails (500)',
      (x) => {
        x.gh.addFault({ method: 'GET', path: /\/issues\/1\/comments/, status: 500, times: Infinity });
        return x.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'Codertocat' }), inputs: dry });
      },
    ],
    [
      'a permission check that fails (500)',
      (x) => {
        x.gh.addFault({ method: 'GET', path: /collaborators/, status: 500, times: Infinity });
        return x.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'Codertocat' }), inputs: dry });
      },
    ],
    ['a permission refusal', (x) => x.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'reader' }), inputs: dry })],
    ['a fork pull request', (x) => x.run({ event: 'pull_request_target', payload: prLabeled({ label: 'openhands', fork: true }), inputs: { ...dry, 'api-key': '' } })],
    [
      'a tracking-label run that would create an issue',
      (x) => x.run({ event: 'schedule', payload: schedule(), inputs: { ...dry, prompt: 'Nightly chores', 'tracking-label': 'openhands-nightly' } }),
    ],
  ];
  for (const [name, go] of cases) {
    it(name, async () => {
      const run = await go(w);
      expect(w.gh.countWrites(), run.stdout).toBe(0);
      expect(w.emu.requests).toHaveLength(0);
      expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    });
  }
});

describe('a bad event file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oh-bad-event-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, content] of [
    ['invalid JSON', '{"action": "labeled",'],
    ['empty', ''],
    ['null', 'null'],
    ['an array', '[1, 2]'],
  ] as const) {
    it(`${name}: ::error:: naming GITHUB_EVENT_PATH, status error, a summary, exit 1, and a clean post step`, async () => {
      const file = path.join(dir, 'event.json');
      writeFileSync(file, content);
      const env = { GITHUB_EVENT_PATH: file };
      const main = await w.run({ event: 'issues', payload: labeled(), env });
      expect(main.code).toBe(1);
      expect(main.annotations.errors.join('\n')).toContain('GITHUB_EVENT_PATH');
      expect(main.outputs.status).toBe('error');
      expect(main.summary).toContain('GITHUB_EVENT_PATH');
      expect(main.stderr).not.toMatch(/\n\s+at .+:\d+:\d+|^file:\/\/|Node\.js v\d/m);
      const post = await w.run({ event: 'issues', payload: labeled(), env, phase: 'post', state: main.state });
      expect(post.code, post.stdout + post.stderr).toBe(0);
      expect(post.annotations.errors).toHaveLength(0);
      expect(w.gh.countWrites()).toBe(0);
      expect(w.emu.requests).toHaveLength(0);
    });
  }
});

describe('the start request', () => {
  const startPath = /^\/api\/v1\/app-conversations$/;

  for (const onTimeout of ['pause', 'keep'] as const) {
    it(`an answer that arrives after ready-timeout is still found, linked and ${onTimeout === 'pause' ? 'paused' : 'kept'} (on-timeout: ${onTimeout})`, async () => {
      // The start is still under way at the deadline (READY comes after ~4 s), its sandbox booting.
      w.emu.setDefaultScenario({ phaseMs: 800 });
      w.emu.addFault({ kind: 'delay', ms: 3000, when: 'after', method: 'POST', path: startPath });
      const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'ready-timeout': '2s', 'on-timeout': onTimeout } });
      expect(run.code).toBe(1);
      expect(run.outputs.status).toBe('timed_out');
      expect(w.starts()).toBe(1);
      const id = run.outputs['conversation-id'] ?? '';
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect((w.emu.tasks[0]?.request as { conversation_id?: string } | undefined)?.conversation_id?.replace(/-/g, '')).toBe(id);
      expect(run.outputs['conversation-url']).toContain(id);
      expect(stickies()[0]?.body).toContain(id);
      expect(stickies()[0]?.body).toContain('Timed out');
      const sandbox = w.emu.sandboxes.find((s) => s.id === id);
      expect(sandbox).toBeDefined();
      if (onTimeout === 'pause') expect(sandbox?.status).toBe('PAUSED');
      else {
        expect(sandbox?.status).not.toBe('PAUSED');
        expect(w.ohRequests().some((r) => r.endsWith('/pause'))).toBe(false);
      }
    });
  }

  it('honours Retry-After on the start request itself: the second POST comes ≥ 2 s later, one task', async () => {
    w.emu.addFault({ kind: 'status', status: 429, retryAfter: 2, method: 'POST', path: startPath });
    const run = await w.run({ event: 'issues', payload: labeled() });
    expect(run.code, run.stdout).toBe(0);
    const posts = w.emu.requests.filter((r) => r.method === 'POST' && startPath.test(r.path));
    expect(posts).toHaveLength(2);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(w.emu.tasks).toHaveLength(1);
  });

  it('an API key echoed in an error text is redacted in the comment, outputs and summary', async () => {
    const key = 'sk-oh-2f9c1d7e5b3a4f60';
    await w.close();
    w = await world({ emulator: { apiKeys: [key] } });
    w.emu.addFault({ kind: 'status', status: 400, method: 'POST', path: startPath, body: { detail: `Invalid request for key ${key}: sandbox spec unknown` } });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'api-key': key } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('error');
    const comment = stickies()[0]?.body ?? '';
    expect(comment).toContain('sandbox spec unknown');
    expect(run.summary).toContain('sandbox spec unknown');
    for (const place of [comment, JSON.stringify(run.outputs), run.summary, everythingVisible(run, w.gh)]) expect(place).not.toContain(key);
  });
});

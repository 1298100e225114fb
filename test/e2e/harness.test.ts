import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACTION_ROOT,
  inputEnvName,
  parseFileCommands,
  parseWorkflowCommands,
  readActionYml,
  runAction,
} from './harness.ts';
import { fakeRepoId, startGitHubFake } from '../fakes/github.ts';
import { issueComment, issueLabeled, prLabeled, prReviewComment, schedule, webhookExample, workflowDispatch } from './payloads.ts';

// A throwaway "action" standing in for dist/index.js: it reports what the
// runner protocol gave it through @actions/core.
const coreUrl = pathToFileURL(path.join(ACTION_ROOT, 'node_modules/@actions/core/lib/core.js')).href;
const githubUrl = pathToFileURL(path.join(ACTION_ROOT, 'node_modules/@actions/github/lib/github.js')).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'harness-test-'));
const entry = path.join(dir, 'entry.mjs');
writeFileSync(
  entry,
  `
import * as core from ${JSON.stringify(coreUrl)};
import { existsSync, readFileSync } from 'node:fs';
const env = process.env;
const pick = (prefix) => Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(prefix)));
if (env.COMMENT) {
  // Like the real action: no baseUrl given, so GITHUB_API_URL (the fake) is used.
  const { getOctokit, context } = await import(${JSON.stringify(githubUrl)});
  const octokit = getOctokit(core.getInput('github-token'));
  const { data } = await octokit.rest.issues.createComment({ ...context.repo, issue_number: context.issue.number, body: env.COMMENT });
  core.setOutput('comment-id', String(data.id));
  process.exit(0);
}
if (env.STATE_isPost === 'true') {
  core.setOutput('phase', 'post');
  core.setOutput('state', JSON.stringify(pick('STATE_')));
  process.exit(0);
}
core.setOutput('phase', 'main');
core.setOutput('inputs', JSON.stringify(pick('INPUT_')));
core.setOutput('env', JSON.stringify(env));
core.setOutput('cwd', process.cwd());
core.setOutput('prompt-file', core.getInput('prompt-file'));
core.setOutput('multi', 'line one\\nline two\\n\\nEOF\\n<<not a delimiter=');
core.setOutput('event-action', JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')).action ?? '');
core.setOutput('file', existsSync('prompts/task.md') ? readFileSync('prompts/task.md', 'utf8') : '');
core.saveState('isPost', 'true');
core.saveState('conversation', 'abc\\ndef');
core.exportVariable('EXPORTED', 'yes');
core.summary.addRaw('## Summary').addEOL();
await core.summary.write();
core.setSecret('s3cret');
core.error('bad 100% thing\\nsecond line', { title: 'T', file: 'a.ts' });
core.warning('careful');
core.notice('fyi');
console.log('::stop-commands::pause123');
console.log('::error::not a command while stopped');
console.log('::pause123::');
if (env.WAIT_FOR_SIGNAL) {
  process.on('SIGINT', () => {
    core.setOutput('cancelled', 'SIGINT');
    core.warning('cancelled by SIGINT');
    process.exit(1);
  });
  console.log('waiting for cancellation');
  setInterval(() => {}, 1000);
} else if (env.HANG) {
  setInterval(() => {}, 1000);
}
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runAction (with a stand-in entry)', () => {
  it('sets inputs, runner variables and parses file commands and annotations', async () => {
    const payload = issueLabeled({ label: 'openhands', number: 7, sender: 'alice' });
    const run = await runAction({
      entry,
      event: 'issues',
      payload,
      githubApiUrl: 'http://127.0.0.1:9',
      inputs: { 'prompt-file': 'prompts/task.md', wait: 'finished' },
      files: { 'prompts/task.md': 'Fix #{{issue.number}}' },
      env: { OPENHANDS_API_KEY: 'oh-key' },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const inputs = JSON.parse(run.outputs['inputs'] ?? '{}') as Record<string, string>;
    // One INPUT_ per declared input; hyphens kept, upper-cased.
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(readActionYml().inputs).map(inputEnvName).sort());
    expect(inputs['INPUT_PROMPT-FILE']).toBe('prompts/task.md');
    expect(inputs['INPUT_WAIT']).toBe('finished');
    // Defaults, with expressions evaluated.
    expect(inputs['INPUT_REPO']).toBe('octo-org/octo-repo');
    expect(inputs['INPUT_GITHUB-TOKEN']).toBe('ghs_test_token');
    expect(inputs['INPUT_BASE-URL']).toBe('https://app.all-hands.dev');
    expect(inputs['INPUT_TRIGGER-PHRASE']).toBe('@openhands');
    expect(inputs['INPUT_PROMPT']).toBe('');
    expect(run.outputs['prompt-file']).toBe('prompts/task.md');
    expect(run.outputs['file']).toBe('Fix #{{issue.number}}');
    expect(run.outputs['event-action']).toBe('labeled');

    const env = JSON.parse(run.outputs['env'] ?? '{}') as Record<string, string>;
    expect(env).toMatchObject({
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_EVENT_NAME: 'issues',
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_REPOSITORY_OWNER: 'octo-org',
      GITHUB_ACTOR: 'alice',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW: 'OpenHands',
      GITHUB_JOB: 'agent',
      GITHUB_REF: 'refs/heads/main',
      RUNNER_OS: 'Linux',
      OPENHANDS_API_KEY: 'oh-key',
    });
    expect(env['GITHUB_RUN_ID']).toMatch(/^\d+$/);
    expect(env['GITHUB_WORKSPACE']).toBe(run.outputs['cwd']);
    expect(env['VITEST']).toBeUndefined(); // clean env
    expect(env['STATE_isPost']).toBeUndefined();

    expect(run.outputs['multi']).toBe('line one\nline two\n\nEOF\n<<not a delimiter=');
    expect(run.state).toEqual({ isPost: 'true', conversation: 'abc\ndef' });
    expect(run.env).toEqual({ EXPORTED: 'yes' });
    expect(run.summary).toBe('## Summary\n');
    expect(run.annotations).toEqual({
      errors: ['bad 100% thing\nsecond line'],
      warnings: ['careful'],
      notices: ['fyi'],
    });
    expect(run.commands.find((c) => c.command === 'error')?.properties).toEqual({ title: 'T', file: 'a.ts' });
    expect(run.masks).toEqual(['s3cret']);
    expect(run.durationMs).toBeGreaterThan(0);
    expect(run.exitedAt).toBeGreaterThan(run.spawnedAt);

    // The post phase gets the saved state as STATE_ variables.
    const post = await runAction({ entry, event: 'issues', payload, phase: 'post', state: run.state });
    expect(post.outputs['phase']).toBe('post');
    expect(JSON.parse(post.outputs['state'] ?? '{}')).toEqual({ STATE_isPost: 'true', STATE_conversation: 'abc\ndef' });
  });

  it('delivers SIGINT when stdout matches', async () => {
    const run = await runAction({
      entry,
      event: 'workflow_dispatch',
      payload: workflowDispatch(),
      env: { WAIT_FOR_SIGNAL: '1' },
      signal: { signal: 'SIGINT', when: /waiting for cancellation/ },
    });
    expect(run.signalSentAt).toBeGreaterThan(run.spawnedAt);
    expect(run.code).toBe(1);
    expect(run.outputs['cancelled']).toBe('SIGINT');
    expect(run.annotations.warnings).toContain('cancelled by SIGINT');
  });

  it('kills a hung action after timeoutMs and fails with its output', async () => {
    // long enough for the stand-in to start and print on a loaded machine; it then hangs for good
    await expect(runAction({ entry, event: 'schedule', payload: schedule(), env: { HANG: '1' }, timeoutMs: 4000 })).rejects.toThrow(
      /did not exit within 4000 ms[\s\S]*::warning::careful/,
    );
  });

  it('composes with the GitHub fake through GITHUB_API_URL and github.token', async () => {
    const fake = await startGitHubFake({ issues: [{ number: 3, pull_request: {} }] });
    try {
      const run = await runAction({
        entry,
        event: 'issue_comment',
        payload: issueComment({ body: '@openhands hi', number: 3, onPullRequest: true }),
        githubApiUrl: fake.url,
        env: { COMMENT: 'from the action' },
      });
      expect(run.stderr).toBe('');
      expect(fake.commentsOn(3)).toMatchObject([{ body: 'from the action', user: { login: 'github-actions[bot]' } }]);
      expect(run.outputs['comment-id']).toBe(String(fake.comments[0]?.id));
      expect(fake.requests[0]?.headers.authorization).toBe('token ghs_test_token');
    } finally {
      await fake.close();
    }
  });

  it('refuses unknown inputs', async () => {
    await expect(runAction({ entry, event: 'issues', inputs: { promt: 'typo' } })).rejects.toThrow(/unexpected input "promt"/);
  });
});

describe('protocol parsers', () => {
  it('parses file commands like the runner', () => {
    expect(parseFileCommands('a=1\n\nb<<EOF\nx\n=y\nEOF\nc=has=equals\na=2\n')).toEqual({ a: '2', b: 'x\n=y', c: 'has=equals' });
    expect(() => parseFileCommands('x<<EOF\nno end\n')).toThrow(/Matching delimiter not found/);
    expect(() => parseFileCommands('garbage\n')).toThrow(/invalid format/);
  });
  it('parses workflow commands like the runner', () => {
    expect(parseWorkflowCommands('  ::warning file=a%2Cb.ts,line=3::50%25 done%0Anext\nplain ::error::no\n::unknown::x')).toEqual([
      { command: 'warning', properties: { file: 'a,b.ts', line: '3' }, message: '50% done\nnext' },
    ]);
  });
});

describe('payload builders', () => {
  it('keep the repository consistent and apply the options', () => {
    const i = issueLabeled({ label: 'openhands', number: 12, title: 'T', repo: 'acme/widgets', defaultBranch: 'trunk' });
    expect(i.repository).toMatchObject({ full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' }, default_branch: 'trunk' });
    expect(i.issue).toMatchObject({ number: 12, title: 'T', html_url: 'https://github.com/acme/widgets/issues/12' });
    expect(i.label?.name).toBe('openhands');
    expect(i.repository.id).toBe(fakeRepoId('acme/widgets'));
    expect(JSON.stringify(i)).not.toContain('Codertocat/Hello-World');

    const pr = prLabeled({ label: 'openhands', headRef: 'feature', fork: true, sender: 'bob' });
    expect(pr.pull_request.head).toMatchObject({ ref: 'feature', label: 'fork-user:feature', repo: { full_name: 'fork-user/octo-repo', fork: true } });
    expect(pr.pull_request.base).toMatchObject({ ref: 'main', repo: { full_name: 'octo-org/octo-repo' } });
    expect(pr.sender.login).toBe('bob');

    const c = issueComment({ body: '@openhands go', onPullRequest: true, sender: 'renovate[bot]' });
    expect(c.issue.pull_request?.html_url).toBe('https://github.com/octo-org/octo-repo/pull/1');
    expect(c.comment).toMatchObject({ body: '@openhands go', user: { login: 'renovate[bot]', type: 'Bot' }, author_association: 'NONE' });
    expect(c.sender.type).toBe('Bot');

    const rc = prReviewComment({ body: '@openhands here' });
    expect(rc.comment.body).toBe('@openhands here');
    expect(rc.repository.full_name).toBe('octo-org/octo-repo');

    expect(workflowDispatch().ref).toBe('refs/heads/main');
    expect(schedule({ cron: '*/5 * * * *' })).toMatchObject({ schedule: '*/5 * * * *', repository: { full_name: 'octo-org/octo-repo' } });
    expect(() => webhookExample('issues', { action: 'nope' })).toThrow(/have actions: .*labeled/);
  });
});

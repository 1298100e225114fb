import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ineffectiveInputs, parseConfig, readInputs, type RawInputs } from '../../src/config.ts';
import { INPUT } from '../../src/constants.ts';
import { ConfigError } from '../../src/errors.ts';

const workspace = mkdtempSync(path.join(tmpdir(), 'cfg-'));
writeFileSync(path.join(workspace, 'task.md'), 'Fix {{title}}');

function raw(overrides: Partial<Record<string, string>> = {}): RawInputs {
  return readInputs((name) => overrides[name] ?? (name === INPUT.prompt ? 'do it' : name === INPUT.repo ? 'octo-org/octo-repo' : ''));
}

const parse = (o: Partial<Record<string, string>> = {}, env: Record<string, string> = {}) =>
  parseConfig(raw(o), { env, workspace });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const c = parse();
    expect(c).toMatchObject({
      repo: { owner: 'octo-org', name: 'octo-repo', fullName: 'octo-org/octo-repo' },
      baseUrl: 'https://app.all-hands.dev',
      wait: 'ready',
      readyTimeoutMs: 1_200_000,
      finishTimeoutMs: 3_600_000,
      comment: true,
      onCancel: 'pause',
      triggerPhrase: '@openhands',
      label: 'openhands',
      followUp: 'auto',
      dryRun: false,
      promptSource: 'prompt',
      promptTemplate: 'do it',
    });
    expect(c.apiKey).toBeUndefined();
  });

  it('falls back to OPENHANDS_API_KEY and trims a trailing slash from base-url', () => {
    const c = parse({ [INPUT.baseUrl]: 'http://localhost:3000/' }, { OPENHANDS_API_KEY: 'k-123' });
    expect(c.apiKey).toBe('k-123');
    expect(c.baseUrl).toBe('http://localhost:3000');
    // a path prefix (self-hosted behind a proxy) is kept; only a trailing /api or /api/v1 is refused
    expect(parse({ [INPUT.baseUrl]: 'https://oh.example.com/openhands/' }).baseUrl).toBe('https://oh.example.com/openhands');
    expect(parse({ [INPUT.baseUrl]: 'https://oh.example.com/apis' }).baseUrl).toBe('https://oh.example.com/apis');
  });

  it('reads prompt-file relative to the workspace', () => {
    const c = parse({ [INPUT.prompt]: '', [INPUT.promptFile]: 'task.md' });
    expect(c.promptTemplate).toBe('Fix {{title}}');
    expect(c.promptSource).toBe('prompt-file');
  });

  it.each([
    [{ [INPUT.repo]: 'not-a-repo' }, INPUT.repo, /owner\/name/],
    [{ [INPUT.repo]: 'a/b/c' }, INPUT.repo, /owner\/name/],
    [{ [INPUT.wait]: 'forever' }, INPUT.wait, /none, ready, finished/],
    [{ [INPUT.readyTimeout]: '0' }, INPUT.readyTimeout, /positive duration/],
    [{ [INPUT.finishTimeout]: 'soon' }, INPUT.finishTimeout, /90s, 5m or 1h/],
    [{ [INPUT.baseUrl]: 'ftp://x' }, INPUT.baseUrl, /http\(s\)/],
    [{ [INPUT.baseUrl]: 'not a url' }, INPUT.baseUrl, /http\(s\) URL/],
    [{ [INPUT.baseUrl]: 'https://app.all-hands.dev/api' }, INPUT.baseUrl, /without \/api or \/api\/v1.*such as https:\/\/app\.all-hands\.dev,/],
    [{ [INPUT.baseUrl]: 'https://oh.example.com/openhands/api/v1/' }, INPUT.baseUrl, /such as https:\/\/oh\.example\.com\/openhands,/],
    [{ [INPUT.baseUrl]: 'http://localhost:3000/API/V1' }, INPUT.baseUrl, /without \/api/],
    [{ [INPUT.comment]: 'yes' }, INPUT.comment, /true or false/],
    [{ [INPUT.promptFile]: 'missing.md', [INPUT.prompt]: '' }, INPUT.promptFile, /no file/],
    [{ [INPUT.promptFile]: '../etc/passwd', [INPUT.prompt]: '' }, INPUT.promptFile, /inside the workspace/],
    [{ [INPUT.promptFile]: 'task.md' }, INPUT.promptFile, /not both/],
    [{ [INPUT.issueNumber]: 'abc' }, INPUT.issueNumber, /positive issue/],
    [{ [INPUT.branch]: 'bad..branch' }, INPUT.branch, /valid git branch/],
    [{ [INPUT.onCancel]: 'stop' }, INPUT.onCancel, /pause, keep/],
    [{ [INPUT.followUp]: 'sometimes' }, INPUT.followUp, /auto, never/],
    [{ [INPUT.triggerPhrase]: 'hey you' }, INPUT.triggerPhrase, /one word/],
  ])('rejects %j naming the input', (inputs, input, message) => {
    const e = errorOf(() => parse(inputs));
    expect(e.input).toBe(input);
    expect(e.message).toContain(`'${input}'`);
    expect(e.message).toMatch(message);
  });

  it('splits allowed-bots on commas and whitespace', () => {
    expect(parse({ [INPUT.allowedBots]: 'renovate[bot], dependabot[bot]\nmy-app[bot]' }).allowedBots).toEqual([
      'renovate[bot]',
      'dependabot[bot]',
      'my-app[bot]',
    ]);
  });
});

describe('several bad inputs, and inputs that do nothing', () => {
  it('reports every bad input at once, each named', () => {
    const e = errorOf(() => parse({ wait: 'soon', 'ready-timeout': 'ten', 'max-cost': 'lots', 'issue-number': '1e30' }));
    expect(e.inputs).toEqual(['wait', 'ready-timeout', 'issue-number', 'max-cost']);
    for (const name of e.inputs) expect(e.message).toContain(`Input '${name}'`);
    expect(e.message).toMatch(/^4 inputs are wrong:/);
  });

  it('one bad input keeps the one-line form', () => {
    expect(errorOf(() => parse({ wait: 'soon' })).message).toBe("Input 'wait': expected one of none, ready, finished, got 'soon'");
  });

  it('check-run: true is an alias of auto; other values still fail', () => {
    expect(parse({ 'check-run': 'true' }).checkRun).toBe(true);
    expect(parse({ 'check-run': 'false' }).checkRun).toBe(false);
    expect(errorOf(() => parse({ 'check-run': 'yes' })).input).toBe('check-run');
  });

  it('warns for max-cost and finish-timeout without wait: finished, title with wait: none, tracking-label with issue-number', () => {
    const warn = (o: Partial<Record<string, string>>) => ineffectiveInputs(raw(o), parse(o));
    expect(warn({ 'max-cost': '2', 'finish-timeout': '30m' }).map((w) => /^Input '([\w-]+)'/.exec(w)?.[1])).toEqual(['max-cost', 'finish-timeout']);
    expect(warn({ wait: 'none', title: 'x' })).toEqual([expect.stringMatching(/^Input 'title' has no effect with wait: none/)]);
    expect(warn({ 'tracking-label': 'nightly', 'issue-number': '7' })).toEqual([expect.stringMatching(/^Input 'tracking-label'/)]);
    // the runner passes action.yml's default: not a choice the user made
    expect(warn({ 'finish-timeout': '60m' })).toEqual([]);
    expect(warn({ wait: 'finished', 'max-cost': '2', 'finish-timeout': '30m', title: 'x' })).toEqual([]);
  });
});


describe('readInputs outside the runner', () => {
  it("reads action.yml's literal ${{ github.* }} defaults from GITHUB_* (as @github/local-action passes them)", () => {
    const literal: Record<string, string> = { repo: '${{ github.repository }}', 'github-token': '${{ github.token }}', prompt: '${{ inputs.task }}', wait: 'ready' };
    const r = readInputs((n) => literal[n] ?? '', { GITHUB_REPOSITORY: 'octo-org/octo-repo', GITHUB_TOKEN: 'ghs_x' });
    expect(r.repo).toBe('octo-org/octo-repo');
    expect(r['github-token']).toBe('ghs_x');
    expect(r.prompt).toBe(''); // any other unevaluated expression counts as not given
    expect(r.wait).toBe('ready');
  });
});

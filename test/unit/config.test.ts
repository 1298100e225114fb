import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, readInputs, type RawInputs } from '../../src/config.ts';
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

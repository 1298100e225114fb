/**
 * The only place that reads inputs. `parseConfig` is pure: it validates the raw strings and
 * returns one typed, readonly Config, throwing a ConfigError that names the input and the
 * expected form. Nothing here makes a request.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { API_KEY_ENV, DEFAULT_READY_TIMEOUT, INPUT } from './constants.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import type { Env } from './github/event.js';

export type WaitMode = 'none' | 'ready' | 'finished';

export interface RepoRef {
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
}

export interface Config {
  /** the prompt template: from `prompt`, or the contents of `prompt-file`; undefined = default prompt */
  readonly promptTemplate: string | undefined;
  readonly promptSource: 'prompt' | 'prompt-file' | 'default';
  readonly repo: RepoRef;
  readonly branch: string | undefined;
  readonly apiKey: string | undefined;
  readonly baseUrl: string;
  readonly githubToken: string | undefined;
  readonly wait: WaitMode;
  readonly readyTimeoutMs: number;
  readonly finishTimeoutMs: number;
  readonly comment: boolean;
  readonly commentKey: string | undefined;
  readonly issueNumber: number | undefined;
  readonly title: string | undefined;
  readonly llmModel: string | undefined;
  readonly onCancel: 'pause' | 'keep';
  readonly triggerPhrase: string;
  readonly label: string;
  readonly allowedBots: readonly string[];
  readonly followUp: 'auto' | 'never';
  readonly trackingLabel: string | undefined;
  readonly dryRun: boolean;
  /** auto: the phrase, label and assignment gates decide; always: new comments and opened/reopened/synchronize/ready_for_review run without them */
  readonly trigger: 'auto' | 'always';
  /** ask: hold an outsider's trigger for a maintainer's approval; skip: refuse it quietly */
  readonly untrusted: 'ask' | 'skip';
  readonly onTimeout: 'pause' | 'keep';
  /** USD; undefined = no cap */
  readonly maxCost: number | undefined;
  readonly checkRun: boolean;
  /** start only while fewer of the account's sandboxes run or start; 0 = do not look */
  readonly maxSandboxes: number;
  /** run: trigger and follow a conversation; finalize: bring handed-over comments to their end (src/finalize/) */
  readonly mode: 'run' | 'finalize';
  /** scheduled: a finalize workflow reports the end of a handed-over conversation */
  readonly finalize: 'none' | 'scheduled';
  /** the CI fix loop (a failed workflow_run of a pull request): attempts per pull request */
  readonly maxAttempts: number;
  /** the label that stops the CI fix loop on a pull request */
  readonly stopLabel: string;
  /** USD over a rolling 24 h for this repository (or this workflow's comment-key); undefined = no cap (src/limits/) */
  readonly maxCost24h: number | undefined;
  readonly maxCost24hScope: 'repository' | 'workflow';
  /** runs one person may start in a window; undefined = no limit */
  readonly maxRunsPerPerson: { readonly runs: number; readonly windowMs: number } | undefined;
  readonly maxRunsExempt: 'maintainers' | 'none';
}

/**
 * max-sandboxes' default: two below the service's cap of 10 ([api: rate-limits]; Cloud's own value is not
 * published), so a person's web-app conversations and a start that raced ours still fit.
 */
export const DEFAULT_MAX_SANDBOXES = 8;

export type RawInputs = Readonly<Record<(typeof INPUT)[keyof typeof INPUT], string>>;

/**
 * Reads every input through `getInput` (core.getInput in production). The runner evaluates the
 * `${{ github.* }}` defaults of action.yml; tools that run the action outside it
 * (`@github/local-action`) pass them literally, so `${{ github.x }}` is read from `GITHUB_X`
 * and any other unevaluated expression counts as not given.
 */
export function readInputs(getInput: (name: string) => string, env: Env = process.env): RawInputs {
  const raw = {} as Record<string, string>;
  for (const name of Object.values(INPUT)) {
    const value = getInput(name).trim();
    const expr = /^\$\{\{(.*)\}\}$/.exec(value);
    const github = expr ? /^github\.(\w+)$/.exec((expr[1] as string).trim()) : undefined;
    raw[name] = expr ? (github ? (env[`GITHUB_${(github[1] as string).toUpperCase()}`] ?? '').trim() : '') : value;
  }
  return raw as RawInputs;
}

export interface ConfigEnv {
  /** process.env */
  readonly env: Env;
  /** GITHUB_WORKSPACE or cwd: where prompt-file is resolved */
  readonly workspace: string;
}

const REPO_RE = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/**
 * Every bad input of the run is reported at once (one ConfigError listing them all), so a user
 * fixes their workflow in one round instead of one input per run.
 */
export function parseConfig(raw: RawInputs, ctx: ConfigEnv): Config {
  const opt = (name: keyof RawInputs): string | undefined => (raw[name] === '' ? undefined : raw[name]);
  const errors: ConfigError[] = [];
  /** The value, or `fallback` after noting the input's error (the fallback is never used: we throw below). */
  const check = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      return fallback;
    }
  };

  const repoText = opt(INPUT.repo) ?? ctx.env.GITHUB_REPOSITORY ?? '';
  const repo = check((): RepoRef => {
    const repoMatch = REPO_RE.exec(repoText);
    if (!repoMatch || repoMatch[2] === '.' || repoMatch[2] === '..') {
      throw new ConfigError(INPUT.repo, `expected owner/name (e.g. octo-org/octo-repo), got '${repoText}'`);
    }
    return { owner: repoMatch[1] as string, name: repoMatch[2] as string, fullName: repoText };
  }, { owner: '', name: '', fullName: '' });

  const baseUrl = check(() => parseBaseUrl(opt(INPUT.baseUrl) ?? 'https://app.all-hands.dev'), '');
  const wait = check(() => oneOf(INPUT.wait, opt(INPUT.wait) ?? 'ready', ['none', 'ready', 'finished'] as const), 'ready');
  const readyTimeoutMs = check(() => duration(INPUT.readyTimeout, opt(INPUT.readyTimeout) ?? DEFAULT_READY_TIMEOUT), 0);
  const finishTimeoutMs = check(() => duration(INPUT.finishTimeout, opt(INPUT.finishTimeout) ?? FINISH_TIMEOUT_DEFAULT), 0);

  const prompt = opt(INPUT.prompt);
  const promptFile = opt(INPUT.promptFile);
  let promptTemplate = prompt;
  if (prompt && promptFile) {
    errors.push(new ConfigError(INPUT.promptFile, "give either 'prompt' or 'prompt-file', not both"));
  } else if (promptFile) {
    promptTemplate = check(() => readPromptFile(promptFile, ctx), undefined);
  }

  const issueText = opt(INPUT.issueNumber);
  const issueNumber = check((): number | undefined => {
    if (issueText === undefined) return undefined;
    const n = Number(issueText.replace('#', ''));
    if (!/^#?\d+$/.test(issueText) || n < 1 || !Number.isSafeInteger(n)) {
      throw new ConfigError(INPUT.issueNumber, `expected a positive issue or PR number (e.g. 42), got '${issueText}'`);
    }
    return n;
  }, undefined);

  const branch = opt(INPUT.branch);
  if (branch !== undefined && !isValidBranchName(branch)) {
    errors.push(new ConfigError(INPUT.branch, `'${branch}' is not a valid git branch name`));
  }

  const triggerPhrase = opt(INPUT.triggerPhrase) ?? '@openhands';
  if (/\s/.test(triggerPhrase)) {
    errors.push(new ConfigError(INPUT.triggerPhrase, `expected one word such as @openhands, got '${triggerPhrase}'`));
  }

  const commentKey = opt(INPUT.commentKey);
  if (commentKey !== undefined && !/^[\w.:/-]{1,100}$/.test(commentKey)) {
    errors.push(new ConfigError(INPUT.commentKey, 'expected up to 100 letters, digits or . _ - : /'));
  }

  const config = {
    promptTemplate,
    promptSource: prompt ? 'prompt' : promptFile ? 'prompt-file' : 'default',
    repo,
    branch,
    apiKey: opt(INPUT.apiKey) ?? (ctx.env[API_KEY_ENV]?.trim() || undefined),
    baseUrl,
    githubToken: opt(INPUT.githubToken),
    wait,
    readyTimeoutMs,
    finishTimeoutMs,
    comment: check(() => bool(INPUT.comment, opt(INPUT.comment) ?? 'true'), true),
    commentKey,
    issueNumber,
    title: opt(INPUT.title),
    llmModel: opt(INPUT.llmModel),
    onCancel: check(() => oneOf(INPUT.onCancel, opt(INPUT.onCancel) ?? 'pause', ['pause', 'keep'] as const), 'pause'),
    triggerPhrase,
    label: opt(INPUT.label) ?? 'openhands',
    allowedBots: (opt(INPUT.allowedBots) ?? '')
      .split(/[\s,]+/)
      .filter(Boolean),
    followUp: check(() => oneOf(INPUT.followUp, opt(INPUT.followUp) ?? 'auto', ['auto', 'never'] as const), 'auto'),
    trackingLabel: opt(INPUT.trackingLabel),
    dryRun: check(() => bool(INPUT.dryRun, opt(INPUT.dryRun) ?? 'false'), false),
    trigger: check(() => oneOf(INPUT.trigger, opt(INPUT.trigger) ?? 'auto', ['auto', 'always'] as const), 'auto'),
    untrusted: check(() => oneOf(INPUT.untrusted, opt(INPUT.untrusted) ?? 'ask', ['ask', 'skip'] as const), 'ask'),
    onTimeout: check(() => oneOf(INPUT.onTimeout, opt(INPUT.onTimeout) ?? 'pause', ['pause', 'keep'] as const), 'pause'),
    maxCost: check(() => money(INPUT.maxCost, opt(INPUT.maxCost)), undefined),
    // `true` reads naturally next to `false`: an alias of auto.
    checkRun: check(() => oneOf(INPUT.checkRun, opt(INPUT.checkRun) ?? 'auto', ['auto', 'true', 'false'] as const), 'auto') !== 'false',
    mode: check(() => oneOf(INPUT.mode, opt(INPUT.mode) ?? 'run', ['run', 'finalize'] as const), 'run'),
    finalize: check(() => oneOf(INPUT.finalize, opt(INPUT.finalize) ?? 'none', ['none', 'scheduled'] as const), 'none'),
    maxAttempts: check(() => count(INPUT.maxAttempts, opt(INPUT.maxAttempts) ?? '3', 1, 20), 3),
    stopLabel: opt(INPUT.stopLabel) ?? 'openhands-stop',
    maxCost24h: check(() => money(INPUT.maxCost24h, opt(INPUT.maxCost24h)), undefined),
    maxCost24hScope: check(() => oneOf(INPUT.maxCost24hScope, opt(INPUT.maxCost24hScope) ?? 'repository', ['repository', 'workflow'] as const), 'repository'),
    maxRunsPerPerson: check(() => runsPer(INPUT.maxRunsPerPerson, opt(INPUT.maxRunsPerPerson)), undefined),
    maxRunsExempt: check(() => oneOf(INPUT.maxRunsExempt, opt(INPUT.maxRunsExempt) ?? 'maintainers', ['maintainers', 'none'] as const), 'maintainers'),
    maxSandboxes: check(() => count(INPUT.maxSandboxes, opt(INPUT.maxSandboxes) ?? String(DEFAULT_MAX_SANDBOXES), 0, 999, " (0 = do not look at the account's sandboxes)"), DEFAULT_MAX_SANDBOXES),
  } satisfies Config;
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigError(errors.map((e) => e.input), errors.map((e) => e.message).join('\n'), { combined: true });
  return Object.freeze(config);
}

/**
 * Inputs that were given but do nothing in this combination, one warning each: a user who sets
 * `max-cost` with `wait: ready` believes a cap is in force that nothing checks.
 */
export function ineffectiveInputs(raw: RawInputs, cfg: Config): string[] {
  const out: string[] = [];
  const given = (name: keyof RawInputs): boolean => raw[name] !== '';
  // finalize mode follows other runs' conversations: these inputs may matter there.
  if (cfg.mode !== 'run') return out;
  const notFinished = cfg.wait !== 'finished';
  if (notFinished && given(INPUT.maxCost)) {
    out.push(`Input '${INPUT.maxCost}' has no effect with wait: ${cfg.wait}: the cost is checked only while the action follows the agent (wait: finished), and OpenHands has no cap of its own.`);
  }
  // The runner passes the action.yml default when the input is not set, so only another value is a choice.
  if (notFinished && given(INPUT.finishTimeout) && raw[INPUT.finishTimeout] !== FINISH_TIMEOUT_DEFAULT) {
    out.push(`Input '${INPUT.finishTimeout}' has no effect with wait: ${cfg.wait}: it limits only the wait for the agent to finish (wait: finished).`);
  }
  if (cfg.wait === 'none' && given(INPUT.title)) {
    out.push(`Input '${INPUT.title}' has no effect with wait: none: the title is set once the conversation is ready (wait: ready or finished).`);
  }
  if (given(INPUT.trackingLabel) && given(INPUT.issueNumber)) {
    out.push(`Input '${INPUT.trackingLabel}' has no effect when '${INPUT.issueNumber}' is set: the comment goes to that issue.`);
  }
  return out;
}

const FINISH_TIMEOUT_DEFAULT = '60m';

function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(INPUT.baseUrl, `expected an http(s) URL such as https://app.all-hands.dev, got '${text}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(INPUT.baseUrl, `expected an http(s) URL, got the scheme '${url.protocol}'`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(INPUT.baseUrl, 'expected a plain URL without credentials, query or fragment');
  }
  const base = url.toString().replace(/(?<!\/)\/+$/, '');
  // The action adds /api/v1/... itself: a base that already ends there would double it.
  if (/\/api(\/v1)?$/i.test(url.pathname.replace(/(?<!\/)\/+$/, ''))) {
    throw new ConfigError(
      INPUT.baseUrl,
      `expected the server's root URL without /api or /api/v1 (the action adds them), such as ${base.replace(/\/api(\/v1)?$/i, '')}, got '${text}'`,
    );
  }
  return base;
}

function money(input: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\$?(\d+(?:\.\d{1,4})?)$/.exec(text);
  const usd = m ? Number(m[1]) : NaN;
  if (!(usd > 0)) throw new ConfigError(input, `expected an amount in US dollars above 0, such as 2.50, got '${text}'`);
  return usd;
}

/** A whole number in [min, max]; `hint` says what a special value means. */
function count(input: string, text: string, min: number, max: number, hint = ''): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(input, `expected a whole number from ${min} to ${max}${hint}, got '${text}'`);
  return n;
}

/** `5/1h`: at most 5 runs in any hour. */
function runsPer(input: string, text: string | undefined): { runs: number; windowMs: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(text);
  const runs = m ? Number(m[1]) : NaN;
  const windowMs = m ? parseDuration(m[2] as string) : undefined;
  if (!(runs >= 1) || windowMs === undefined) {
    throw new ConfigError(input, `expected runs/duration such as 5/1h (at most 5 runs a person starts in any hour), got '${text}'`);
  }
  return { runs, windowMs };
}

function duration(input: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ConfigError(input, `expected a positive duration such as 90, 90s, 5m or 1h, got '${text}'`);
  }
  return ms;
}

function oneOf<T extends string>(input: string, text: string, allowed: readonly T[]): T {
  const v = text.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(input, `expected one of ${allowed.join(', ')}, got '${text}'`);
  }
  return v as T;
}

function bool(input: string, text: string): boolean {
  const v = text.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(input, `expected true or false, got '${text}'`);
}

/**
 * The template file, read only when it is a regular file inside the workspace. The check is on
 * real paths (symlinks resolved, the workspace's own included): a link in the checkout must not
 * make `/proc/self/environ` (the job token) or any other runner file the prompt.
 */
function readPromptFile(file: string, ctx: ConfigEnv): string {
  const inside = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  const workspace = path.resolve(ctx.workspace);
  const full = path.resolve(workspace, file);
  if (path.isAbsolute(file) || !inside(workspace, full)) {
    throw new ConfigError(INPUT.promptFile, `expected a path inside the workspace, got '${file}'`);
  }
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw new ConfigError(INPUT.promptFile, `no file at '${file}' (resolved against the workspace ${workspace})`);
  }
  if (!inside(realpathSync(workspace), real)) {
    throw new ConfigError(INPUT.promptFile, `expected a file inside the workspace, got '${file}', a link to a file outside it`);
  }
  if (!statSync(real).isFile()) {
    throw new ConfigError(INPUT.promptFile, `expected a regular file, got '${file}', which is not one`);
  }
  const text = readFileSync(real, 'utf8');
  if (!text.trim()) throw new ConfigError(INPUT.promptFile, `the file '${file}' is empty`);
  return text;
}

/** git check-ref-format, the parts a user can get wrong in an input. */
export function isValidBranchName(b: string): boolean {
  return (
    b.length <= 255 &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what git forbids
    !/(^[/.-])|([/.]$)|(\.\.)|(\/\/)|(@\{)|[\s~^:?*[\\\x00-\x1f\x7f]|(\.lock$)|(\/\.)/.test(b) &&
    b !== '@'
  );
}

/**
 * The only place that reads inputs. `parseConfig` is pure: it validates the raw strings and
 * returns one typed, readonly Config, throwing a ConfigError that names the input and the
 * expected form. Nothing here makes a request.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { API_KEY_ENV, INPUT } from './constants.js';
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
  /** auto: the phrase, label and assignment gates decide; always: every delivered event runs */
  readonly trigger: 'auto' | 'always';
  /** ask: hold an outsider's trigger for a maintainer's approval; skip: refuse it quietly */
  readonly untrusted: 'ask' | 'skip';
  readonly onTimeout: 'pause' | 'keep';
  /** USD; undefined = no cap */
  readonly maxCost: number | undefined;
  readonly checkRun: boolean;
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

export type RawInputs = Readonly<Record<(typeof INPUT)[keyof typeof INPUT], string>>;

/** Reads every input through `getInput` (core.getInput in production). */
export function readInputs(getInput: (name: string) => string): RawInputs {
  const raw = {} as Record<string, string>;
  for (const name of Object.values(INPUT)) raw[name] = getInput(name).trim();
  return raw as RawInputs;
}

export interface ConfigEnv {
  /** process.env */
  readonly env: Env;
  /** GITHUB_WORKSPACE or cwd: where prompt-file is resolved */
  readonly workspace: string;
}

const REPO_RE = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

export function parseConfig(raw: RawInputs, ctx: ConfigEnv): Config {
  const opt = (name: keyof RawInputs): string | undefined => (raw[name] === '' ? undefined : raw[name]);

  const repoText = opt(INPUT.repo) ?? ctx.env.GITHUB_REPOSITORY ?? '';
  const repoMatch = REPO_RE.exec(repoText);
  if (!repoMatch || repoMatch[2] === '.' || repoMatch[2] === '..') {
    throw new ConfigError(INPUT.repo, `expected owner/name (e.g. octo-org/octo-repo), got '${repoText}'`);
  }
  const repo = { owner: repoMatch[1] as string, name: repoMatch[2] as string, fullName: repoText };

  const baseUrl = parseBaseUrl(opt(INPUT.baseUrl) ?? 'https://app.all-hands.dev');
  const wait = oneOf(INPUT.wait, opt(INPUT.wait) ?? 'ready', ['none', 'ready', 'finished'] as const);
  const readyTimeoutMs = duration(INPUT.readyTimeout, opt(INPUT.readyTimeout) ?? '5m');
  const finishTimeoutMs = duration(INPUT.finishTimeout, opt(INPUT.finishTimeout) ?? '60m');

  const prompt = opt(INPUT.prompt);
  const promptFile = opt(INPUT.promptFile);
  if (prompt && promptFile) {
    throw new ConfigError(INPUT.promptFile, "give either 'prompt' or 'prompt-file', not both");
  }
  let promptTemplate = prompt;
  if (promptFile) promptTemplate = readPromptFile(promptFile, ctx);

  const issueText = opt(INPUT.issueNumber);
  let issueNumber: number | undefined;
  if (issueText !== undefined) {
    if (!/^#?\d+$/.test(issueText) || Number(issueText.replace('#', '')) < 1) {
      throw new ConfigError(INPUT.issueNumber, `expected a positive issue or PR number (e.g. 42), got '${issueText}'`);
    }
    issueNumber = Number(issueText.replace('#', ''));
  }

  const branch = opt(INPUT.branch);
  if (branch !== undefined && !isValidBranchName(branch)) {
    throw new ConfigError(INPUT.branch, `'${branch}' is not a valid git branch name`);
  }

  const triggerPhrase = opt(INPUT.triggerPhrase) ?? '@openhands';
  if (/\s/.test(triggerPhrase)) {
    throw new ConfigError(INPUT.triggerPhrase, `expected one word such as @openhands, got '${triggerPhrase}'`);
  }

  const commentKey = opt(INPUT.commentKey);
  if (commentKey !== undefined && !/^[\w.:/-]{1,100}$/.test(commentKey)) {
    throw new ConfigError(INPUT.commentKey, 'expected up to 100 letters, digits or . _ - : /');
  }

  return Object.freeze({
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
    comment: bool(INPUT.comment, opt(INPUT.comment) ?? 'true'),
    commentKey,
    issueNumber,
    title: opt(INPUT.title),
    llmModel: opt(INPUT.llmModel),
    onCancel: oneOf(INPUT.onCancel, opt(INPUT.onCancel) ?? 'pause', ['pause', 'keep'] as const),
    triggerPhrase,
    label: opt(INPUT.label) ?? 'openhands',
    allowedBots: (opt(INPUT.allowedBots) ?? '')
      .split(/[\s,]+/)
      .filter(Boolean),
    followUp: oneOf(INPUT.followUp, opt(INPUT.followUp) ?? 'auto', ['auto', 'never'] as const),
    trackingLabel: opt(INPUT.trackingLabel),
    dryRun: bool(INPUT.dryRun, opt(INPUT.dryRun) ?? 'false'),
    trigger: oneOf(INPUT.trigger, opt(INPUT.trigger) ?? 'auto', ['auto', 'always'] as const),
    untrusted: oneOf(INPUT.untrusted, opt(INPUT.untrusted) ?? 'ask', ['ask', 'skip'] as const),
    onTimeout: oneOf(INPUT.onTimeout, opt(INPUT.onTimeout) ?? 'pause', ['pause', 'keep'] as const),
    maxCost: money(INPUT.maxCost, opt(INPUT.maxCost)),
    checkRun: oneOf(INPUT.checkRun, opt(INPUT.checkRun) ?? 'auto', ['auto', 'false'] as const) === 'auto',
    mode: oneOf(INPUT.mode, opt(INPUT.mode) ?? 'run', ['run', 'finalize'] as const),
    finalize: oneOf(INPUT.finalize, opt(INPUT.finalize) ?? 'none', ['none', 'scheduled'] as const),
    maxAttempts: count(INPUT.maxAttempts, opt(INPUT.maxAttempts) ?? '3', 1, 20),
    stopLabel: opt(INPUT.stopLabel) ?? 'openhands-stop',
    maxCost24h: money(INPUT.maxCost24h, opt(INPUT.maxCost24h)),
    maxCost24hScope: oneOf(INPUT.maxCost24hScope, opt(INPUT.maxCost24hScope) ?? 'repository', ['repository', 'workflow'] as const),
    maxRunsPerPerson: runsPer(INPUT.maxRunsPerPerson, opt(INPUT.maxRunsPerPerson)),
    maxRunsExempt: oneOf(INPUT.maxRunsExempt, opt(INPUT.maxRunsExempt) ?? 'maintainers', ['maintainers', 'none'] as const),
  } satisfies Config);
}

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
  const base = url.toString().replace(/\/+$/, '');
  // The action adds /api/v1/... itself: a base that already ends there would double it.
  if (/\/api(\/v1)?$/i.test(url.pathname.replace(/\/+$/, ''))) {
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

function count(input: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(input, `expected a whole number from ${min} to ${max}, got '${text}'`);
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

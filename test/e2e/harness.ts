/**
 * Runs the built action (`dist/index.js`) the way the GitHub Actions runner
 * does for a `node24` action: a child process of the current Node (24), cwd =
 * the workspace, a clean environment with the runner's variables, one
 * `INPUT_<NAME>` per input declared in action.yml (defaults applied), fresh
 * file-command files (GITHUB_OUTPUT, GITHUB_STATE, ...), and for the post step
 * the main step's saved state as `STATE_<name>`.
 *
 * Runner behaviour copied here (actions/runner):
 * - INPUT_ names: upper-cased, spaces → `_`, hyphens kept (`INPUT_PROMPT-FILE`).
 * - Every declared input is set, to its default when the workflow gives none
 *   (defaults may hold `${{ github.* }}` expressions, evaluated here).
 * - File commands: `name=value` or `name<<DELIM` … `DELIM`; lines split on
 *   `\n` (Linux); empty lines skipped; the last value of a name wins.
 * - Workflow commands are recognised at the start of a stdout line (leading
 *   whitespace allowed); data unescapes `%0D %0A %25`, properties also
 *   `%3A %2C`; `::stop-commands::TOKEN` … `::TOKEN::` suspends them.
 * - The runner processes the file commands after the step (actions/runner
 *   FileCommandManager.ProcessFiles), so an output or state value written to
 *   GITHUB_OUTPUT / GITHUB_STATE wins over one a stdout command set.
 * - On cancellation the runner sends SIGINT (then SIGTERM after 7.5 s, then
 *   kills); `opts.signal` sends one signal.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';

export const ACTION_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_ENTRY = path.join(ACTION_ROOT, 'dist', 'index.js');

export interface ActionYml {
  name: string;
  description?: string;
  inputs: Record<string, { description?: string; default?: string; required?: boolean; deprecationMessage?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string; pre?: string };
}

let actionYmlCache: ActionYml | undefined;
/** action.yml, parsed (cached). */
export function readActionYml(): ActionYml {
  if (!actionYmlCache) {
    const doc = parseYaml(readFileSync(path.join(ACTION_ROOT, 'action.yml'), 'utf8')) as Partial<ActionYml>;
    actionYmlCache = {
      ...doc,
      name: doc.name ?? '',
      inputs: doc.inputs ?? {},
      outputs: doc.outputs ?? {},
      runs: doc.runs ?? { using: 'node24', main: 'dist/index.js' },
    };
  }
  return actionYmlCache;
}

/** `INPUT_` variable name for an input, as the runner makes it. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export interface RunActionOptions {
  /** Event name (GITHUB_EVENT_NAME), e.g. 'issues', 'issue_comment', 'schedule'. */
  event: string;
  /** The webhook payload written to GITHUB_EVENT_PATH. */
  payload?: unknown;
  /** The fake GitHub API (GITHUB_API_URL). Usually `fake.url`. */
  githubApiUrl?: string;
  /** Inputs as given under `with:`. Keys must be inputs of action.yml. */
  inputs?: Record<string, string | number | boolean>;
  /** `${{ github.token }}`; default 'ghs_test_token'. */
  githubToken?: string;
  /** Last-word env overrides; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  phase?: 'main' | 'post';
  /** The main step's saved state, passed to the post step as STATE_<name>. */
  state?: Record<string, string>;
  /** Files to create in the workspace: relative path → content. */
  files?: Record<string, string>;
  /** Use this directory as the workspace (not created, not deleted). */
  workspace?: string;
  /** Send a signal to the child when stdout matches, or after ms from spawn. */
  signal?: { signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'; when: RegExp | number };
  /** Kill the child and reject after this long. Default 20 s. */
  timeoutMs?: number;
  /** Script to run instead of dist/index.js (harness tests). */
  entry?: string;
  /** Keep the temp directory (event file, file-command files, runner temp). */
  keepTemp?: boolean;
  // Runner context overrides (defaults derived from the payload):
  repository?: string;
  actor?: string;
  runId?: string;
  runAttempt?: string;
  runNumber?: string;
  workflow?: string;
  job?: string;
  action?: string;
  ref?: string;
  sha?: string;
  serverUrl?: string;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** What the step saved with GITHUB_STATE (pass it as `state` to the post phase). */
  state: Record<string, string>;
  /** What the step exported with GITHUB_ENV. */
  env: Record<string, string>;
  /** Lines added to GITHUB_PATH. */
  paths: string[];
  /** performance.timeOrigin + performance.now() just before spawn. */
  spawnedAt: number;
  exitedAt: number;
  durationMs: number;
  /** When opts.signal was delivered (same clock), if it was. */
  signalSentAt?: number;
  annotations: { errors: string[]; warnings: string[]; notices: string[] };
  /** All recognised workflow commands, in order. */
  commands: WorkflowCommand[];
  /** Values registered with ::add-mask::. */
  masks: string[];
  /** The environment the child got. */
  childEnv: Record<string, string>;
  /** The workspace used; removed after the run unless opts.workspace or opts.keepTemp was given. */
  workspace: string;
}

const RUNNER_COMMANDS = new Set([
  'error',
  'warning',
  'notice',
  'debug',
  'add-mask',
  'group',
  'endgroup',
  'echo',
  'stop-commands',
  'set-output',
  'save-state',
  'set-env',
  'add-path',
  'add-matcher',
  'remove-matcher',
]);

const unescapeData = (s: string) => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) =>
  s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%25/g, '%');

/** Workflow commands in a log, as the runner parses them. */
export function parseWorkflowCommands(log: string): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (!line.startsWith('::')) continue;
    const end = line.indexOf('::', 2);
    if (end < 0) continue;
    const info = line.slice(2, end);
    const data = line.slice(end + 2);
    if (stopToken !== undefined) {
      if (info === stopToken) stopToken = undefined;
      continue;
    }
    const space = info.indexOf(' ');
    const command = space < 0 ? info : info.slice(0, space);
    if (!RUNNER_COMMANDS.has(command)) continue;
    const properties: Record<string, string> = {};
    if (space > 0) {
      for (const prop of info.slice(space + 1).trim().split(',').filter(Boolean)) {
        const eq = prop.indexOf('=');
        if (eq > 0 && eq < prop.length - 1) properties[prop.slice(0, eq)] = unescapeProperty(prop.slice(eq + 1));
      }
    }
    if (command === 'stop-commands') {
      stopToken = data;
      continue;
    }
    out.push({ command, properties, message: unescapeData(data) });
  }
  return out;
}

/**
 * A file-command file (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) as the runner
 * reads it. Throws like the runner fails the step on a malformed file.
 */
export function parseFileCommands(text: string, fileName = 'file command'): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (!name) throw new Error(`${fileName}: invalid format "${line}": name must not be empty`);
      result[name] = line.slice(eq + 1);
    } else if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!name) throw new Error(`${fileName}: invalid format "${line}": name must not be empty`);
      if (!delimiter) throw new Error(`${fileName}: invalid format "${line}": delimiter must not be empty`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i] ?? '');
      }
      if (!closed) throw new Error(`${fileName}: invalid value. Matching delimiter not found '${delimiter}'`);
      result[name] = value.join('\n');
    } else {
      throw new Error(`${fileName}: invalid format "${line}"`);
    }
  }
  return result;
}

function payloadDefaults(payload: unknown) {
  const p = (payload ?? {}) as {
    repository?: { full_name?: string; default_branch?: string; owner?: { login?: string; id?: number }; id?: number };
    sender?: { login?: string; id?: number };
    pull_request?: { number?: number; head?: { ref?: string; sha?: string }; base?: { ref?: string }; merge_commit_sha?: string };
    number?: number;
    ref?: string;
    after?: string;
    head_commit?: { id?: string };
  };
  return p;
}

/** Evaluates the `${{ github.* }}` expressions action.yml defaults may hold. */
function evaluateDefault(value: string, github: Record<string, string>, inputName: string): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    const m = /^github\.([a-z_]+)$/.exec(expr);
    const key = m?.[1];
    if (key === undefined || !(key in github)) {
      throw new Error(`harness: cannot evaluate \${{ ${expr} }} in the default of input "${inputName}"`);
    }
    return github[key] ?? '';
  });
}

/** What the runner gives a step: its environment, and the files and directories behind it. */
export interface RunnerEnv {
  readonly env: Record<string, string>;
  /** the temp directory holding the event file, the file-command files and the runner temp */
  readonly tmp: string;
  readonly workspace: string;
  /** GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY → file */
  readonly files: Record<string, string>;
}

/**
 * The environment the runner gives a `node24` step (see the top of this file): runAction spawns
 * dist/index.js with it; in-process tests of run() stub process.env with it.
 */
export function runnerEnv(opts: Omit<RunActionOptions, 'entry' | 'signal' | 'timeoutMs' | 'keepTemp'>): RunnerEnv {
  const yml = readActionYml();
  const declared = Object.keys(yml.inputs);
  for (const key of Object.keys(opts.inputs ?? {})) {
    if (!(key in yml.inputs)) {
      // The runner only warns ("Unexpected input(s) ..."); a test should not.
      throw new Error(`harness: unexpected input "${key}"; valid inputs are: ${declared.join(', ')}`);
    }
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'oh-action-run-'));
  const workspace = opts.workspace ?? path.join(tmp, 'workspace');
  const runnerTemp = path.join(tmp, 'runner_temp');
  const fileCommands = path.join(runnerTemp, '_runner_file_commands');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(fileCommands, { recursive: true });
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    const target = path.resolve(workspace, rel);
    if (!target.startsWith(workspace + path.sep)) throw new Error(`harness: file "${rel}" is outside the workspace`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const eventPath = path.join(tmp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(opts.payload ?? {}, null, 2));
  const files: Record<string, string> = {};
  for (const kind of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY']) {
    const file = path.join(fileCommands, `${kind.toLowerCase().replace('github_', '')}_${randomUUID()}`);
    writeFileSync(file, '');
    files[kind] = file;
  }

  const p = payloadDefaults(opts.payload);
  const repository = opts.repository ?? p.repository?.full_name ?? 'octo-org/octo-repo';
  const owner = repository.split('/')[0] ?? '';
  const defaultBranch = p.repository?.default_branch ?? 'main';
  const isPrEvent = ['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment'].includes(opts.event);
  const prNumber = p.pull_request?.number ?? p.number;
  let ref = opts.ref;
  if (ref === undefined) {
    if (opts.event === 'pull_request' || opts.event === 'pull_request_review' || opts.event === 'pull_request_review_comment') {
      ref = `refs/pull/${prNumber ?? 1}/merge`;
    } else if (typeof p.ref === 'string' && p.ref.startsWith('refs/')) ref = p.ref;
    else ref = `refs/heads/${defaultBranch}`;
  }
  const sha =
    opts.sha ??
    (opts.event === 'push' ? (p.after ?? p.head_commit?.id) : undefined) ??
    (isPrEvent ? (p.pull_request?.merge_commit_sha ?? p.pull_request?.head?.sha) : undefined) ??
    randomBytes(20).toString('hex');
  const serverUrl = opts.serverUrl ?? 'https://github.com';
  const apiUrl = opts.githubApiUrl ?? 'https://api.github.com';
  const token = opts.githubToken ?? 'ghs_test_token';
  const runId = opts.runId ?? String(10_000_000_000 + Math.floor(Math.random() * 9_000_000_000));
  const actor = opts.actor ?? p.sender?.login ?? 'octocat';
  const workflow = opts.workflow ?? 'OpenHands';
  const job = opts.job ?? 'agent';

  const github: Record<string, string> = {
    repository,
    repository_owner: owner,
    token,
    server_url: serverUrl,
    api_url: apiUrl,
    graphql_url: `${apiUrl}/graphql`,
    workflow,
    job,
    run_id: runId,
    run_number: opts.runNumber ?? '1',
    run_attempt: opts.runAttempt ?? '1',
    actor,
    triggering_actor: actor,
    event_name: opts.event,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\//, ''),
    sha,
    workspace,
    action: opts.action ?? '__self',
  };

  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'windir', 'ComSpec', 'PATHEXT']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_REPOSITORY_ID: String(p.repository?.id ?? 123456789),
    GITHUB_REPOSITORY_OWNER_ID: String(p.repository?.owner?.id ?? 987654),
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: github['run_attempt'],
    GITHUB_RUN_NUMBER: github['run_number'],
    GITHUB_WORKFLOW: workflow,
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/openhands.yml@${ref}`,
    GITHUB_JOB: job,
    GITHUB_ACTION: github['action'],
    GITHUB_ACTION_PATH: ACTION_ROOT,
    GITHUB_ACTOR: actor,
    GITHUB_ACTOR_ID: String(p.sender?.id ?? 583231),
    GITHUB_TRIGGERING_ACTOR: actor,
    GITHUB_SERVER_URL: serverUrl,
    GITHUB_API_URL: apiUrl,
    GITHUB_GRAPHQL_URL: github['graphql_url'],
    GITHUB_REF: ref,
    GITHUB_REF_NAME: github['ref_name'],
    GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_SHA: sha,
    GITHUB_BASE_REF: isPrEvent ? (p.pull_request?.base?.ref ?? '') : '',
    GITHUB_HEAD_REF: isPrEvent ? (p.pull_request?.head?.ref ?? '') : '',
    GITHUB_WORKSPACE: workspace,
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_OUTPUT: files['GITHUB_OUTPUT'],
    GITHUB_STATE: files['GITHUB_STATE'],
    GITHUB_ENV: files['GITHUB_ENV'],
    GITHUB_PATH: files['GITHUB_PATH'],
    GITHUB_STEP_SUMMARY: files['GITHUB_STEP_SUMMARY'],
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 1',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(tmp, 'toolcache'),
    RUNNER_WORKSPACE: path.dirname(workspace),
  });
  for (const [name, def] of Object.entries(yml.inputs)) {
    const given = opts.inputs?.[name];
    env[inputEnvName(name)] = given !== undefined ? String(given) : evaluateDefault(String(def.default ?? ''), github, name);
  }
  if (opts.phase === 'post') {
    for (const [k, v] of Object.entries(opts.state ?? {})) env[`STATE_${k}`] = v;
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return { env, tmp, workspace, files };
}

export async function runAction(opts: RunActionOptions): Promise<ActionRun> {
  const entry = opts.entry ?? DIST_ENTRY;
  if (!existsSync(entry)) throw new Error(`harness: ${entry} does not exist (vitest's global setup builds it; outside vitest run \`npm run build\`)`);
  const { env, tmp, workspace, files } = runnerEnv(opts);

  const timeoutMs = opts.timeoutMs ?? 20_000;
  const spawnedAt = performance.timeOrigin + performance.now();
  const child = spawn(process.execPath, [entry], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let signalSentAt: number | undefined;
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  const sendSignal = () => {
    if (signalSentAt !== undefined || !opts.signal || child.exitCode !== null || child.signalCode !== null) return;
    signalSentAt = performance.timeOrigin + performance.now();
    child.kill(opts.signal.signal);
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    const when = opts.signal?.when;
    if (when instanceof RegExp && signalSentAt === undefined) {
      when.lastIndex = 0;
      if (when.test(stdout)) sendSignal();
    }
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  if (typeof opts.signal?.when === 'number') timers.push(setTimeout(sendSignal, opts.signal.when));
  timers.push(
    setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs),
  );

  let exitedAt = 0;
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      exitedAt = performance.timeOrigin + performance.now();
    });
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => timers.forEach(clearTimeout));

  const cleanup = () => {
    if (!opts.keepTemp) rmSync(tmp, { recursive: true, force: true });
  };
  if (timedOut) {
    cleanup();
    throw new Error(
      `harness: the action did not exit within ${timeoutMs} ms and was killed.\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
    );
  }

  try {
    const read = (k: string) => readFileSync(files[k] ?? '', 'utf8');
    const fileOutputs = parseFileCommands(read('GITHUB_OUTPUT'), 'GITHUB_OUTPUT');
    const fileState = parseFileCommands(read('GITHUB_STATE'), 'GITHUB_STATE');
    const outputs = { ...fileOutputs };
    const state = { ...fileState };
    const exported = parseFileCommands(read('GITHUB_ENV'), 'GITHUB_ENV');
    const paths = read('GITHUB_PATH').split('\n').filter(Boolean);
    const summary = read('GITHUB_STEP_SUMMARY');
    const commands = parseWorkflowCommands(stdout);
    const annotations = { errors: [] as string[], warnings: [] as string[], notices: [] as string[] };
    const masks: string[] = [];
    for (const c of commands) {
      if (c.command === 'error') annotations.errors.push(c.message);
      else if (c.command === 'warning') annotations.warnings.push(c.message);
      else if (c.command === 'notice') annotations.notices.push(c.message);
      else if (c.command === 'add-mask') masks.push(c.message);
      else if (c.command === 'set-output' || c.command === 'save-state') {
        // Deprecated stdout commands: the runner still honours them, with a warning, as they come;
        // the file commands are processed when the step ends, so a value in the file wins.
        const name = c.properties['name'] ?? '';
        const [fromFile, target] = c.command === 'set-output' ? [fileOutputs, outputs] : [fileState, state];
        if (!Object.hasOwn(fromFile, name)) target[name] = c.message;
        annotations.warnings.push(
          `The \`${c.command}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.`,
        );
      }
    }
    return {
      code,
      signal,
      stdout,
      stderr,
      outputs,
      summary,
      state,
      env: exported,
      paths,
      spawnedAt,
      exitedAt,
      durationMs: exitedAt - spawnedAt,
      ...(signalSentAt === undefined ? {} : { signalSentAt }),
      annotations,
      commands,
      masks,
      childEnv: env,
      workspace,
    };
  } finally {
    cleanup();
  }
}

/**
 * run(): one run, top to bottom. Read the inputs and the event; decide (pure); plan (the
 * look-ups); then (steps/work.ts) act (start, re-attach or follow up) and follow (to READY, to
 * the end). However it went, the run ends as a value (steps/end.ts RunEnd) and endRun writes
 * it out: the final comment, check run, outputs, summary and exit status, in this one place.
 */
import * as core from '@actions/core';
import { ineffectiveInputs, parseConfig, readInputs, type Config } from './config.js';
import { API_KEY_ENV, INPUT, OUTPUT, STATE } from './constants.js';
import { InterruptedError, OpenHandsApiError, OverBudgetError, StartFailedError, TimeoutError, getErrorMessage, statusOf } from './errors.js';
import { defaultCommentKey, parseEvent, readEventFile, type Env } from './github/event.js';
import { loadOctokit } from './github/load.js';
import { SecretBox } from './redact.js';
import { realSleep, type Sleep } from './retry.js';
import { decide } from './steps/decide.js';
import type { RunEnd } from './steps/end.js';
import { plan } from './steps/plan.js';
import type { RunContext } from './steps/run.js';
import type { Reached } from './steps/work.js';

/** The rest of the run, loaded on first use: the cold start (spawn → first request) needs none of it. */
type Later = typeof import('./later.js');
let later: Promise<Later> | undefined;
const load = (): Promise<Later> => (later ??= import(/* webpackMode: "eager" */ './later.js'));

export interface RunDeps {
  readonly env: Env;
  /** aborted when the runner cancels the job */
  readonly signal: AbortSignal;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

export async function run(deps: RunDeps): Promise<void> {
  const secrets = new SecretBox((s) => core.setSecret(s));
  for (const name of Object.values(OUTPUT)) core.setOutput(name, '');
  // Every state key this action owns goes through the state file, empty until set: a value a
  // log line tried to set (a `::save-state::` in echoed text) is overwritten, never read back.
  for (const name of Object.values(STATE)) core.saveState(name, '');
  core.saveState(STATE.isPost, 'true');
  const reached: Reached = {};
  let end: RunEnd;
  try {
    end = await steps(deps, secrets, reached);
  } catch (error) {
    end = await failure(error, reached, deps.signal.aborted);
  }
  await (await load()).endRun(end, { secrets, run: reached.run, spent: reached.session?.client.spent() });
  await reached.session?.client.close();
}

/** The steps in order, up to how the run ended (an error thrown here is reported by failure()). */
async function steps(deps: RunDeps, secrets: SecretBox, reached: Reached): Promise<RunEnd> {
  const raw = readInputs((n) => core.getInput(n));
  secrets.add(raw[INPUT.apiKey]);
  secrets.add(raw[INPUT.githubToken]);
  secrets.add(deps.env[API_KEY_ENV]);
  const ctx = parseEvent(deps.env, readEventFile(deps.env));
  const cfg = parseConfig(raw, { env: deps.env, workspace: deps.env.GITHUB_WORKSPACE || process.cwd() });
  debugConfig(cfg);
  for (const warning of ineffectiveInputs(raw, cfg)) core.warning(warning);
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  // A finalize run answers to no trigger: it reports on the conversations earlier runs handed over.
  if (cfg.mode === 'finalize') {
    await (await load()).finalize({ cfg, ctx, secrets, signal: deps.signal, now, sleep });
    return { kind: 'finalized' };
  }

  const decision = decide(cfg, ctx);
  core.info(`Trigger: ${decision.run ? 'accepted' : 'skipped'}: ${decision.why}`);
  if (!decision.run) return { kind: 'skipped', why: decision.why };
  const run: RunContext = {
    cfg,
    ctx,
    secrets,
    signal: deps.signal,
    now,
    sleep,
    key: cfg.commentKey ?? defaultCommentKey(ctx),
    octokit: cfg.githubToken ? await loadOctokit(cfg.githubToken, ctx.apiUrl, { onRetry: (m) => core.info(secrets.redact(m)) }) : undefined,
  };
  reached.run = run;
  const planned = await plan(run);
  if (planned.kind === 'skip') return { kind: 'skipped', why: planned.why };
  // A workflow_run's pull request (the CI fix loop) is the run's subject from here on.
  const subject = planned.plan.subject;
  if (subject) reached.run = { ...run, ctx: { ...run.ctx, subject } };
  // act, wait for READY, follow to the end (steps/work.ts)
  return (await load()).work(reached.run, planned, reached);
}

/** An error that escaped a step: the Report's final state once there is one, else a plain failure. */
async function failure(error: unknown, reached: Reached, cancelled: boolean): Promise<RunEnd> {
  const status = statusOf(error, cancelled);
  const message = cancelled ? 'The job was cancelled while waiting' : getErrorMessage(error);
  const session = reached.session;
  if (!session) return { kind: 'failed', status, message };
  const known =
    error instanceof StartFailedError || error instanceof TimeoutError || error instanceof OpenHandsApiError || error instanceof OverBudgetError || error instanceof InterruptedError;
  if (!known && !cancelled) core.debug(String((error as Error)?.stack ?? error));
  const { reporter } = session;
  reporter.apply({ status, error: message });
  const stopped = await (await load()).stopSpending(reporter.report, session.run.cfg);
  if (stopped) reporter.apply({ error: `${message}; ${stopped.note}`, ...(stopped.paused ? { sandboxStatus: 'PAUSED' } : {}) });
  return { kind: 'reported', reporter, checks: reached.checks };
}

function debugConfig(cfg: Config): void {
  const { apiKey: _k, githubToken: _t, promptTemplate, ...shown } = cfg;
  core.debug(`config: ${JSON.stringify({ ...shown, promptTemplate: `${promptTemplate?.length ?? 0} chars` })}`);
}

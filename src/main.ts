/**
 * run(): one run, top to bottom. Read the inputs and the event; decide (pure); plan (the
 * look-ups); act (start, re-attach or follow up); follow (to READY, to the end); and, whatever
 * happened, report: the final comment, outputs, summary and exit status are written in
 * `finally`, in this one place.
 */
import * as core from '@actions/core';
import { ineffectiveInputs, parseConfig, readInputs, type Config } from './config.js';
import { API_KEY_ENV, INPUT, OUTPUT, STATE } from './constants.js';
import { InterruptedError, OpenHandsApiError, OverBudgetError, StartFailedError, TimeoutError, getErrorMessage, statusOf } from './errors.js';
import { defaultCommentKey, parseEvent, readEventFile, type Env } from './github/event.js';
import { loadOctokit } from './github/load.js';
import { fixNote } from './ci-fix.js';
import { pushNote } from './push-delta.js';
import type { Report } from './report.js';
import { SecretBox } from './redact.js';
import { realSleep, type Sleep } from './retry.js';
import type { CheckRunStep } from './steps/check-run.js';
import { pastRuns } from './limits/ledger.js';
import { decide } from './steps/decide.js';
import { stepFingerprint } from './steps/identity.js';
import { missingApiKey, plan } from './steps/plan.js';
import { reactLater, type Plan, type Run, type Session } from './steps/run.js';

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
  const skip = async (why: string, summary?: string): Promise<void> => {
    const { STATUS, writeSummary } = await load();
    core.setOutput(OUTPUT.status, 'skipped');
    core.setOutput(OUTPUT.skipReason, why);
    return writeSummary(summary ?? `### OpenHands · ${STATUS.skipped.headline}\n\n${why}`, (t) => secrets.redact(t));
  };

  let session: Session | undefined;
  let runValue: Run | undefined;
  let checks: CheckRunStep | undefined;
  try {
    const raw = readInputs((n) => core.getInput(n));
    secrets.add(raw[INPUT.apiKey]);
    secrets.add(raw[INPUT.githubToken]);
    secrets.add(deps.env[API_KEY_ENV]);
    const ctx = parseEvent(deps.env, readEventFile(deps.env));
    const cfg = parseConfig(raw, { env: deps.env, workspace: deps.env.GITHUB_WORKSPACE || process.cwd() });
    debugConfig(cfg);
    for (const warning of ineffectiveInputs(raw, cfg)) core.warning(warning);
    // A finalize run answers to no trigger: it reports on the conversations earlier runs handed over.
    if (cfg.mode === 'finalize') return await (await load()).finalize({ cfg, ctx, secrets, signal: deps.signal, now: deps.now ?? Date.now, sleep: deps.sleep ?? realSleep });

    const decision = decide(cfg, ctx);
    core.info(`Trigger: ${decision.run ? 'accepted' : 'skipped'}: ${decision.why}`);
    if (!decision.run) return await skip(decision.why);
    runValue = {
      cfg,
      ctx,
      secrets,
      signal: deps.signal,
      now: deps.now ?? Date.now,
      sleep: deps.sleep ?? realSleep,
      key: cfg.commentKey ?? defaultCommentKey(ctx),
      octokit: cfg.githubToken ? await loadOctokit(cfg.githubToken, ctx.apiUrl, { onRetry: (m) => core.info(secrets.redact(m)) }) : undefined,
    };
    const planned = await plan(runValue);
    if (planned.kind === 'skip') return await skip(planned.why);
    // A workflow_run's pull request (the CI fix loop) is the run's subject from here on.
    if (planned.plan.subject) runValue = { ...runValue, ctx: { ...runValue.ctx, subject: planned.plan.subject } };
    const { OpenHandsClient, Reporter, CheckRunStep, act, agentPrOnGitHub, dryRunSummary, hold, waitFinished, waitReady, checkLimits, refuseOverLimit } = await load();
    // The cross-run limits, before any paid work (not for a re-run of the same run, which re-attaches).
    const reRun = planned.plan.sticky?.state?.runId === ctx.runId;
    const limits = planned.kind === 'run' && !cfg.dryRun && !reRun ? await checkLimits(runValue) : undefined;
    const reporter = newReporter(Reporter, runValue, planned.plan, limits?.line);
    const held = planned.kind === 'hold' ? planned : undefined;
    if (cfg.dryRun) return await skip('dry-run', dryRunSummary(runValue, planned.plan, reporter, held));
    if (held) return await hold(runValue, held, reporter);
    if (limits?.refused) return await refuseOverLimit(runValue, planned.plan, reporter, limits.refused);

    // The plan refused a run without a key; this keeps the type honest.
    if (!cfg.apiKey) throw missingApiKey();
    const client = new OpenHandsClient({
      baseUrl: cfg.baseUrl,
      apiKey: cfg.apiKey,
      signal: deps.signal,
      sleep: runValue.sleep,
      onRetry: (m) => core.info(secrets.redact(m)),
      onSecret: (s) => secrets.add(s),
    });
    const s: Session = { run: runValue, plan: planned.plan, reporter, client };
    session = s;
    const acted = await act(s);
    if (acted.kind === 'skip') {
      session = undefined;
      return await skip(acted.why);
    }
    // The check run shows the work from here, once the conversation has a link (else at READY).
    checks = new CheckRunStep(runValue);
    await checks.progress(reporter.report);
    if (acted.kind === 'followed-up') {
      if (cfg.wait === 'finished') {
        await waitFinished(s, acted.followedUp.conversationId, { followUp: acted.followedUp, findPrElsewhere: agentPrOnGitHub(s) });
      }
      return;
    }
    if (cfg.wait === 'none') {
      reporter.report.status = 'started';
      return;
    }
    const conversationId = await waitReady(s, acted.started);
    await checks.progress(reporter.report);
    if (cfg.wait === 'finished') await waitFinished(s, conversationId, { findPrElsewhere: agentPrOnGitHub(s) });
  } catch (error) {
    await fail(error, session, deps, secrets);
    if (!session && runValue) reactLater(runValue, 'confused');
  } finally {
    if (session) await finish(session, secrets, checks);
  }
}

/** The final comment, outputs, summary and exit status of a run that reached the service. */
async function finish(s: Session, secrets: SecretBox, checks: CheckRunStep | undefined): Promise<void> {
  const { renderSummary, writeSummary, STATUS } = await load();
  const { reporter } = s;
  reporter.report.final = true;
  // What the run spent of the account's shared request budget (summary, details); the check run's
  // id goes into the marker: a finalize run completes it (src/finalize/).
  await reporter.update({ spent: s.client.spent(), ...(checks?.id !== undefined ? { checkRunId: checks.id } : {}) }, { force: true });
  await checks?.complete(reporter.report);
  reporter.writeOutputs();
  await writeSummary(renderSummary(reporter.report), (t) => secrets.redact(t));
  const r = reporter.report;
  if (STATUS[r.status].failing) {
    reactLater(s.run, 'confused');
    core.setFailed(secrets.redact(r.error ?? `OpenHands conversation ended as ${r.status}`));
  }
  await s.client.close();
}

/** Reports an error that escaped a step: as the Report's final state, or plainly before one exists. */
async function fail(error: unknown, session: Session | undefined, deps: RunDeps, secrets: SecretBox): Promise<void> {
  const { stopSpending, writeSummary, STATUS } = await load();
  const cancelled = deps.signal.aborted;
  const status = statusOf(error, cancelled);
  const message = cancelled ? 'The job was cancelled while waiting' : getErrorMessage(error);
  if (!session) {
    core.setOutput(OUTPUT.status, status);
    core.setFailed(secrets.redact(message));
    await writeSummary(`### OpenHands · ${STATUS[status].headline}\n\n\`\`\`text\n${message}\n\`\`\``, (t) => secrets.redact(t));
    return;
  }
  const known =
    error instanceof StartFailedError || error instanceof TimeoutError || error instanceof OpenHandsApiError || error instanceof OverBudgetError || error instanceof InterruptedError;
  if (!known && !cancelled) core.debug(String((error as Error)?.stack ?? error));
  const r = session.reporter.report;
  r.status = status;
  r.error = message;
  const paused = await stopSpending(r, session.run.cfg);
  if (paused) r.error = `${message}; ${paused}`;
}

function newReporter(Reporter: Later['Reporter'], run: Run, plan: Plan, limits?: string): InstanceType<Later['Reporter']> {
  const { ctx, cfg } = run;
  return new Reporter(
    {
      key: run.key,
      status: 'pending',
      final: false,
      repo: plan.work.repo,
      serverUrl: ctx.serverUrl,
      baseUrl: cfg.baseUrl,
      runUrl: ctx.runUrl,
      runId: ctx.runId,
      runAttempt: ctx.runAttempt,
      step: stepFingerprint(run, plan.work),
      startedAt: run.now(),
      updatedAt: run.now(),
      actor: ctx.comment?.author.login || ctx.sender.login || ctx.actor,
      previous: [...(plan.sticky?.state?.previous ?? [])],
      ...(cfg.maxCost !== undefined ? { maxCost: cfg.maxCost } : {}),
      ...(cfg.finalize === 'scheduled' ? { finalizeLater: true } : {}),
      runs: pastRuns(plan.sticky?.state, ctx.runId, run.now()),
      ...(limits ? { limits } : {}),
      ...(plan.approval ? { approval: plan.approval } : {}),
      ...loopFields(plan),
    },
    {
      octokit: cfg.dryRun ? undefined : run.octokit,
      target: plan.commentTarget,
      existingCommentId: plan.sticky?.id,
      existingCommentUrl: plan.sticky?.url,
      redact: (t) => run.secrets.redact(t),
      now: run.now,
      warn: (m) => core.warning(m),
      setOutput: (n, v) => core.setOutput(n, v),
      saveState: (n, v) => core.saveState(n, v),
      sleep: run.sleep,
    },
  );
}

/**
 * The loops' marker fields: the head a review covers (else the last reviewed one stays), the CI
 * fix counter (else the comment's stays), and what this run covers.
 */
function loopFields(plan: Plan): Pick<Report, 'headSha' | 'fix' | 'loopNote'> {
  const headSha = plan.headSha ?? plan.sticky?.state?.headSha;
  const fix = plan.fix ?? plan.sticky?.state?.fix;
  const note = plan.delta ? pushNote(plan.delta) : plan.ci ? fixNote(plan.ci) : undefined;
  return { ...(headSha ? { headSha } : {}), ...(fix ? { fix } : {}), ...(note ? { loopNote: note } : {}) };
}

function debugConfig(cfg: Config): void {
  const { apiKey: _k, githubToken: _t, promptTemplate, ...shown } = cfg;
  core.debug(`config: ${JSON.stringify({ ...shown, promptTemplate: `${promptTemplate?.length ?? 0} chars` })}`);
}

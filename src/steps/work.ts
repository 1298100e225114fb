/**
 * The run after its look-ups (loaded on first use: the cold start needs none of it): a dry run or
 * a hold ends here; else act (start, re-attach or follow up), wait for READY, follow the agent to
 * its end. Returns how the run ended; main.ts hands that to endRun.
 */
import * as core from '@actions/core';
import { checkLimits } from '../limits/check.js';
import { pastRuns } from '../limits/ledger.js';
import { refuseOverLimit } from '../limits/refuse.js';
import { fixNote } from '../ci-fix.js';
import { pushNote } from '../push-delta.js';
import { threadOf } from '../marker.js';
import type { Report } from '../report.js';
import { stepFingerprint } from './identity.js';
import { startedByThisRun } from '../marker.js';
import { Reporter } from '../reporter.js';
import { act } from './act/choose.js';
import { hold } from './act/hold.js';
import { agentPrOnGitHub } from './agent-pr-github.js';
import { CheckRunStep } from './check-run.js';
import { dryRunSummary } from './dry-run.js';
import type { RunEnd } from './end.js';
import { waitFinished } from './finish.js';
import { waitReady } from './ready.js';
import { openHandsClient } from './client.js';
import type { Planned } from './plan.js';
import type { Plan, RunContext, Session } from './run.js';

/** What the run reached: the failure path reports into the session's Report once there is one. */
export interface Reached {
  run?: RunContext;
  session?: Session;
  checks?: CheckRunStep;
}

export async function work(run: RunContext, planned: Exclude<Planned, { readonly kind: 'skip' }>, reached: Reached): Promise<RunEnd> {
  const { cfg } = run;
  // The cross-run limits, before any paid work (not for a re-run of a run that started, which
  // re-attaches; a re-run of a refused one is checked again).
  const reRun = startedByThisRun(planned.plan.sticky?.state, run.ctx.runId);
  const limits = planned.kind === 'run' && !cfg.dryRun && !reRun ? await checkLimits(run) : undefined;
  const reporter = newReporter(run, planned.plan, limits?.line);
  const held = planned.kind === 'hold' ? planned : undefined;
  if (cfg.dryRun) return { kind: 'skipped', why: 'dry-run', summary: dryRunSummary(run, planned.plan, reporter, held) };
  if (held) return hold(run, held, reporter);
  if (limits?.refused) return refuseOverLimit(run, planned.plan, reporter, limits.refused);

  const client = openHandsClient(run);
  const s: Session = { run, plan: planned.plan, reporter, client };
  reached.session = s;
  const acted = await act(s);
  if (acted.kind === 'skip') {
    reached.session = undefined;
    return { kind: 'skipped', why: acted.why };
  }
  const ended: RunEnd = { kind: 'reported', reporter, checks: (reached.checks = new CheckRunStep(run)) };
  // The check run shows the work from here, once the conversation has a link (else at READY).
  await reached.checks.progress(reporter.report);
  if (acted.kind === 'followed-up') {
    if (cfg.wait === 'finished') await waitFinished(s, acted.followedUp.conversationId, { followUp: acted.followedUp, findPrElsewhere: agentPrOnGitHub(s) });
    return ended;
  }
  if (cfg.wait === 'none') {
    reporter.apply({ status: 'started' });
    return ended;
  }
  const conversationId = await waitReady(s, acted.started);
  await reached.checks.progress(reporter.report);
  if (cfg.wait === 'finished') await waitFinished(s, conversationId, { findPrElsewhere: agentPrOnGitHub(s) });
  return ended;
}

function newReporter(run: RunContext, plan: Plan, limits?: string): Reporter {
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
      ...(plan.commentTarget ? { subject: threadOf(`${plan.commentTarget.owner}/${plan.commentTarget.repo}`, plan.commentTarget.issueNumber) } : {}),
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

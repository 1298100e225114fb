/**
 * Plan, for the CI fix loop (ci-fix.ts): a failed workflow_run of a pull request of this
 * repository. Finds the pull request (the payload names it; else GitHub's commit → pull
 * request look-up), reads it as GitHub has it now (open? stop label? head?), reads its sticky
 * comment's attempt counter, decides, and for an attempt reads the failed jobs. Runs after the
 * permission gate: the upstream run's people are checked like any trigger's.
 */
import * as core from '@actions/core';
import { decideFix, failedJobs, failedRunOf, type CiFailure, type FailedJob, type FailedRun } from '../ci-fix.js';
import { INPUT } from '../constants.js';
import { ConfigError, getErrorMessage } from '../errors.js';
import { listRunJobs, pullRequestOfCommit, readPullRequest } from '../github/actions.js';
import { findStickyComment } from '../github/comments.js';
import type { Subject } from '../github/event.js';
import { buildPrompt, type WorkTarget } from '../prompt.js';
import { conversationUrl } from '../report.js';
import type { Planned } from './plan.js';
import { warnForeign, type Plan, type RunContext } from './run.js';


/** The fix loop's plan, or undefined when the event is not a failed run of one of this repository's pull requests. */
export async function planCiFix(run: RunContext, why: Plan['why']): Promise<Planned | undefined> {
  const { ctx, cfg, octokit } = run;
  const failed = failedRunOf(ctx);
  if (!failed || ctx.subject) return undefined;
  const up = ctx.upstream;
  if (!octokit) throw new ConfigError(INPUT.githubToken, 'a token is needed to find the pull request of the failed run');
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const number = up?.pullNumber ?? (await pullRequestOfCommit(octokit, owner, repo, failed.headSha));
  // A failed run of no pull request (a push to main): not the loop's, the user's prompt decides.
  if (number === undefined) return undefined;
  const pr = await readPullRequest(octokit, owner, repo, number);
  // A fork's head (GitHub names no pull request for it; the commit look-up does) gets no fix attempts.
  if (up?.fork || pr.headRepo.toLowerCase() !== ctx.repository.toLowerCase()) {
    return { kind: 'skip', why: `pull request #${number} comes from ${pr.headRepo ? `the fork ${pr.headRepo}` : 'a fork that no longer exists'}: the agent cannot push a fix there` };
  }
  // The budget lives in the status comment: without it nothing would stop the loop.
  if (!cfg.comment) throw new ConfigError(INPUT.comment, `the CI fix loop keeps its attempt counter (max-attempts) in the status comment on pull request #${number}: set comment: true`);
  const target = { owner, repo, issueNumber: number };
  const sticky = await findStickyComment(octokit, target, run.key, warnForeign(number));
  const prev = sticky?.state;
  const d = decideFix({
    run: failed,
    pr,
    prev: prev?.fix,
    // A re-run of this very run (its job failed) goes on with the attempt it made.
    sameRun: prev?.runId === ctx.runId,
    maxAttempts: cfg.maxAttempts,
    stopLabel: cfg.stopLabel,
    upstreamActors: (up?.actors ?? []).map((a) => a.login),
    ...(prev?.conversationId ? { lastConversationUrl: conversationUrl(cfg.baseUrl, prev.conversationId) } : {}),
  });
  core.info(`CI fix loop: ${d.kind}${'why' in d ? `: ${d.why}` : ` (attempt ${d.attempt} of ${cfg.maxAttempts})`}`);
  const subject: Subject = { ...pr, isPullRequest: true };
  const work: WorkTarget = { repo: cfg.repo.fullName, branch: cfg.branch ?? pr.headRef };
  const base = { work, commentTarget: target, sticky, prompt: '', why, subject };
  switch (d.kind) {
    case 'skip':
      return { kind: 'skip', why: d.why };
    case 'exhausted':
      // Said once, mentioning who asked; later failures end quietly.
      return d.notify ? { kind: 'hold', plan: { ...base, fix: d.fix }, status: 'skipped', why: d.why } : { kind: 'skip', why: d.why };
    case 'attempt': {
      const ci: CiFailure = { run: failed, jobs: await readFailedJobs(run, owner, repo, failed), attempt: d.attempt, maxAttempts: cfg.maxAttempts };
      const prompt = buildPrompt(cfg, { ...ctx, subject }, work, undefined, undefined, ci);
      return { kind: 'run', plan: { ...base, prompt, fix: d.fix, ci } };
    }
  }
}

/** A failed read leaves the jobs out (the prompt links the run instead): the fix is worth more than the list. */
async function readFailedJobs(run: RunContext, owner: string, repo: string, failed: FailedRun): Promise<readonly FailedJob[] | undefined> {
  try {
    return failedJobs(await listRunJobs(run.octokit!, owner, repo, failed.id, failed.attempt));
  } catch (error) {
    core.warning(`Could not list the failed jobs of run ${failed.id}, so the prompt links the run instead: ${run.secrets.redact(getErrorMessage(error))}`);
    return undefined;
  }
}

export type { CiFailure };

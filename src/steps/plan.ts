/**
 * Step 2: the look-ups that decide where and whether to work, in parallel: who triggered (the
 * permission gate, which decides first), where the conversation works (the PR's branches), and
 * this key's sticky comment. Then the API key, the prompt and, for runs without an issue, the
 * tracking issue. No OpenHands request is made here.
 */
import * as core from '@actions/core';
import { API_KEY_ENV, INPUT } from '../constants.js';
import { ConfigError, getErrorMessage } from '../errors.js';
import { findStickyComment, type CommentTarget, type StickyComment } from '../github/comments.js';
import { findTrackingIssue, getPermission, getPullRequestRefs } from '../github/issues.js';
import { buildPrompt, type WorkTarget } from '../prompt.js';
import { checkActors } from '../triggers.js';
import type { Plan, Run } from './run.js';

export type Planned = { readonly kind: 'run'; readonly plan: Plan } | { readonly kind: 'skip'; readonly why: string };

export function missingApiKey(): ConfigError {
  return new ConfigError(
    INPUT.apiKey,
    `required: pass a secret (api-key: \${{ secrets.OPENHANDS_API_KEY }}) or set the ${API_KEY_ENV} environment variable`,
  );
}

export async function plan(run: Run, triggerWhy: string): Promise<Planned> {
  const { cfg, ctx, octokit } = run;
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const subjectNumber = ctx.subject?.number ?? cfg.issueNumber;
  const [permissionResult, workResult, stickyResult] = await Promise.allSettled([
    checkActors(ctx, cfg.allowedBots, async (login) => {
      if (!octokit) throw new ConfigError(INPUT.githubToken, 'a token is needed to check who triggered the run');
      try {
        return await getPermission(octokit, owner, repo, login);
      } catch (error) {
        // The error names the request (checking alice's permission on o/r: HTTP …).
        throw new Error(`${getErrorMessage(error)}; without it the run is refused`, { cause: error });
      }
    }),
    workTarget(run, owner, repo),
    findSticky(run, owner, repo, subjectNumber),
  ]);
  // The permission decides first: a refused trigger is a quiet skip, whatever else failed,
  // and before the API key is looked at (a reader's mention on a repo without a key is no error).
  const permission = settled(permissionResult);
  core.info(`Permission: ${permission.run ? 'granted' : 'refused'}: ${permission.why}`);
  if (!permission.run) return { kind: 'skip', why: permission.why };
  const work = settled(workResult);
  if (!cfg.apiKey && !cfg.dryRun) {
    if (!work.fork) throw missingApiKey();
    return {
      kind: 'skip',
      why: `this pull request comes from the fork ${work.fork.headRepo}, and workflows triggered from forks get no secrets, so there is no OpenHands API key`,
    };
  }
  let found = settled(stickyResult);
  if (subjectNumber === undefined) found = await findSticky(run, owner, repo, await trackingIssue(run, owner, repo));
  return {
    kind: 'run',
    plan: {
      work,
      commentTarget: found?.target,
      sticky: found?.sticky,
      prompt: buildPrompt(cfg, ctx, work),
      why: { trigger: triggerWhy, permission: permission.why },
    },
  };
}

async function workTarget(run: Run, owner: string, repo: string): Promise<WorkTarget> {
  const { cfg, ctx, octokit } = run;
  const sameRepo = cfg.repo.fullName.toLowerCase() === ctx.repository.toLowerCase();
  const s = ctx.subject;
  let headRef = s?.headRef;
  let headRepo = s?.headRepo;
  let baseRef = s?.baseRef;
  if (s?.isPullRequest && sameRepo && !headRef && octokit) {
    ({ headRef, headRepo, baseRef } = await getPullRequestRefs(octokit, owner, repo, s.number));
  }
  // No head repo (a deleted fork, or no token to look it up) is treated as a fork: the safe side.
  const fork = Boolean(s?.isPullRequest && (!headRepo || headRepo.toLowerCase() !== ctx.repository.toLowerCase()));
  const auto = !sameRepo ? undefined : s?.isPullRequest ? (fork ? baseRef : headRef) : (ctx.defaultBranch ?? ctx.refName);
  return {
    repo: cfg.repo.fullName,
    branch: cfg.branch ?? auto,
    ...(fork && s ? { fork: { headRepo: headRepo || 'a fork that no longer exists', headRef: headRef ?? '', prRef: `refs/pull/${s.number}/head` } } : {}),
  };
}

/** Where the comment goes, and this key's sticky comment there. */
async function findSticky(
  run: Run,
  owner: string,
  repo: string,
  issueNumber: number | undefined,
): Promise<{ target: CommentTarget; sticky: StickyComment | undefined } | undefined> {
  if (!run.cfg.comment || !run.octokit || issueNumber === undefined) return undefined;
  const target = { owner, repo, issueNumber };
  return { target, sticky: await findStickyComment(run.octokit, target, run.key) };
}

async function trackingIssue(run: Run, owner: string, repo: string): Promise<number | undefined> {
  const { cfg, ctx, octokit } = run;
  if (!cfg.trackingLabel || !octokit || !cfg.comment) return undefined;
  return findTrackingIssue(octokit, owner, repo, cfg.trackingLabel, {
    create: !cfg.dryRun,
    title: `OpenHands: ${ctx.workflow}`,
    body: `Runs of the workflow **${ctx.workflow}** report their OpenHands conversations here.`,
  });
}

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

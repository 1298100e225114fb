/**
 * Step 2: the look-ups that decide where and whether to work, in parallel: who triggered (the
 * permission gate, which decides first), where the conversation works (the PR's branches), and
 * this key's sticky comment (whose marker may hold an outsider's request). Then the gates in
 * their one order (approval.ts `gate`): trigger, permission or hold, and only then the API key.
 * An approved request is read again from GitHub; then the prompt and, for runs without an
 * issue, the tracking issue. No OpenHands request is made here.
 */
import * as core from '@actions/core';
import { approvalGesture, classifyTrigger, gate, heldRequestOf, resolveApproval, subjectDigestOf, type ApprovalState, type GateInput } from '../approval.js';
import { API_KEY_ENV, INPUT } from '../constants.js';
import { ConfigError, getErrorMessage, GitHubApiError } from '../errors.js';
import { readHeldRequest, readHeldSubject } from '../github/approval.js';
import { findStickyComment, type CommentTarget, type StickyComment } from '../github/comments.js';
import { findTrackingIssue, getPermission, getPullRequestRefs } from '../github/issues.js';
import { buildPrompt, type WorkTarget } from '../prompt.js';
import { checkActors, type PermissionDecision } from '../triggers.js';
import { assertOwnComment } from './identity.js';
import { warnForeign, type Plan, type RunContext } from './run.js';
import { planCiFix } from './ci-fix.js';
import { since } from './since.js';

export type Planned =
  | { readonly kind: 'run'; readonly plan: Plan }
  /**
   * Nothing starts, but the comment says why (act/hold.ts): an outsider's request waits for
   * approval (`awaiting_approval`), or an approved one changed since it was held (`skipped`).
   */
  | { readonly kind: 'hold'; readonly plan: Plan; readonly status: 'awaiting_approval' | 'skipped'; readonly why: string }
  | { readonly kind: 'skip'; readonly why: string };

export function missingApiKey(): ConfigError {
  return new ConfigError(
    INPUT.apiKey,
    `required: pass a secret (api-key: \${{ secrets.OPENHANDS_API_KEY }}) or set the ${API_KEY_ENV} environment variable`,
  );
}

type Found = { target: CommentTarget; sticky: StickyComment | undefined } | undefined;

export async function plan(run: RunContext): Promise<Planned> {
  const { cfg, ctx } = run;
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const subjectNumber = ctx.subject?.number ?? cfg.issueNumber;
  const [permissionResult, workResult, stickyResult] = await Promise.allSettled([
    permissionOf(run, owner, repo),
    workTarget(run, owner, repo),
    findSticky(run, owner, repo, subjectNumber),
  ]);
  // The permission decides first: a failed check refuses the run, whatever else failed.
  const permission = settled(permissionResult);
  core.info(`Permission: ${permission.run ? 'granted' : 'refused'}: ${permission.why}`);
  // Only an approval gesture reads the marker to classify: other events do not wait on the comment.
  // A refused sender's gesture could approve nothing, so an unreadable comment does not fail it.
  const readMarker = approvalGesture(ctx, cfg) && (permission.run || stickyResult.status === 'fulfilled');
  const marker = readMarker ? settled(stickyResult)?.sticky?.state : undefined;
  const sticky = readMarker ? settled(stickyResult)?.sticky : undefined;
  const trigger = classifyTrigger(ctx, cfg, marker?.approval, sticky?.updatedAt ? Date.parse(sticky.updatedAt) : undefined);
  const g = gate({
    trigger,
    permission,
    untrusted: cfg.untrusted,
    request: heldRequestOf(ctx, run.now()),
    // The key matters only for a trigger whose sender passed (its fork check needs the PR look-up).
    apiKey: permission.run && trigger.kind !== 'skip' ? apiKeyState(cfg, workResult) : 'present',
  });
  core.info(`Gate: ${g.kind}${'why' in g ? `: ${g.why}` : ''}`);
  const why = { trigger: trigger.why, permission: permission.why };
  switch (g.kind) {
    case 'skip':
      return { kind: 'skip', why: g.why };
    case 'missing-key':
      throw missingApiKey();
    case 'hold': {
      // A hold starts nothing, so a failed look-up must not turn it red: without the comment it
      // is just not recorded (no second comment is risked), and the repository is the input's.
      if (stickyResult.status === 'rejected') {
        core.warning(`Could not read the status comment, so the held request is not recorded there: ${getErrorMessage(stickyResult.reason)}`);
      }
      const found = stickyResult.status === 'fulfilled' ? stickyResult.value : undefined;
      const work = workResult.status === 'fulfilled' ? workResult.value : { repo: cfg.repo.fullName, branch: cfg.branch };
      // The title and description as GitHub has them now, which an approval must find unchanged.
      const subjectDigest = await heldSubjectDigest(run, owner, repo, g.request.number);
      const p = { work, commentTarget: found?.target, sticky: found?.sticky, prompt: '', why, approval: { held: g.request, ...(subjectDigest ? { subjectDigest } : {}) } };
      return { kind: 'hold', plan: p, status: 'awaiting_approval', why: g.why };
    }
    case 'approved': {
      if (!run.octokit) throw new ConfigError(INPUT.githubToken, 'a token is needed to read the approved request');
      const work = settled(workResult);
      const found = settled(stickyResult);
      // Read again now: only the text the maintainer could have seen may run.
      const [heldText, subject] = await Promise.all([readHeldRequest(run.octokit, owner, repo, g.held), readHeldSubject(run.octokit, owner, repo, g.held.number)]);
      const res = resolveApproval(g.held, heldText, g.approver, subject, g.subjectDigest);
      // Approved either way: the marker stops waiting, and the comment records who approved.
      const approval: ApprovalState = { held: g.held, approvedBy: g.approver, approvedAt: run.now() };
      assertOwnComment(run, found?.sticky?.state, work);
      const base = { work, commentTarget: found?.target, sticky: found?.sticky, why, approval };
      if (!res.ok) return { kind: 'hold', plan: { ...base, prompt: '' }, status: 'skipped', why: res.why };
      return { kind: 'run', plan: { ...base, prompt: buildPrompt(cfg, ctx, work, res.request), approved: res.request } };
    }
    case 'run': {
      const ciFix = await planCiFix(run, why);
      if (ciFix) return ciFix;
      const work = settled(workResult);
      let found: Found = settled(stickyResult);
      if (subjectNumber === undefined) found = await findSticky(run, owner, repo, await trackingIssue(run, owner, repo));
      assertOwnComment(run, found?.sticky?.state, work);
      const { headSha, delta } = await since(run, found?.sticky);
      return {
        kind: 'run',
        plan: { work, commentTarget: found?.target, sticky: found?.sticky, prompt: buildPrompt(cfg, ctx, work, undefined, delta), why, ...(headSha ? { headSha } : {}), ...(delta ? { delta } : {}) },
      };
    }
  }
}

async function heldSubjectDigest(run: RunContext, owner: string, repo: string, number: number): Promise<string | undefined> {
  if (!run.octokit) return undefined;
  try {
    return subjectDigestOf(await readHeldSubject(run.octokit, owner, repo, number));
  } catch (error) {
    core.warning(`Could not read the title of #${number}, so an approval will not check it: ${getErrorMessage(error)}`);
    return undefined;
  }
}

function permissionOf(run: RunContext, owner: string, repo: string): Promise<PermissionDecision> {
  const { cfg, ctx, octokit } = run;
  // For an approval this is whoever made the gesture (checkActors checks the event's author).
  return checkActors(ctx, cfg.allowedBots, async (login) => {
    if (!octokit) throw new ConfigError(INPUT.githubToken, 'a token is needed to check who triggered the run');
    try {
      return await getPermission(octokit, owner, repo, login);
    } catch (error) {
      // The error names the request (checking alice's permission on o/r: HTTP …).
      throw new Error(`${getErrorMessage(error)}; without it the run is refused`, { cause: error });
    }
  });
}

/** 'present' also for a dry run; a fork PR's run gets no secrets, so its missing key is no error. */
function apiKeyState(cfg: RunContext['cfg'], work: PromiseSettledResult<WorkTarget>): GateInput['apiKey'] {
  if (cfg.apiKey || cfg.dryRun) return 'present';
  return settled(work).fork ? 'missing-on-fork' : 'missing';
}

async function workTarget(run: RunContext, owner: string, repo: string): Promise<WorkTarget> {
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
  // A workflow_run whose commit comes from a fork is a fork PR's run: the base branch, no push to the head.
  const up = ctx.eventName === 'workflow_run' && !s ? ctx.upstream : undefined;
  if (up?.fork) {
    const prRef = up.pullNumber !== undefined ? `refs/pull/${up.pullNumber}/head` : (up.headSha ?? '');
    return {
      repo: cfg.repo.fullName,
      branch: cfg.branch ?? (sameRepo ? (ctx.defaultBranch ?? ctx.refName) : undefined),
      fork: { headRepo: up.headRepo || 'a fork that no longer exists', headRef: up.headBranch ?? '', prRef },
    };
  }
  return {
    repo: cfg.repo.fullName,
    branch: cfg.branch ?? auto,
    ...(fork && s ? { fork: { headRepo: headRepo || 'a fork that no longer exists', headRef: headRef ?? '', prRef: `refs/pull/${s.number}/head` } } : {}),
  };
}

/** Where the comment goes, and this key's sticky comment there. */
async function findSticky(
  run: RunContext,
  owner: string,
  repo: string,
  issueNumber: number | undefined,
): Promise<Found> {
  if (!run.cfg.comment || !run.octokit || issueNumber === undefined) return undefined;
  const target = { owner, repo, issueNumber };
  try {
    return { target, sticky: await findStickyComment(run.octokit, target, run.key, warnForeign(issueNumber)) };
  } catch (error) {
    // A number the user typed (not the event's own) that names nothing: say which input.
    if (run.ctx.subject === undefined && issueNumber === run.cfg.issueNumber && error instanceof GitHubApiError && error.status === 404) {
      throw new ConfigError(INPUT.issueNumber, `there is no issue or pull request #${issueNumber} in ${owner}/${repo} (GitHub answered 404); give the number of an existing one, or leave it empty`);
    }
    throw error;
  }
}

async function trackingIssue(run: RunContext, owner: string, repo: string): Promise<number | undefined> {
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

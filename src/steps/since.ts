/**
 * Plan, for a review that follows pushes: which head commit this run is about, and what is new
 * on the pull request since the head the last review covered (the sticky marker's `headSha`).
 * One compare request; a failed one means a full review, not a failed run.
 */
import * as core from '@actions/core';
import { getErrorMessage } from '../errors.js';
import { compareCommits } from '../github/compare.js';
import type { StickyComment } from '../github/comments.js';
import { deltaOf, SHA_RE, type PushDelta } from '../push-delta.js';
import { conversationUrl } from '../report.js';
import { STATUS } from '../status.js';
import type { Run } from './run.js';

export interface Since {
  /** the head this run asks about (undefined: not a pull request event that names it) */
  readonly headSha?: string;
  readonly delta?: PushDelta;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

export async function since(run: Run, sticky: StickyComment | undefined): Promise<Since> {
  const { ctx, octokit } = run;
  const s = ctx.subject;
  const head = s?.isPullRequest && PR_EVENTS.has(ctx.eventName) && SHA_RE.test(s.headSha ?? '') ? (s.headSha as string) : undefined;
  const prev = sticky?.state;
  const base = prev?.headSha;
  if (!head || !base || base === head || !octokit) return { headSha: head };
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const where = {
    serverUrl: ctx.serverUrl,
    repo: ctx.repository,
    ...(prev.conversationId ? { earlierConversationUrl: conversationUrl(run.cfg.baseUrl, prev.conversationId) } : {}),
  };
  if (STATUS[prev.status].failing) {
    const why = `the review of it did not finish (it ended as ${prev.status.replace(/_/g, ' ')})`;
    return { headSha: head, delta: { kind: 'full', base, head, why, ...where } };
  }
  try {
    const delta = deltaOf(base, head, await compareCommits(octokit, owner, repo, base, head), where);
    core.info(delta.kind === 'delta' ? `Since the reviewed commit ${base.slice(0, 7)}: ${delta.totalCommits} new commit(s), ${delta.files.length} file(s)` : `Full review: ${delta.why}`);
    return { headSha: head, delta };
  } catch (error) {
    core.warning(`Could not read what changed since the reviewed commit ${base.slice(0, 7)}, so the review covers the whole change: ${run.secrets.redact(getErrorMessage(error))}`);
    return { headSha: head, delta: { kind: 'full', base, head, why: 'what changed since then could not be read from GitHub', ...where } };
  }
}

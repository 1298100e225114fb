/**
 * What a finalize run tracks: the repository's trusted sticky comments whose run handed the
 * conversation over (wait: ready/none, a follow-up sent) before the agent ended, and the report
 * each one's marker holds. Pure: the listing is done by the caller.
 */
import type { Config } from '../config.js';
import type { RepoStickyComment } from '../github/comments.js';
import type { EventContext } from '../github/event.js';
import type { MarkerState } from '../marker.js';
import type { Report } from '../report.js';
import { handedOver } from '../status.js';

/** How far back a finalize run looks for comments (by their last edit). */
export const FINALIZE_LOOKBACK_MS = 7 * 24 * 3600_000;

/** A final marker whose run handed a conversation over before the agent ended. */
export function isHandedOver(s: MarkerState | undefined): s is MarkerState & { readonly conversationId: string } {
  return Boolean(s && handedOver(s) && s.conversationId);
}

export interface Tracked {
  readonly comment: RepoStickyComment;
  readonly state: MarkerState & { readonly conversationId: string };
}

/**
 * The comments to finalize: a final marker (the run that wrote it is over; a run still watching
 * writes final: false and is left to itself) with a handed-over status and a conversation. A
 * conversation counts only in the comment that started it (the oldest comment naming it).
 */
export function trackedComments(comments: readonly RepoStickyComment[]): { tracked: Tracked[]; duplicates: RepoStickyComment[] } {
  const byConversation = new Map<string, Tracked>();
  const duplicates: RepoStickyComment[] = [];
  for (const comment of [...comments].sort((a, b) => a.id - b.id)) {
    const state = comment.state;
    if (!isHandedOver(state)) continue;
    if (byConversation.has(state.conversationId)) {
      duplicates.push(comment);
      continue;
    }
    byConversation.set(state.conversationId, { comment, state });
  }
  return { tracked: [...byConversation.values()], duplicates };
}

/** The report the marker describes, as the run that wrote it had it (enough to render it again). */
export function reportOf(t: Tracked, ctx: EventContext, cfg: Config): Report {
  const s = t.state;
  return {
    key: t.comment.key,
    status: s.status,
    final: true,
    repo: s.repo ?? ctx.repository,
    serverUrl: ctx.serverUrl,
    baseUrl: cfg.baseUrl,
    runUrl: `${ctx.serverUrl}/${ctx.repository}/actions/runs/${s.runId}`,
    runId: s.runId,
    runAttempt: s.runAttempt,
    startedAt: s.startedAt,
    updatedAt: s.updatedAt,
    // Markers written before the actor was recorded: the comment's own "requested by @…".
    actor: s.actor ?? /requested by @([\w-]+(?:\[bot\])?)/.exec(t.comment.body)?.[1] ?? '',
    conversationId: s.conversationId,
    ...(s.proposedId ? { proposedId: s.proposedId } : {}),
    ...(s.startTaskId ? { startTaskId: s.startTaskId } : {}),
    ...(s.sandboxId ? { sandboxId: s.sandboxId } : {}),
    ...(s.sandboxShared !== undefined ? { sandboxShared: s.sandboxShared } : {}),
    ...(s.followUp ? { followUp: s.followUp } : {}),
    ...(s.cost !== undefined ? { cost: s.cost } : {}),
    ...(s.tokens !== undefined ? { tokens: s.tokens } : {}),
    ...(s.maxCost !== undefined ? { maxCost: s.maxCost } : {}),
    ...(s.prNumbers ? { prNumbers: s.prNumbers } : {}),
    ...(s.checkRunId !== undefined ? { checkRunId: s.checkRunId } : {}),
    ...(s.finalizeLater ? { finalizeLater: true } : {}),
    ...(s.goneAt !== undefined ? { goneAt: s.goneAt } : {}),
    ...(s.approval ? { approval: s.approval } : {}),
    ...(s.runs?.length ? { runs: s.runs } : {}),
    // the thread it belongs to (listRepoStickyComments left out every marker naming another)
    ...(s.subject ? { subject: s.subject } : {}),
    // the reviewed head: the next push's review starts from it (push-delta.ts)
    ...(s.headSha ? { headSha: s.headSha } : {}),
    // the CI fix loop's counter: a rewrite must not reset the budget
    ...(s.fix ? { fix: s.fix } : {}),
    previous: [...s.previous],
  };
}

/** The cost cap a conversation is held to: the one its run was given, else the finalize run's. */
export function capOf(r: Pick<Report, 'maxCost'>, cfg: Pick<Config, 'maxCost'>): number | undefined {
  return r.maxCost ?? cfg.maxCost;
}

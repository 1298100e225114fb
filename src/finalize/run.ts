/**
 * mode: finalize. No trigger, no waiting runner: find this repository's sticky comments whose
 * run handed the conversation over before the agent ended, read those conversations in batches,
 * and bring each comment (and its check run) to the state `wait: finished` would have written,
 * with the same end code (steps/finish.ts endPatch). A conversation still working gets its
 * elapsed time and cost refreshed and is left for the next finalize run.
 *
 * Cheap: with nothing tracked, no OpenHands request at all; with K tracked, ⌈K/99⌉ batch reads
 * plus what each ended one needs (its final message, and its status from the events when the
 * sandbox is no longer running). Safe when two finalize runs (or a new run on the same issue)
 * overlap: each comment is read again just before it is written and left alone if it changed,
 * and an ended conversation's comment is rendered from the service's data alone (its time is
 * the conversation's own), so two writers write the same text.
 */
import * as core from '@actions/core';
import { OUTPUT } from '../constants.js';
import { getErrorMessage, OverBudgetError } from '../errors.js';
import { completeCheckRunById } from '../github/checks.js';
import { getCommentBody, listRepoStickyComments, type CommentTarget } from '../github/comments.js';
import { loadOctokit } from '../github/load.js';
import type { Octokit } from '../github/octokit.js';
import type { OpenHandsClient } from '../openhands/client.js';
import { ending, lastExecutionStatus, usage, type ConversationView } from '../openhands/conversation.js';
import type { Conversation } from '../openhands/types.js';
import type { SecretBox } from '../redact.js';
import type { Report } from '../report.js';
import { Reporter } from '../reporter.js';
import { agentPrLookup } from '../steps/agent-pr-github.js';
import { checkOutput } from '../steps/check-run.js';
import { endPatch } from '../steps/finish.js';
import { viewPatch } from '../steps/conversation.js';
import { stopSpending } from '../steps/pause.js';
import { openHandsClient } from '../steps/client.js';
import type { RunContext, Session } from '../steps/run.js';
import { checkConclusion } from '../status.js';
import { writeSummary } from '../summary.js';
import { renderFinalizeSummary, type Outcome } from './summary.js';
import { capOf, FINALIZE_LOOKBACK_MS, reportOf, trackedComments, type Tracked } from './tracked.js';

/** Ids per batch read: the service answers 400 to 100 or more ([api: reading], [api: rate-limits]). */
export const BATCH_IDS = 99;

/** A finalize run answers to no trigger: it has a run's context, but no comment-key or Octokit of its own yet. */
export type FinalizeDeps = Pick<RunContext, 'cfg' | 'ctx' | 'secrets' | 'signal' | 'now' | 'sleep'>;

export async function finalize(d: FinalizeDeps): Promise<void> {
  const { cfg, ctx, secrets } = d;
  core.setOutput(OUTPUT.finalized, '0');
  core.setOutput(OUTPUT.stillRunning, '0');
  if (!cfg.githubToken) throw new Error('mode: finalize needs github-token (it reads and edits the status comments)');
  const octokit = await loadOctokit(cfg.githubToken, ctx.apiUrl, { onRetry: (m) => core.info(secrets.redact(m)) });
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const listed = await listRepoStickyComments(octokit, owner, repo, new Date(d.now() - FINALIZE_LOOKBACK_MS));
  const { tracked, duplicates } = trackedComments(listed);
  for (const c of duplicates) core.info(`Comment ${c.url} names a conversation an older comment started: only that one is finalized`);
  core.info(`Finalize: ${listed.length} status comment(s) in the last ${FINALIZE_LOOKBACK_MS / 86_400_000} days, ${tracked.length} with an agent that was still working`);
  if (tracked.length === 0) {
    // Nothing to do costs no OpenHands request (and needs no API key).
    await writeSummary(renderFinalizeSummary([]), (t) => secrets.redact(t));
    return;
  }
  if (cfg.dryRun) {
    // A dry run reads no conversation and writes nothing: it says what a real run would look at.
    const list = tracked.map((t) => `- [#${t.comment.issueNumber}](${t.comment.url}): conversation \`${t.state.conversationId}\`, ${t.state.status}`).join('\n');
    await writeSummary(`### OpenHands · Finalize (dry run)\n\nWould read ${tracked.length} conversation(s) in ${Math.ceil(tracked.length / BATCH_IDS)} batch read(s) and bring their comments up to date:\n\n${list}`, (t) => secrets.redact(t));
    return;
  }
  const client = openHandsClient(d);
  const outcomes: Outcome[] = [];
  try {
    const conversations = await readAll(client, tracked.map((t) => t.state.conversationId));
    for (const t of tracked) {
      const conversation = conversations.get(t.state.conversationId) ?? null;
      try {
        outcomes.push(await finalizeOne(d, octokit, client, t, conversation));
      } catch (error) {
        const why = secrets.redact(getErrorMessage(error));
        core.warning(`Could not finalize ${t.comment.url}: ${why}`);
        outcomes.push({ kind: 'failed', report: reportOf(t, ctx, cfg), issueNumber: t.comment.issueNumber, commentUrl: t.comment.url, why });
      }
    }
  } finally {
    await client.close();
  }
  const count = (k: Outcome['kind']): number => outcomes.filter((o) => o.kind === k).length;
  core.setOutput(OUTPUT.finalized, String(count('finalized')));
  core.setOutput(OUTPUT.stillRunning, String(count('running')));
  await writeSummary(renderFinalizeSummary(outcomes), (t) => secrets.redact(t));
  if (count('failed')) core.setFailed(`${count('failed')} status comment(s) could not be finalized; the next finalize run tries again`);
}

/** Every conversation, in batch reads of BATCH_IDS (null: the service does not return it). */
async function readAll(client: OpenHandsClient, ids: readonly string[]): Promise<Map<string, Conversation | null>> {
  const out = new Map<string, Conversation | null>();
  for (let i = 0; i < ids.length; i += BATCH_IDS) {
    const chunk = ids.slice(i, i + BATCH_IDS);
    const got = await client.getConversations(chunk);
    chunk.forEach((id, n) => out.set(id, got[n] ?? null));
  }
  return out;
}

async function finalizeOne(d: FinalizeDeps, octokit: Octokit, client: OpenHandsClient, t: Tracked, conversation: Conversation | null): Promise<Outcome> {
  const { cfg, ctx, secrets } = d;
  const id = t.state.conversationId;
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const target: CommentTarget = { owner, repo, issueNumber: t.comment.issueNumber };
  const onPr = /\/pull\/\d+#/.test(t.comment.url);
  // An ended conversation's comment is stamped with the conversation's own time, so two
  // finalize runs render the same text; a working one with now.
  const at: { stamp?: number } = {};
  let writeFailed = false;
  const reporter = new Reporter(reportOf(t, ctx, cfg), {
    octokit,
    target,
    existingCommentId: t.comment.id,
    existingCommentUrl: t.comment.url,
    redact: (text) => secrets.redact(text),
    now: () => at.stamp ?? d.now(),
    warn: (m) => {
      writeFailed = true;
      core.warning(m);
    },
    setOutput: () => {},
    saveState: () => {},
    sleep: d.sleep,
  });
  const report = reporter.report;
  const outcome = (kind: Outcome['kind'], why?: string): Outcome => ({ kind, report, issueNumber: t.comment.issueNumber, commentUrl: t.comment.url, ...(why ? { why } : {}) });

  // A trusted marker still names only a conversation of this repository.
  const worksOn = conversation?.selected_repository;
  if (worksOn && worksOn.toLowerCase() !== report.repo.toLowerCase()) {
    return outcome('skipped', `the conversation works on ${worksOn}, not ${report.repo}`);
  }
  let changed = false;
  /** Writes the patch unless the comment changed since it was listed (another writer has it now). */
  const publish = async (make: Partial<Report> | (() => Promise<Partial<Report>>)): Promise<boolean> => {
    const body = await getCommentBody(octokit, owner, repo, t.comment.id);
    if (body !== t.comment.body) {
      core.info(`${t.comment.url} changed since it was listed (another finalize run, or a new run on #${t.comment.issueNumber}): left to that writer`);
      changed = true;
      return false;
    }
    const patch = typeof make === 'function' ? await make() : make;
    const next: Report = { ...report, ...patch, final: true, updatedAt: at.stamp ?? d.now() };
    // The check run first: a failed completion leaves the comment unfinalized, so the next run tries both again.
    await completeCheck(octokit, owner, repo, next, secrets);
    await reporter.update(patch, { force: true });
    return !writeFailed;
  };
  const notWritten = (): Outcome => (changed ? outcome('skipped', 'changed since it was listed') : outcome('failed', 'the comment could not be written'));

  if (!conversation || conversation.sandbox_status === 'MISSING') {
    // One read without it, or with its sandbox MISSING, is not proof (a lookup can fail, [api: statuses]):
    // gone on the second finalize run.
    if (report.goneAt === undefined) {
      if (!(await publish({ goneAt: d.now() }))) return notWritten();
      return outcome('running', 'the service did not return it; checked again next run');
    }
  }
  const view = await viewOf(client, id, conversation);
  const cap = capOf(report, cfg);
  const cost = usage(conversation).cost;
  if (cap !== undefined && cost !== undefined && cost > cap) {
    // As wait: finished does: over the cap, the sandbox is paused and the run is over_budget.
    const written = await publish(async () => {
      const stopped = await stopSpending({ ...report, ...viewPatch(view), status: 'over_budget' }, cfg);
      const sandboxStatus = stopped?.paused ? 'PAUSED' : view.sandboxStatus ?? undefined;
      return { ...viewPatch(view), status: 'over_budget', sandboxStatus, error: `${new OverBudgetError(cost, cap).message}${stopped ? `; ${stopped.note}` : ''}` };
    });
    return written ? outcome('finalized') : notWritten();
  }
  const end = ending(view);
  if (!end) {
    const written = await publish({ ...viewPatch(view), goneAt: undefined });
    return written ? outcome('running') : notWritten();
  }
  const updated = Date.parse(conversation?.updated_at ?? '');
  at.stamp = Number.isFinite(updated) ? Math.max(updated, report.startedAt) : d.now();
  const run: RunContext = { cfg, ctx, secrets, signal: d.signal, now: d.now, sleep: d.sleep, key: report.key, octokit };
  const session: Session = {
    run,
    plan: { work: { repo: report.repo, branch: undefined }, commentTarget: target, sticky: t.comment, prompt: '', why: { trigger: 'finalize', permission: 'finalize' } },
    reporter,
    client,
  };
  const sameRepo = report.repo.toLowerCase() === ctx.repository.toLowerCase();
  const findPrElsewhere = agentPrLookup(octokit, cfg.baseUrl, report.repo, {
    issueNumber: sameRepo && !onPr ? t.comment.issueNumber : undefined,
    triggeredOn: sameRepo && onPr ? t.comment.issueNumber : undefined,
  });
  // A follow-up's own end: its message reset the status ([api: follow-ups]), so an end seen now is the follow-up's.
  const patch = await endPatch(session, id, view, end, { findPrElsewhere });
  if (!(await publish({ ...patch, goneAt: undefined }))) return notWritten();
  core.info(`Finalized ${t.comment.url}: ${report.status}`);
  return outcome('finalized');
}

/** The service's view of one conversation from the batch read; the events tell the status of a sandbox no longer running. */
async function viewOf(client: OpenHandsClient, id: string, conversation: Conversation | null): Promise<ConversationView> {
  if (!conversation) return { conversation: null, executionStatus: null, sandboxStatus: 'MISSING' };
  const sandboxStatus = conversation.sandbox_status ?? null;
  let executionStatus = conversation.execution_status ?? null;
  if (executionStatus === null && sandboxStatus !== 'RUNNING') executionStatus = await lastExecutionStatus(client, id);
  return { conversation, executionStatus, sandboxStatus };
}

/** Completes the conversation's check run (its id is in the marker) when the report is final. */
async function completeCheck(octokit: Octokit, owner: string, repo: string, r: Report, secrets: SecretBox): Promise<void> {
  const conclusion = checkConclusion(r);
  if (r.checkRunId === undefined || !conclusion || conclusion === 'neutral') return;
  const o = checkOutput(r);
  const outcome = await completeCheckRunById(octokit, { owner, repo, id: r.checkRunId }, conclusion, {
    title: secrets.redact(o.title),
    summary: secrets.redact(o.summary),
  });
  if (outcome === 'forbidden') core.info('The OpenHands check run was not completed: the token may not write checks (permissions: checks: write)');
}

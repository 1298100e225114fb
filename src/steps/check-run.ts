/**
 * The "OpenHands" check run on the pull request's head commit: created in progress once the
 * conversation has a link, completed when the run ends, with a conclusion that says what the
 * agent did. A token that may not write checks (no `checks: write`, or a fork PR's read-only
 * token) is told once in the log, and the run carries on.
 */
import * as core from '@actions/core';
import { STATE } from '../constants.js';
import { getErrorMessage } from '../errors.js';
import { CHECK_NAME, CheckRun, type CheckOutcome, type CheckOutput } from '../github/checks.js';
import { github } from '../github/errors.js';
import { getPullRequestRefs } from '../github/issues.js';
import type { Octokit } from '../github/octokit.js';
import { statusLine } from '../render/status.js';
import { conversationUrl, type Report } from '../report.js';
import { checkConclusion, handedOver, headline, STATUS } from '../status.js';
import type { Run } from './run.js';

/** The check run's title and summary: the status line and the links, nothing else (no secrets to leak). */
export function checkOutput(r: Report): CheckOutput {
  const title = headline(r);
  const links = [
    r.conversationId ? `[Open the conversation](${conversationUrl(r.baseUrl, r.conversationId)})` : '',
    `[Workflow run](${r.runUrl})`,
  ].filter(Boolean);
  const still = !handedOver(r)
    ? ''
    : r.finalizeLater
      ? '\n\nThis workflow stopped watching; a finalize run completes this check when the agent ends.'
      : '\n\nThis workflow stopped watching; the conclusion does not say how the agent ends.';
  return { title, summary: `**${statusLine(r).replace(/^### /, '')}**${still}\n\n${links.join(' · ')}` };
}

/** Whether this run shows a check run: a pull request's event, check-run: auto, a token. */
export function wantsCheckRun(run: Pick<Run, 'cfg' | 'ctx' | 'octokit'>): boolean {
  return run.cfg.checkRun && Boolean(run.ctx.subject?.isPullRequest) && Boolean(run.octokit);
}

/** For the dry run: what a real run would do about the check run. */
export function checkRunPlan(run: Pick<Run, 'cfg' | 'ctx' | 'octokit'>): string {
  if (!run.cfg.checkRun) return 'none (check-run: false)';
  if (!run.ctx.subject?.isPullRequest) return 'none (the event concerns no pull request)';
  if (!run.octokit) return 'none (no github-token)';
  return `would create the ${CHECK_NAME} check run on the head commit of #${run.ctx.subject.number}`;
}

/** One run's check run. Every method is best effort: a check run never fails the agent's run. */
export class CheckRunStep {
  readonly #run: Run;
  #check: CheckRun | undefined;
  #off = false;
  #link: string | undefined;

  constructor(run: Run) {
    this.#run = run;
    this.#off = !wantsCheckRun(run);
  }

  /** Creates the check run (in progress) once the report has a conversation link; later calls update its summary. */
  async progress(r: Report): Promise<void> {
    if (this.#off || !r.conversationId) return;
    const link = conversationUrl(r.baseUrl, r.conversationId);
    await this.#guard(async () => {
      if (!this.#check) {
        this.#check = await this.#create();
        this.#link = link;
        const outcome = await this.#check.start(link, this.#redacted(checkOutput(r)));
        if (outcome === 'written') this.#saveForPost(link);
        return outcome;
      }
      return this.#check.update(this.#redacted(checkOutput(r)));
    });
  }

  /** The check run's id once created (kept in the marker for a finalize run). */
  get id(): number | undefined {
    return this.#check?.id;
  }

  /**
   * Completes the check run for the final report (created first if it was not yet). A run
   * handed over to a finalize workflow (finalize: scheduled) leaves it in progress for that run.
   */
  async complete(r: Report): Promise<void> {
    if (r.finalizeLater && handedOver(r)) {
      await this.progress(r);
      if (this.#check?.id !== undefined) core.saveState(STATE.checkRun, '');
      return;
    }
    const conclusion = checkConclusion(r);
    if (this.#off || !conclusion || !r.conversationId) return;
    if (!this.#check) await this.progress(r);
    const check = this.#check;
    if (this.#off || !check) return;
    const link = conversationUrl(r.baseUrl, r.conversationId);
    // The server may have given the conversation another id than the one first linked.
    await this.#guard(async () => {
      const outcome = await check.complete(conclusion, this.#redacted(checkOutput(r)), link !== this.#link ? link : undefined);
      if (outcome === 'written') core.saveState(STATE.checkRun, '');
      return outcome;
    });
  }

  /** What the post step needs to complete the check run if this process is killed first. */
  #saveForPost(link: string): void {
    const [owner, repo] = this.#run.ctx.repository.split('/') as [string, string];
    const saved: SavedCheckRun = { owner, repo, id: this.#check?.id as number, link, runUrl: this.#run.ctx.runUrl };
    core.saveState(STATE.checkRun, JSON.stringify(saved));
  }

  async #create(): Promise<CheckRun> {
    const { ctx, key } = this.#run;
    const octokit = this.#run.octokit as Octokit;
    const [owner, repo] = ctx.repository.split('/') as [string, string];
    const number = ctx.subject?.number as number;
    const sha = headShaOf(ctx.payload) ?? (await getPullRequestRefs(octokit, owner, repo, number)).headSha;
    // Ties the check run to this attempt, to find it again after a create GitHub answered unclearly.
    return new CheckRun(octokit, { owner, repo, sha }, `${key}:${ctx.runId}:${ctx.runAttempt}`.slice(0, 100));
  }

  #redacted(o: CheckOutput): CheckOutput {
    const redact = (t: string): string => this.#run.secrets.redact(t);
    return { title: redact(o.title), summary: redact(o.summary) };
  }

  async #guard(op: () => Promise<CheckOutcome>): Promise<void> {
    try {
      const outcome = await op();
      if (outcome === 'forbidden') {
        this.#off = true;
        core.info(`No ${CHECK_NAME} check run: the token may not write checks (give the workflow \`permissions: checks: write\`; a fork's pull request gets a read-only token)`);
      }
    } catch (error) {
      this.#off = true;
      core.warning(`Could not write the ${CHECK_NAME} check run: ${this.#run.secrets.redact(getErrorMessage(error))}`);
    }
  }
}

/** The check run a killed main step left in progress (STATE.checkRun). */
export interface SavedCheckRun {
  readonly owner: string;
  readonly repo: string;
  readonly id: number;
  readonly link: string;
  readonly runUrl: string;
}

/**
 * The post step's part: a check run the main step created but never completed (the job was
 * killed) is completed as cancelled, so it does not stay "in progress" forever.
 */
export async function completeLeftCheckRun(octokit: Octokit, saved: SavedCheckRun): Promise<void> {
  const { owner, repo, id, link, runUrl } = saved;
  const { headline: title, check: conclusion } = STATUS.cancelled;
  const summary = `**OpenHands · ${title}**\n\nThe job stopped before the action could report how the run ended.\n\n[Open the conversation](${link}) · [Workflow run](${runUrl})`;
  await github(`completing the ${CHECK_NAME} check run ${id} on ${owner}/${repo}`, () =>
    octokit.rest.checks.update({ owner, repo, check_run_id: id, status: 'completed', conclusion, output: { title, summary } }),
  );
}

/** The head commit a pull_request-family payload names (issue_comment payloads do not). */
function headShaOf(payload: Readonly<Record<string, unknown>>): string | undefined {
  const sha = ((payload.pull_request as { head?: { sha?: unknown } } | undefined)?.head?.sha);
  return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

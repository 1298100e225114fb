/**
 * Publishes the Report: the sticky comment (created once, then edited only when its text
 * changes and at most every few seconds, the final state always), and the step outputs.
 * A failure to write the comment is a warning, never the run's error: the post step repairs it
 * from the saved state.
 */
import { OUTPUT, STATE } from './constants.js';
import { createStickyComment, updateComment, type CommentTarget } from './github/comments.js';
import { GitHubApiError } from './errors.js';
import type { Octokit } from './github/octokit.js';
import { renderComment } from './render/comment.js';
import { conversationUrl, type Report } from './report.js';
import { withRetry, type Sleep } from './retry.js';

/** The post step's view of the comment (STATE.comment): enough to create, find or edit it. */
export interface SavedComment extends CommentTarget {
  readonly key: string;
  readonly id: number | undefined;
  readonly report: Report;
}

export interface ReporterIO {
  readonly octokit: Octokit | undefined;
  readonly target: CommentTarget | undefined;
  readonly existingCommentId: number | undefined;
  readonly existingCommentUrl: string | undefined;
  readonly redact: (text: string) => string;
  readonly now: () => number;
  readonly warn: (message: string) => void;
  readonly setOutput: (name: string, value: string) => void;
  readonly saveState: (name: string, value: string) => void;
  readonly sleep?: Sleep;
}

/** Minimum time between two comment edits, except the final one. */
const MIN_EDIT_INTERVAL_MS = 3000;

/** An answer a repeat will not change (no permission, no such issue, a rejected body); a rate limit is not one. */
const isPermanent = (error: unknown): boolean =>
  error instanceof GitHubApiError ? error.permanent : [401, 403, 404, 410, 422].includes((error as { status?: number }).status ?? 0);

/** GitHub's "no permission" (403 that is not a rate limit). */
const isForbidden = (error: unknown): boolean =>
  error instanceof GitHubApiError ? error.status === 403 && !error.rateLimited : (error as { status?: number }).status === 403;

/** The final write's own second try, after the Octokit plugins' retries gave up on a transient failure. */
const FINAL_RETRY = { attempts: 2, baseDelayMs: 2000, maxDelayMs: 2000 };

export class Reporter {
  readonly report: Report;
  readonly #io: ReporterIO;
  #commentId: number | undefined;
  #commentUrl: string | undefined;
  #lastBody = '';
  #lastState = '';
  #lastWrite = -Infinity;
  #writing: Promise<void> = Promise.resolve();
  #broken = false;
  #createTried = false;
  #lastSaved = '';

  constructor(report: Report, io: ReporterIO) {
    this.report = report;
    this.#io = io;
    this.#commentId = io.existingCommentId;
    this.#commentUrl = io.existingCommentUrl;
  }

  /** Applies a change; publishes the comment when the text changed and the throttle allows. */
  async update(patch: Partial<Report>, opts: { force?: boolean } = {}): Promise<void> {
    Object.assign(this.report, patch, { updatedAt: this.#io.now() });
    this.#saveForPost();
    const due = opts.force || this.report.final || this.#io.now() - this.#lastWrite >= MIN_EDIT_INTERVAL_MS;
    if (!due) return;
    this.#lastWrite = this.#io.now(); // counted from when a write is queued, so edits in flight throttle too
    await this.#flush();
  }

  /** Writes the comment now if its text changed (serialised: edits never overtake each other). */
  #flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    const { octokit, target } = this.#io;
    if (!octokit || !target || this.#broken) return;
    // Only a change of state earns an edit: the elapsed time alone does not (the final write does).
    const state = JSON.stringify({ ...this.report, updatedAt: 0 });
    // Whether *this* body is the final one: the report may turn final while the write is in flight.
    const final = this.report.final;
    if (state === this.#lastState && !final) return;
    const body = this.#io.redact(renderComment(this.report));
    if (body === this.#lastBody) return;
    try {
      // The final state must land, or the comment would claim work in progress forever.
      await withRetry(() => this.#send(octokit, target, body), {
        policy: final ? FINAL_RETRY : { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        shouldRetry: (e) => !isPermanent(e),
        sleep: this.#io.sleep,
      });
      this.#lastBody = body;
      this.#lastState = state;
      this.#saveForPost();
      if (final) this.#io.saveState(STATE.finalWritten, 'true');
    } catch (error) {
      // Comments are a courtesy: a missing permission must not fail the agent's run. Said once:
      // later writes and the post step do not try again.
      const advice = isForbidden(error)
        ? " The workflow's token may not comment here: add 'issues: write' (and 'pull-requests: write' for pull requests) to the workflow's permissions, or set 'comment: false'."
        : '';
      this.#io.warn(`Could not write the status comment on #${target.issueNumber}: ${(error as Error).message}.${advice}`);
      if (isPermanent(error)) {
        this.#broken = true;
        this.#io.saveState(STATE.commentRefused, 'true');
      }
    }
  }

  async #send(octokit: Octokit, target: CommentTarget, body: string): Promise<void> {
    if (this.#commentId === undefined) {
      // Idempotent: after an unclear failure it looks for the comment before creating again; and a
      // create tried before whose outcome was never learned may have landed: look first then too.
      const lookFirst = this.#createTried;
      this.#createTried = true;
      const c = await createStickyComment(octokit, target, this.report.key, body, { lookFirst });
      this.#commentId = c.id;
      this.#commentUrl = c.url;
    } else {
      await updateComment(octokit, target, this.#commentId, body);
    }
  }

  /**
   * What the post step needs to finalise the comment if this process is killed or its write
   * failed (saved on change): the target and the report, and the comment id once there is one
   * (without it, the post step finds the comment by its marker or creates it).
   */
  #saveForPost(): void {
    const { target, octokit } = this.#io;
    if (!target || !octokit) return;
    const { finalMessage: _omit, ...report } = this.report;
    // State is at rest on the runner's disk: an error text that echoed a secret is redacted there too.
    if (report.error !== undefined) report.error = this.#io.redact(report.error);
    const saved: SavedComment = { ...target, key: this.report.key, id: this.#commentId, report: { ...report, updatedAt: 0 } };
    const text = JSON.stringify(saved);
    if (text === this.#lastSaved) return;
    this.#lastSaved = text;
    this.#io.saveState(STATE.comment, text);
  }


  /** Step outputs are read only when the step ends; main writes them once the link is known and at the end. */
  writeOutputs(): void {
    const r = this.report;
    const set = (name: string, value: string | number | undefined): void =>
      this.#io.setOutput(name, this.#io.redact(value === undefined ? '' : String(value)));
    set(OUTPUT.status, r.status);
    set(OUTPUT.conversationId, r.conversationId);
    set(OUTPUT.conversationUrl, r.conversationId ? conversationUrl(r.baseUrl, r.conversationId) : undefined);
    set(OUTPUT.startTaskId, r.startTaskId);
    set(OUTPUT.startTaskStatus, r.startTaskStatus);
    set(OUTPUT.sandboxStatus, r.sandboxStatus);
    set(OUTPUT.executionStatus, r.executionStatus);
    set(OUTPUT.finalMessage, r.finalMessage);
    set(OUTPUT.cost, r.cost);
    set(OUTPUT.tokens, r.tokens);
    set(OUTPUT.commentId, this.#commentId);
    set(OUTPUT.commentUrl, this.#commentUrl);
    set(OUTPUT.skipReason, r.skipReason);
    set(OUTPUT.prNumber, r.agentPr?.number);
    set(OUTPUT.prUrl, r.agentPr?.url);
  }
}

/**
 * The values every step is given. A Run exists once the inputs and the event are read; a
 * Session once the plan is made and the service is to be called. Each step takes what it needs
 * and returns its result as a value: nothing here is filled in later.
 */
import * as core from '@actions/core';
import type { ApprovalState, ApprovedRequest } from '../approval.js';
import type { Config } from '../config.js';
import type { CommentTarget, StickyComment } from '../github/comments.js';
import type { EventContext, Subject } from '../github/event.js';
import type { Octokit } from '../github/octokit.js';
import { react, type Reaction } from '../github/reactions.js';
import { getErrorMessage } from '../errors.js';
import type { OpenHandsClient } from '../openhands/client.js';
import type { WorkTarget } from '../prompt.js';
import type { PushDelta } from '../push-delta.js';
import type { FixState } from '../ci-fix.js';
import type { CiFailure } from './ci-fix.js';
import type { SecretBox } from '../redact.js';
import type { Reporter } from '../reporter.js';
import type { Sleep } from '../retry.js';

export interface RunContext {
  readonly cfg: Config;
  readonly ctx: EventContext;
  readonly secrets: SecretBox;
  /** aborted when the runner cancels the job */
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly sleep: Sleep;
  /** the comment key: keeps the comments (and conversations) of different workflows apart */
  readonly key: string;
  /** an Octokit when a token is given */
  readonly octokit: Octokit | undefined;
}

/** What the plan step found: where to work and comment, and what to ask. */
export interface Plan {
  readonly work: WorkTarget;
  readonly commentTarget: CommentTarget | undefined;
  readonly sticky: StickyComment | undefined;
  readonly prompt: string;
  readonly why: { readonly trigger: string; readonly permission: string };
  /** untrusted=ask: what the report (and so the marker) keeps: a held request, or who approved it */
  readonly approval?: ApprovalState;
  /** the approved outsider's request, as read at approval time: the prompt and a follow-up use it */
  readonly approved?: ApprovedRequest;
  /** a pull request's head commit this run asks about, for the marker (steps/since.ts) */
  readonly headSha?: string;
  /** what is new since the head the last review covered: the prompt and a follow-up say it */
  readonly delta?: PushDelta;
  /** the pull request a workflow_run is about (steps/ci-fix.ts): the run's subject from here on */
  readonly subject?: Subject;
  /** the CI fix loop's counter after this run, for the marker */
  readonly fix?: FixState;
  /** the CI failure this run asks the agent to fix */
  readonly ci?: CiFailure;
}

/** A run that talks to OpenHands. */
export interface Session {
  readonly run: RunContext;
  readonly plan: Plan;
  readonly reporter: Reporter;
  readonly client: OpenHandsClient;
}


/** When READY must have come: ready-timeout after the run began, not counting a wait in the sandbox queue. */
export function readyDeadline(s: Pick<Session, 'run' | 'reporter'>): number {
  const r = s.reporter.report;
  return r.startedAt + (r.queue?.waitedMs ?? 0) + s.run.cfg.readyTimeoutMs;
}

/** Redacted log line. */
export function log(run: Pick<RunContext, 'secrets'>, message: string): void {
  core.info(run.secrets.redact(message));
}

/** A reaction on what triggered the run; best effort, never awaited, never in a dry run. */
export function reactLater(run: RunContext, content: Reaction): void {
  if (!run.octokit || run.cfg.dryRun) return;
  react(run.octokit, run.ctx, content).catch((e: unknown) => core.debug(`No ${content} reaction: ${getErrorMessage(e)}`));
}

/**
 * Why a comment of this key was passed over: its marker was written for another issue or PR,
 * so its conversation is not followed up into (a new one starts) and its state is not used here.
 */
export function warnForeign(issueNumber: number): (c: { readonly url: string; readonly subject: string }) => void {
  return (c) =>
    core.warning(
      `Ignoring the status comment ${c.url} on #${issueNumber}: its marker was written for ${c.subject}, and a conversation is followed up into (its state used) only from the issue or PR it was started for`,
    );
}

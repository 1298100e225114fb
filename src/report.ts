/** What a run knows about its conversation: the one state the comment, summary and outputs show. */
import type { ApprovalState } from './approval.js';
import type { FixState } from './ci-fix.js';
import { SANDBOX_TERMINAL } from './openhands/types.js';
import type { RunStatus } from './status.js';

export type { RunStatus } from './status.js';

/** A conversation an earlier run of this comment-key started, kept linked in the comment. */
export interface PastConversation {
  readonly conversationId: string;
  readonly status: string;
  readonly runUrl?: string;
}

/** A pull request the agent opened (found in its events, or on GitHub). */
export interface AgentPullRequest {
  readonly number: number;
  /** canonical web URL: `{serverUrl}/{owner}/{repo}/pull/{number}` */
  readonly url: string;
}

export interface Report {
  readonly key: string;
  status: RunStatus;
  /** true once nothing more will change (written last, also by the post step) */
  final: boolean;
  readonly repo: string;
  /** GitHub web URL (GITHUB_SERVER_URL), for PR links */
  readonly serverUrl: string;
  readonly baseUrl: string;
  readonly runUrl: string;
  readonly runId: string;
  readonly runAttempt: number;
  /** the fingerprint of this step (steps/identity.ts), kept in the marker */
  readonly step?: string;
  readonly startedAt: number;
  updatedAt: number;
  /** who triggered, for the comment header */
  readonly actor: string;
  conversationId?: string;
  /** the id this run proposed in its start request (kept for re-runs) */
  proposedId?: string;
  sandboxId?: string;
  /** the sandbox serves other conversations too (user-level grouping): never paused by us */
  sandboxShared?: boolean;
  startTaskId?: string;
  startTaskStatus?: string;
  sandboxStatus?: string;
  executionStatus?: string;
  error?: string;
  skipReason?: string;
  finalMessage?: string;
  cost?: number;
  tokens?: number;
  /** the PR the run was triggered on (sent as the start request's pr_number) */
  prNumbers?: readonly number[];
  /** the PR the agent opened, once found (events or GitHub) */
  agentPr?: AgentPullRequest;
  /** max-cost, for the comment */
  maxCost?: number;
  /** how maintainers approve a held request (the label and trigger-phrase inputs), for the comment */
  approvalHow?: { readonly label: string; readonly phrase: string };
  /** the text sent into an existing conversation, for follow-ups */
  followUpText?: string;
  /** a follow-up's progress, kept in the marker so a re-run does not send it twice or lose it */
  followUp?: 'pending' | 'sent';
  previous: readonly PastConversation[];
  /** the account's sandbox cap (max-sandboxes): what the run saw, and how long it waited for a free one */
  queue?: SandboxQueue;
  /** what this run spent of the account's request budget (100 a minute for every run and the web app) */
  spent?: { readonly requests: number; readonly tooMany: number };
  /** untrusted=ask: the held request and its approver, kept in the marker (see approval.ts) */
  approval?: ApprovalState;
  /** a pull request's head commit this run asked the agent about: the next push's review starts from it */
  headSha?: string;
  /** what a loop's run covers: a review's delta (or a full review after a force-push), a CI fix attempt */
  loopNote?: string;
  /** the CI fix loop's attempt counter, kept in the marker (see ci-fix.ts) */
  fix?: FixState;
  /** the check run on the PR, kept in the marker so a finalize run can complete it */
  checkRunId?: number;
  /** finalize: scheduled: a finalize run reports the end of a handed-over conversation */
  finalizeLater?: boolean;
  /** when a finalize run first found the conversation gone from the service (epoch ms) */
  goneAt?: number;
  /** earlier paid runs on this comment (who, when, which conversation, its cost then): the cross-run limits read them */
  runs?: readonly PastRun[];
  /** the issue or PR the comment and its conversation belong to, `owner/repo#number` (marker.ts threadOf) */
  readonly subject?: string;
  /** the cross-run limits as this run found them, for the job summary (src/limits/) */
  limits?: string;
}

/** A run an earlier marker of this comment recorded, kept for the cross-run limits (src/limits/). */
export interface PastRun {
  readonly actor: string;
  /** when it started (epoch ms) */
  readonly at: number;
  readonly conversationId?: string;
  readonly cost?: number;
}

export interface SandboxQueue {
  /** the account's sandboxes running or starting, and starts in flight, at the last look */
  readonly inUse: number;
  readonly limit: number;
  /** true while the run waits for a free sandbox */
  readonly waiting: boolean;
  readonly waitedMs: number;
  /** sandboxes of finished conversations this run paused to make room */
  readonly paused: readonly string[];
}

/** The queue line shown in the log and the comment. */
export function queuedLine(inUse: number, limit: number): string {
  return `queued: ${inUse} of ${limit} sandboxes in use on this account`;
}

export function conversationUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/conversations/${id}`;
}

/** Maps what the service says to the action's status once the wait is over. */
export function statusFromExecution(executionStatus: string | null, sandboxStatus: string | null): RunStatus {
  if (sandboxStatus !== null && SANDBOX_TERMINAL.has(sandboxStatus)) return 'error';
  switch (executionStatus) {
    case 'finished':
      return 'finished';
    case 'stuck':
      return 'stuck';
    case 'waiting_for_confirmation':
      return 'waiting_for_confirmation';
    case 'error':
      return 'error';
    default:
      return 'ready';
  }
}

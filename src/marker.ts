/**
 * The sticky comment's hidden marker: a storage format, not presentation. It opens every
 * comment the action writes and carries the comment-key and a small state (conversation, run,
 * status, history) that later runs read back to re-attach, follow up, hold for approval, or link
 * the previous conversation. `github/comments.ts` stores it; `render/comment.ts` writes it first.
 */
import { parseApproval, type ApprovalState } from './approval.js';
import { MARKER_PREFIX } from './constants.js';
import { parseFixState, type FixState } from './ci-fix.js';
import { SHA_RE } from './push-delta.js';
import type { PastConversation, PastRun, Report, RunStatus } from './report.js';
import { isRunStatus } from './status.js';

export interface MarkerState {
  readonly v: 1;
  readonly conversationId?: string;
  readonly startTaskId?: string;
  /** the id this run proposed (servers that ignore it give the conversation another) */
  readonly proposedId?: string;
  readonly sandboxId?: string;
  readonly followUp?: 'pending' | 'sent';
  readonly status: RunStatus;
  readonly final: boolean;
  readonly runId: string;
  readonly runAttempt: number;
  /** the fingerprint of the step that wrote it (steps/identity.ts) */
  readonly step?: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly previous: readonly PastConversation[];
  /** untrusted=ask: the outsider's request held for approval, and who approved it */
  readonly approval?: ApprovalState;
  /** the pull request's head commit the last review covered (see push-delta.ts) */
  readonly headSha?: string;
  /** the CI fix loop's attempt counter on this pull request (see ci-fix.ts) */
  readonly fix?: FixState;
  // Added for finalize runs (src/finalize/), which rebuild the report from the marker alone:
  readonly actor?: string;
  /** the repository the conversation works on */
  readonly repo?: string;
  readonly cost?: number;
  readonly tokens?: number;
  readonly maxCost?: number;
  readonly prNumbers?: readonly number[];
  readonly sandboxShared?: boolean;
  readonly checkRunId?: number;
  readonly finalizeLater?: boolean;
  readonly goneAt?: number;
  readonly runs?: readonly PastRun[];
  /**
   * The issue or PR this comment and its conversation belong to, as `owner/repo#number`
   * (threadOf). A marker found on another thread is not that thread's state (isForThread).
   */
  readonly subject?: string;
}

const MAX_PREVIOUS = 10;

/** The marker's opening, which identifies a comment of this key. */
export function markerFor(key: string): string {
  return `${MARKER_PREFIX} key="${escapeAttr(key)}"`;
}

export function markerState(r: Report): MarkerState {
  return {
    v: 1,
    conversationId: r.conversationId,
    startTaskId: r.startTaskId || undefined,
    proposedId: r.proposedId,
    sandboxId: r.sandboxId,
    followUp: r.followUp,
    status: r.status,
    final: r.final,
    runId: r.runId,
    runAttempt: r.runAttempt,
    ...(r.step ? { step: r.step } : {}),
    startedAt: r.startedAt,
    updatedAt: r.updatedAt,
    previous: r.previous.slice(0, MAX_PREVIOUS),
    ...(r.approval ? { approval: r.approval } : {}),
    ...(r.headSha ? { headSha: r.headSha } : {}),
    ...(r.fix ? { fix: r.fix } : {}),
    actor: r.actor,
    repo: r.repo,
    cost: r.cost,
    tokens: r.tokens,
    maxCost: r.maxCost,
    prNumbers: r.prNumbers,
    sandboxShared: r.sandboxShared,
    checkRunId: r.checkRunId,
    finalizeLater: r.finalizeLater,
    goneAt: r.goneAt,
    runs: r.runs?.length ? r.runs : undefined,
    ...(r.subject ? { subject: r.subject } : {}),
  };
}

/** The thread a comment is on, as a marker records it: `owner/repo#number`. */
export function threadOf(repository: string, issueNumber: number): string {
  return `${repository}#${issueNumber}`;
}

const THREAD_RE = /^[\w.-]{1,100}\/[\w.-]{1,100}#[1-9]\d{0,15}$/;

/**
 * Whether a marker is the state of the thread (issue or PR) its comment was found on. A marker
 * that names another thread is a copy (another workflow posting as the same account, a
 * transferred issue, a person pasting with the token's own login): its conversation, held
 * request and history belong there, not here. A marker written before `subject` existed is
 * taken as this thread's: only the token's own account can have written it (markerTrust), and
 * it was found on this thread.
 */
export function isForThread(s: Pick<MarkerState, 'subject'>, thread: string): boolean {
  return s.subject === undefined || s.subject.toLowerCase() === thread.toLowerCase();
}

/** The whole marker line of a report, ending the HTML comment it opens. */
export function markerLine(r: Report): string {
  const state = Buffer.from(JSON.stringify(markerState(r))).toString('base64url');
  return `${markerFor(r.key)} state="${state}" -->`;
}

/**
 * Whether an earlier attempt of this workflow run wrote the marker and got as far as a start (a
 * start task or a conversation): a re-run picks that up (re-attach, re-send its follow-up, no new
 * limit check) instead of treating it as an earlier trigger. One answer for every step that asks.
 */
export function startedByThisRun(prev: MarkerState | undefined, runId: string): boolean {
  return prev !== undefined && prev.runId === runId && Boolean(prev.conversationId || prev.startTaskId);
}

/** Reads the marker state back from a comment body of this key; undefined when absent or damaged. */
export function parseMarker(body: string, key: string): MarkerState | undefined {
  // Our comments open with the marker; one quoted inside other text (an echo bot) does not count.
  if (!body.startsWith(markerFor(key) + ' ')) return undefined;
  const m = /^[^\n]*? state="([A-Za-z0-9_-]*)" -->/.exec(body);
  if (!m) return undefined;
  try {
    const s = JSON.parse(Buffer.from(m[1] as string, 'base64url').toString('utf8')) as MarkerState;
    // A status this version does not know is damage too: every status fact comes from its table.
    if (!(s && s.v === 1 && typeof s.runId === 'string' && isRunStatus(s.status))) return undefined;
    // A damaged approval is dropped, not trusted: nothing is approved from it.
    // A damaged subject is damage to the whole state: it could otherwise pass as a legacy marker.
    if (s.subject !== undefined && !(typeof s.subject === 'string' && THREAD_RE.test(s.subject))) return undefined;
    const { approval, headSha, fix, ...rest } = s;
    // A damaged head is dropped: the next review is a full one.
    if (typeof headSha === 'string' && SHA_RE.test(headSha)) Object.assign(rest, { headSha });
    // A damaged counter is dropped too: the comment is the bot's own (markerTrust), so only a bug damages it.
    const counter = parseFixState(fix);
    if (counter) Object.assign(rest, { fix: counter });
    const checked = parseApproval(approval);
    return checked ? { ...rest, approval: checked } : rest;
  } catch {
    return undefined;
  }
}

/** The key of a marker that opens `body` (any key), or undefined: a finalize run reads every key. */
export function markerKeyOf(body: string): string | undefined {
  const m = /^<!-- openhands-cloud-action key="([^"]*)" state="/.exec(body);
  if (!m) return undefined;
  const key = (m[1] as string).replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  return markerFor(key) === `${MARKER_PREFIX} key="${m[1]}"` ? key : undefined;
}

function escapeAttr(s: string): string {
  return s.replace(/["<>&-]/g, (c) => `&#${c.charCodeAt(0)};`);
}

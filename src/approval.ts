/**
 * The approval path for outside contributors (`untrusted: ask`): a trigger from someone without
 * write access is held in the sticky comment's marker, and a maintainer lets it through with the
 * trigger label or a `<phrase> approve` reply. Pure decisions; the GitHub reads are in
 * github/approval.ts.
 */
import { createHash } from 'node:crypto';
import type { Config } from './config.js';
import { MARKER_PREFIX } from './constants.js';
import type { EventContext } from './github/event.js';
import { decideTrigger, isApproval, isBot, type Decision } from './triggers.js';

/** An outsider's request, by reference: its text is read again from GitHub when approved. */
export interface HeldRequest {
  /** where the text lives: a comment or review by id, or the issue/PR body */
  readonly kind: 'issue_comment' | 'review_comment' | 'review' | 'body';
  /** the comment or review id (none for a body) */
  readonly id?: number;
  /** the issue or PR */
  readonly number: number;
  /** who asked (the comment's author, or the sender of the item event) */
  readonly author: string;
  /** sha256 of the text when held: a request edited since is not run */
  readonly digest: string;
  readonly url: string;
  /** the held event, e.g. `issue_comment created` */
  readonly event: string;
  readonly heldAt: number;
}

/** Kept in the marker state (`approval`): what is held, and who approved it once someone did. */
export interface ApprovalState {
  readonly held: HeldRequest;
  /**
   * sha256 of the issue's or PR's title and description when held: they reach the prompt too, so
   * a title rewritten after the hold is not run either (absent in markers of older versions)
   */
  readonly subjectDigest?: string;
  readonly approvedBy?: string;
  readonly approvedAt?: number;
}

/** An approved request as read from GitHub at approval time, for the prompt. */
export interface ApprovedRequest {
  readonly kind: HeldRequest['kind'];
  readonly number: number;
  readonly url: string;
  /** the text as it is on GitHub now (unsanitized: the prompt sanitizes and fences it) */
  readonly text: string;
  /** who asked */
  readonly author: string;
  readonly approver: string;
  /** the issue's or PR's title and description read at approval time (checked against the hold) */
  readonly subject?: { readonly title: string; readonly body: string };
}

/** What the event is, before anyone's rights are looked up. */
export type Classified =
  | { readonly kind: 'skip'; readonly why: string }
  /** a trigger: the sender's rights decide (run, hold or skip) */
  | { readonly kind: 'request'; readonly why: string }
  /** a maintainer's approval gesture while a request is held: the approver's rights decide */
  | { readonly kind: 'approve'; readonly why: string; readonly held: HeldRequest; readonly approver: string; readonly approverIsBot: boolean; readonly subjectDigest?: string };

export function digestOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n')).digest('hex').slice(0, 32);
}

/** The digest of an issue's or PR's title and description, as held and as read again. */
export function subjectDigestOf(subject: { readonly title: string; readonly body: string }): string {
  return digestOf(`${subject.title}\n\u0000\n${subject.body}`);
}

/** The request this event makes, to hold it; undefined when there is nothing to point back to (no issue or PR). */
export function heldRequestOf(ctx: EventContext, now: number): HeldRequest | undefined {
  const s = ctx.subject;
  if (!s) return undefined;
  const event = `${ctx.eventName}${ctx.action ? ` ${ctx.action}` : ''}`;
  const c = ctx.comment;
  if (c) return { kind: c.kind, id: c.id, number: s.number, author: c.author.login, digest: digestOf(c.body), url: c.url || s.url, event, heldAt: now };
  return { kind: 'body', number: s.number, author: ctx.sender.login, digest: digestOf(s.body), url: s.url, event, heldAt: now };
}

/** The held request still waiting for a maintainer, if any. */
export function pendingRequest(approval: ApprovalState | undefined): HeldRequest | undefined {
  return approval && !approval.approvedBy ? approval.held : undefined;
}

type ClassifyConfig = Pick<Config, 'triggerPhrase' | 'label' | 'trigger'>;

/**
 * Classifies the event against what the sticky comment holds (`approval` from its marker).
 *
 * - The trigger label added, or a new comment with a line `<phrase> approve`, approves the held
 *   request, whatever kind it is (a label approves a held comment too).
 * - Nothing held: the label is a normal trigger; an `approve` reply is skipped (there is
 *   nothing to approve, and "approve" alone is no task worth a paid run).
 * - An approval is never itself a request: its text does not reach the prompt.
 * - A maintainer's own request while one is held runs as theirs; its report drops the hold.
 * - Edited comments, quoted, code-formatted or hidden "approve" do not count (see `isApproval`).
 */
export function classifyTrigger(ctx: EventContext, cfg: ClassifyConfig, approval: ApprovalState | undefined, shownAt?: number): Classified {
  const gesture = approvalGesture(ctx, cfg);
  const held = pendingRequest(approval);
  if (gesture && held) {
    // The approver is whoever made the gesture; checkActors checks exactly that login.
    const approver = ctx.comment?.author.login || ctx.sender.login;
    const approverIsBot = isBot(approver, ctx.comment?.author.login ? ctx.comment.author.type : ctx.sender.type);
    // Only a request the comment showed before the gesture is approved by it: one held later (a
    // newer request that replaced it) needs an approval of its own.
    const at = gestureTime(ctx);
    if (shownAt !== undefined && (at === undefined || shownAt > at)) {
      return {
        kind: 'skip',
        why: `@${held.author}'s request now waiting was held after ${approver}'s approval (${at === undefined ? 'the approval has no time' : 'a newer request replaced the one approved'}), so it is not approved: approve it again`,
      };
    }
    const subjectDigest = approval?.subjectDigest;
    return { kind: 'approve', why: `${approver} approved @${held.author}'s request by ${gesture}`, held, approver, approverIsBot, ...(subjectDigest ? { subjectDigest } : {}) };
  }
  if (gesture === 'replying approve') return { kind: 'skip', why: `no request is waiting for approval here` };
  const d = decideTrigger(ctx, cfg);
  return d.run ? { kind: 'request', why: d.why } : { kind: 'skip', why: d.why };
}

/**
 * Whether the event would approve a held request. With classifyTrigger(ctx, cfg, undefined) a
 * skip, only such an event needs the sticky comment's marker to decide: others skip at once.
 */
export function approvalGesture(ctx: EventContext, cfg: ClassifyConfig): 'adding the label' | 'replying approve' | undefined {
  const { eventName, action } = ctx;
  if (['issues', 'pull_request', 'pull_request_target'].includes(eventName)) {
    return action === 'labeled' && (ctx.addedLabel ?? '').toLowerCase() === cfg.label.toLowerCase() ? 'adding the label' : undefined;
  }
  const expected = eventName === 'pull_request_review' ? 'submitted' : 'created';
  if (!ctx.comment || action !== expected || ctx.comment.body.includes(MARKER_PREFIX)) return undefined;
  return isApproval(ctx.comment.body, cfg.triggerPhrase) ? 'replying approve' : undefined;
}

export interface GateInput {
  readonly trigger: Classified;
  /**
   * checkActors for this event (for an approval that is the approver: the sender of the
   * approving event). Look it up only for 'request' and 'approve'.
   */
  readonly permission: Decision | undefined;
  readonly untrusted: Config['untrusted'];
  /** heldRequestOf(ctx): what a refused request would hold */
  readonly request: HeldRequest | undefined;
  /** 'present' also for dry-run; 'missing-on-fork': a fork PR's run, which gets no secrets */
  readonly apiKey: 'present' | 'missing' | 'missing-on-fork';
}

export type Gate =
  | { readonly kind: 'skip'; readonly why: string }
  /** end `awaiting_approval`; the marker keeps `{ held: request }` */
  | { readonly kind: 'hold'; readonly why: string; readonly request: HeldRequest }
  | { readonly kind: 'run'; readonly why: string }
  /** read the held request from GitHub (readHeldRequest, then resolveApproval) and run it */
  | { readonly kind: 'approved'; readonly why: string; readonly held: HeldRequest; readonly approver: string; readonly subjectDigest?: string }
  /** a bad input: fail naming api-key */
  | { readonly kind: 'missing-key' };

/**
 * The order of the gates, in one place: the trigger, then who sent it (refused, held, or an
 * approval by someone who may not approve), and only for a run that will happen the API key.
 * So a read-only user's mention on a repository without the key is held or skipped, not red.
 */
export function gate(i: GateInput): Gate {
  const t = i.trigger;
  if (t.kind === 'skip') return t;
  const p = i.permission;
  if (!p) return { kind: 'skip', why: 'no permission decision was made' };
  // An allowed bot may trigger its own runs, never approve someone else's.
  if (t.kind === 'approve' && t.approverIsBot) return { kind: 'skip', why: `${t.approver} is a bot; only a person with write access can approve @${t.held.author}'s request` };
  if (!p.run) {
    if (t.kind === 'approve') return { kind: 'skip', why: `${p.why}; only someone with write access can approve @${t.held.author}'s request` };
    if (p.outsider && i.untrusted === 'ask' && i.request) {
      return { kind: 'hold', why: `${p.why}; the request waits for a maintainer's approval`, request: i.request };
    }
    return { kind: 'skip', why: p.why };
  }
  if (i.apiKey === 'missing') return { kind: 'missing-key' };
  if (i.apiKey === 'missing-on-fork') {
    return { kind: 'skip', why: 'this pull request comes from a fork, and workflows triggered from forks get no secrets, so there is no OpenHands API key' };
  }
  if (t.kind === 'approve') return { kind: 'approved', why: t.why, held: t.held, approver: t.approver, ...(t.subjectDigest ? { subjectDigest: t.subjectDigest } : {}) };
  return { kind: 'run', why: t.why };
}

/** What GitHub has for the held request now (github/approval.ts). */
export type HeldText =
  | { readonly state: 'found'; readonly text: string; readonly author: string; readonly url: string }
  | { readonly state: 'gone' };

export type Resolution = { readonly ok: true; readonly request: ApprovedRequest } | { readonly ok: false; readonly why: string };

/**
 * Runs only the text the maintainer could have read: a deleted or since-edited request is
 * reported instead. `subject`: the issue's or PR's title and description as read now (checked
 * against the held subjectDigest).
 */
export function resolveApproval(
  held: HeldRequest,
  found: HeldText,
  approver: string,
  subject?: { readonly title: string; readonly body: string },
  subjectDigest?: string,
): Resolution {
  const what = held.kind === 'body' ? `the description of #${held.number}` : `@${held.author}'s ${held.kind === 'review' ? 'review' : 'comment'}`;
  if (found.state === 'gone') return { ok: false, why: `${what} was deleted after it was held, so nothing was run` };
  if (digestOf(found.text) !== held.digest) {
    return { ok: false, why: `${what} was edited after it was held, so nothing was run; the new text needs a new request` };
  }
  if (subjectDigest !== undefined && (!subject || subjectDigestOf(subject) !== subjectDigest)) {
    return { ok: false, why: `the title or description of #${held.number} changed after @${held.author}'s request was held, so nothing was run; a new request is needed` };
  }
  return { ok: true, request: { kind: held.kind, number: held.number, url: found.url || held.url, text: found.text, author: held.author, approver, ...(subject ? { subject } : {}) } };
}

/** When the approval gesture was made, by GitHub's clock: the comment's creation, or the labelled item's update. */
function gestureTime(ctx: EventContext): number | undefined {
  const t = ctx.comment ? ctx.comment.createdAt : ctx.subject?.updatedAt;
  return t === undefined || Number.isNaN(t) ? undefined : t;
}

/** The one line the sticky comment shows about the approval (pending, or who approved). */
export function approvalLine(state: ApprovalState, cfg: Pick<Config, 'label' | 'triggerPhrase'>): string {
  const request = `@${state.held.author}'s [request](${state.held.url})`;
  if (state.approvedBy) return `Approved by @${state.approvedBy}: running ${request}.`;
  return `${request} needs a maintainer's approval: add the label \`${cfg.label}\` or reply \`${cfg.triggerPhrase} approve\`.`;
}

/** The marker's `approval`, checked field by field (it is read back from a comment); undefined when absent or damaged. */
export function parseApproval(v: unknown): ApprovalState | undefined {
  const a = v as { held?: Record<string, unknown>; approvedBy?: unknown; approvedAt?: unknown } | undefined;
  const h = a?.held;
  if (!h || typeof h !== 'object') return undefined;
  const kinds = ['issue_comment', 'review_comment', 'review', 'body'];
  const ok =
    kinds.includes(h.kind as string) &&
    (h.kind === 'body' || Number.isSafeInteger(h.id)) &&
    Number.isSafeInteger(h.number) &&
    typeof h.author === 'string' &&
    typeof h.digest === 'string' &&
    typeof h.url === 'string' &&
    typeof h.event === 'string' &&
    typeof h.heldAt === 'number';
  if (!ok) return undefined;
  const held = h as unknown as HeldRequest;
  const sd = (a as { subjectDigest?: unknown }).subjectDigest;
  const subject = typeof sd === 'string' ? { subjectDigest: sd } : {};
  return typeof a.approvedBy === 'string'
    ? { held, ...subject, approvedBy: a.approvedBy, approvedAt: typeof a.approvedAt === 'number' ? a.approvedAt : undefined }
    : { held, ...subject };
}

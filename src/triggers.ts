/**
 * Which events run the agent, and who may make them. Pure decisions over the parsed event;
 * the permission lookup itself is passed in.
 */
import type { Config } from './config.js';
import { MARKER_PREFIX } from './constants.js';
import type { Actor, EventContext } from './github/event.js';
import { visibleText } from './sanitize.js';

export type Decision =
  | { readonly run: true; readonly why: string }
  /** `outsider`: the refusal is a person without write access (not a bot), whose request untrusted=ask may hold */
  | { readonly run: false; readonly why: string; readonly outsider?: string };

const COMMENT_EVENTS = new Set(['issue_comment', 'pull_request_review_comment', 'pull_request_review']);
const ITEM_EVENTS = new Set(['issues', 'pull_request', 'pull_request_target']);
/** Events only people with write access (or the repo's own schedule) can cause: they always run. */
const TRUSTED_EVENTS = new Set(['schedule', 'workflow_dispatch', 'push', 'repository_dispatch']);
/** Runs after another workflow: always runs, with the upstream actor checked too. */
const CHAINED_EVENTS = new Set(['workflow_run']);
/** With `trigger: always`, the item actions that mean "there is new work here". */
const ALWAYS_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

/**
 * The text a request is read from: what a reader sees (reader.ts: no hidden markup), without
 * quoted replies and code, so a quoted, code-formatted or hidden mention is not a request.
 */
export function liveText(text: string): string {
  return visibleText(text);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `@openhands` as a whole word, case-insensitive: `@openhands-foo`, `a@openhands`, quoted, code and hidden text do not count. */
export function mentions(text: string, phrase: string): boolean {
  return new RegExp(`(^|[^\\w@./-])${escapeRe(phrase)}(?![\\w-])`, 'i').test(liveText(text));
}

/**
 * A line of its own that says `<phrase> approve` (quoted, code-formatted or hidden ones do not
 * count). Line by line, each trimmed first: linear in the text, however many blank lines it has.
 */
export function isApproval(text: string, phrase: string): boolean {
  const line = new RegExp(`^${escapeRe(phrase)}[,:]?\\s+approved?[.!]*$`, 'i');
  return liveText(text)
    .split('\n')
    .some((l) => line.test(l.trim()));
}

type TriggerConfig = Pick<Config, 'triggerPhrase' | 'label'> & Partial<Pick<Config, 'trigger'>>;

/**
 * Whether the event is a request to run the agent (who sent it is checked later).
 *
 * `trigger: always` runs every delivered comment (new ones only) and every item event that
 * brings new work (opened, reopened, synchronize, ready_for_review) without the phrase or label.
 * Edited and deleted comments never run: an edit would re-run (and re-bill) a request that
 * already ran, and anyone who can comment could rewrite an old comment to replay it; write a new
 * comment instead. Other item actions (closed, edited, unlabeled, …) do not run either, and
 * labeled/assigned still need the trigger label or assignee, so that routine labelling does not
 * start a review. Draft pull requests are not special: filter them in the workflow if wanted.
 */
export function decideTrigger(ctx: EventContext, cfg: TriggerConfig): Decision {
  const { eventName, action } = ctx;
  const always = cfg.trigger === 'always';
  if (COMMENT_EVENTS.has(eventName)) {
    const expected = eventName === 'pull_request_review' ? 'submitted' : 'created';
    if (action !== expected) return { run: false, why: `the comment was ${action ?? 'changed'}; only new comments trigger a run` };
    const body = ctx.comment?.body ?? '';
    if (body.includes(MARKER_PREFIX)) return { run: false, why: "the comment is this action's own status comment" };
    if (always) return { run: true, why: `${ctx.sender.login} commented (trigger: always)` };
    if (!mentions(body, cfg.triggerPhrase)) {
      return { run: false, why: `the comment does not mention ${cfg.triggerPhrase}` };
    }
    return { run: true, why: `${ctx.sender.login} mentioned ${cfg.triggerPhrase}` };
  }
  if (ITEM_EVENTS.has(eventName)) {
    const what = eventName === 'issues' ? 'issue' : 'pull request';
    if (always && action && ALWAYS_ACTIONS.has(action)) {
      return { run: true, why: `${ctx.sender.login} ${action === 'synchronize' ? 'pushed to' : action.replace(/_/g, ' ')} the ${what} (trigger: always)` };
    }
    if (action === 'labeled') {
      if ((ctx.addedLabel ?? '').toLowerCase() !== cfg.label.toLowerCase()) {
        return { run: false, why: `the label '${ctx.addedLabel ?? ''}' is not the trigger label '${cfg.label}'` };
      }
      return { run: true, why: `${ctx.sender.login} added the label '${cfg.label}' to the ${what}` };
    }
    if (action === 'opened') {
      const s = ctx.subject;
      if (s && (mentions(`${s.title}\n${s.body}`, cfg.triggerPhrase) || s.labels.some((l) => l.toLowerCase() === cfg.label.toLowerCase()))) {
        return { run: true, why: `${ctx.sender.login} opened the ${what} with ${cfg.triggerPhrase} or the label '${cfg.label}'` };
      }
      return { run: false, why: `the new ${what} neither mentions ${cfg.triggerPhrase} nor has the label '${cfg.label}'` };
    }
    if (action === 'assigned') {
      const who = cfg.triggerPhrase.replace(/^@/, '').toLowerCase();
      if ((ctx.assignee ?? '').toLowerCase() === who) {
        return { run: true, why: `${ctx.sender.login} assigned the ${what} to ${ctx.assignee}` };
      }
      return { run: false, why: `the ${what} was assigned to ${ctx.assignee ?? 'someone'}, not ${who}` };
    }
    return { run: false, why: `'${action ?? ''}' ${eventName} events do not trigger a run${always ? ` (trigger: always runs ${[...ALWAYS_ACTIONS].join(', ')})` : ''}` };
  }
  if (TRUSTED_EVENTS.has(eventName) || CHAINED_EVENTS.has(eventName)) return { run: true, why: `${eventName} event` };
  return { run: false, why: `${eventName || 'this'} events are not a trigger for this action` };
}

export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
const WRITERS = new Set(['admin', 'maintain', 'write']);

export function isBot(login: string, type: string): boolean {
  return type === 'Bot' || /\[bot\]$/i.test(login);
}

/**
 * The people whose rights decide whether this event may run the agent (none for trusted events).
 * workflow_run: the sender, and the upstream run's actor (who caused it, e.g. a fork PR's author)
 * and triggering actor (who re-ran it): a maintainer's re-run does not launder an outsider's push.
 */
export function actorsToCheck(ctx: EventContext): Actor[] {
  if (TRUSTED_EVENTS.has(ctx.eventName)) return [];
  const first = ctx.comment?.author.login ? ctx.comment.author : ctx.sender.login ? ctx.sender : { login: ctx.actor, type: '' };
  const actors: Actor[] = [first];
  if (ctx.eventName === 'workflow_run') {
    const upstream = ctx.upstream?.actors ?? (ctx.upstreamActor ? [{ login: ctx.upstreamActor, type: '' }] : []);
    actors.push(...upstream);
  }
  const seen = new Set<string>();
  return actors.filter((a) => a.login && !seen.has(a.login.toLowerCase()) && seen.add(a.login.toLowerCase()));
}

/**
 * Gate: each actor must have write, maintain or admin, or be a bot listed in allowed-bots.
 * `permissionOf` failing means the check fails closed (the error propagates).
 */
export async function checkActors(
  ctx: EventContext,
  allowedBots: readonly string[],
  permissionOf: (login: string) => Promise<string>,
): Promise<Decision> {
  const actors = actorsToCheck(ctx);
  if (actors.length === 0) return { run: true, why: `${ctx.eventName} events need write access to cause` };
  for (const { login, type } of actors) {
    if (isBot(login, type)) {
      if (!allowedBots.some((b) => b.toLowerCase() === login.toLowerCase())) {
        return { run: false, why: `${login} is a bot that is not listed in allowed-bots` };
      }
      continue;
    }
    const level = await permissionOf(login);
    if (!WRITERS.has(level)) {
      return { run: false, why: `${login} has '${level}' access; write, maintain or admin is needed`, outsider: login };
    }
  }
  return { run: true, why: `${actors.map((a) => a.login).join(', ')} may run the agent` };
}

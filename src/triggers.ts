/**
 * Which events run the agent, and who may make them. Pure decisions over the parsed event;
 * the permission lookup itself is passed in.
 */
import type { Config } from './config.js';
import { MARKER_PREFIX } from './constants.js';
import type { EventContext } from './github/event.js';

export type Decision = { readonly run: true; readonly why: string } | { readonly run: false; readonly why: string };

const COMMENT_EVENTS = new Set(['issue_comment', 'pull_request_review_comment', 'pull_request_review']);
const ITEM_EVENTS = new Set(['issues', 'pull_request', 'pull_request_target']);
/** Events only people with write access (or the repo's own schedule) can cause: they always run. */
const TRUSTED_EVENTS = new Set(['schedule', 'workflow_dispatch', 'push', 'repository_dispatch']);
/** Runs after another workflow: always runs, with the upstream actor checked too. */
const CHAINED_EVENTS = new Set(['workflow_run']);

/** Text with quoted replies and code removed: a quoted or code-formatted mention is not a request. */
function liveText(text: string): string {
  return text
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    .split('\n')
    .filter((line) => !/^\s*>/.test(line))
    .join('\n');
}

/** `@openhands` as a whole word, case-insensitive: `@openhands-foo`, `a@openhands` and quotes do not count. */
export function mentions(text: string, phrase: string): boolean {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w@./-])${escaped}(?![\\w-])`, 'i').test(liveText(text));
}

export function decideTrigger(ctx: EventContext, cfg: Pick<Config, 'triggerPhrase' | 'label'>): Decision {
  const { eventName, action } = ctx;
  if (COMMENT_EVENTS.has(eventName)) {
    const expected = eventName === 'pull_request_review' ? 'submitted' : 'created';
    if (action !== expected) return { run: false, why: `the comment was ${action ?? 'changed'}; only new comments trigger a run` };
    const body = ctx.comment?.body ?? '';
    if (body.includes(MARKER_PREFIX)) return { run: false, why: "the comment is this action's own status comment" };
    if (!mentions(body, cfg.triggerPhrase)) {
      return { run: false, why: `the comment does not mention ${cfg.triggerPhrase}` };
    }
    return { run: true, why: `${ctx.sender.login} mentioned ${cfg.triggerPhrase}` };
  }
  if (ITEM_EVENTS.has(eventName)) {
    const what = eventName === 'issues' ? 'issue' : 'pull request';
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
    return { run: false, why: `'${action ?? ''}' ${eventName} events do not trigger a run` };
  }
  if (TRUSTED_EVENTS.has(eventName) || CHAINED_EVENTS.has(eventName)) return { run: true, why: `${eventName} event` };
  return { run: false, why: `${eventName || 'this'} events are not a trigger for this action` };
}

export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
const WRITERS = new Set(['admin', 'maintain', 'write']);

export function isBot(login: string, type: string): boolean {
  return type === 'Bot' || /\[bot\]$/i.test(login);
}

/** The people whose rights decide whether this event may run the agent (none for trusted events). */
export function actorsToCheck(ctx: EventContext): string[] {
  if (TRUSTED_EVENTS.has(ctx.eventName)) return [];
  const actors = new Set([ctx.comment?.author.login || ctx.sender.login || ctx.actor]);
  if (ctx.eventName === 'workflow_run' && ctx.upstreamActor) actors.add(ctx.upstreamActor);
  actors.delete('');
  return [...actors];
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
  for (const login of actors) {
    const type = login === ctx.sender.login ? ctx.sender.type : login === ctx.comment?.author.login ? ctx.comment.author.type : '';
    if (isBot(login, type)) {
      if (!allowedBots.some((b) => b.toLowerCase() === login.toLowerCase())) {
        return { run: false, why: `${login} is a bot that is not listed in allowed-bots` };
      }
      continue;
    }
    const level = await permissionOf(login);
    if (!WRITERS.has(level)) {
      return { run: false, why: `${login} has '${level}' access; write, maintain or admin is needed` };
    }
  }
  return { run: true, why: `${actors.join(', ')} may run the agent` };
}

/**
 * Step 3: act. One of: re-send a follow-up an earlier attempt left unsent, follow up in the open
 * conversation, or start (re-attaching to an earlier attempt's start). A scheduled chore whose
 * previous conversation still works is skipped instead.
 */
import * as core from '@actions/core';
import { startedByThisRun } from '../../marker.js';
import { readConversation, type ConversationView } from '../../openhands/conversation.js';
import { EXECUTION_TERMINAL, START_TERMINAL } from '../../openhands/types.js';
import { STATUS } from '../../status.js';
import { reactLater, type Session } from '../run.js';
import { followUp, isAlive, type FollowedUp } from './follow-up.js';
import { reattachOrStart } from './reattach.js';
import type { Started } from '../start-task.js';

export type Acted =
  | { readonly kind: 'started'; readonly started: Started }
  | { readonly kind: 'followed-up'; readonly followedUp: FollowedUp }
  | { readonly kind: 'skip'; readonly why: string };

export async function act(s: Session): Promise<Acted> {
  const { run, client, reporter } = s;
  const prev = s.plan.sticky?.state;
  const sameRun = startedByThisRun(prev, run.ctx.runId);

  // A scheduled chore must not pile up, nor CI fix attempts: skip while the last one (on the same comment) runs.
  if ((!run.ctx.subject || s.plan.ci) && prev?.conversationId && !sameRun && (await stillRunning(s, prev.conversationId, prev.startTaskId))) {
    return { kind: 'skip', why: `the previous ${s.plan.ci ? 'attempt\'s ' : ''}conversation ${prev.conversationId} is still running` };
  }
  reactLater(run, 'eyes');
  // A re-run of a follow-up: send the message if the first attempt did not get to it.
  if (sameRun && prev?.conversationId && prev.followUp) {
    const view = await readConversation(client, prev.conversationId, { sleep: run.sleep, signal: run.signal });
    if (belongsHere(s, view)) return { kind: 'followed-up', followedUp: await followUp(s, prev.conversationId, view, prev.followUp === 'sent' ? 'sent' : 'maybe-sent') };
  }
  // A new trigger where a conversation is still open: send it there instead of paying for another.
  if (!sameRun && prev?.conversationId && run.ctx.subject && run.cfg.followUp === 'auto') {
    const view = await readConversation(client, prev.conversationId, { sleep: run.sleep, signal: run.signal });
    if (isAlive(view, run.now()) && belongsHere(s, view)) return { kind: 'followed-up', followedUp: await followUp(s, prev.conversationId, view, 'unsent') };
  }
  if (!sameRun && prev?.conversationId) {
    // A held run kept the conversation only for routing: its status and run are the hold's.
    const held = STATUS[prev.status].startedNothing;
    const runUrl = `${run.ctx.serverUrl}/${run.ctx.repository}/actions/runs/${prev.runId}`;
    const earlier = { conversationId: prev.conversationId, ...(held ? { status: 'earlier' } : { status: prev.status, runUrl }) };
    reporter.apply({ previous: [earlier, ...reporter.report.previous] });
  }
  return { kind: 'started', started: await reattachOrStart(s, prev) };
}

/**
 * A conversation the marker names is followed up into only when it works on this repository
 * (and, on a pull request, on this one): even the action's own comment must not send a
 * maintainer's words into another repository's conversation. Unknown (no conversation) is no.
 */
export function belongsHere(s: Session, view: ConversationView): boolean {
  const c = view.conversation;
  const repo = s.plan.work.repo.toLowerCase();
  const subject = s.run.ctx.subject;
  const ok =
    Boolean(c) &&
    (c?.selected_repository ?? '').toLowerCase() === repo &&
    (!subject?.isPullRequest || s.plan.work.fork !== undefined || !c?.pr_number?.length || c.pr_number.includes(subject.number));
  if (!ok && c) core.warning(`The status comment names conversation ${c.id}, which works on ${c.selected_repository ?? 'no repository'}${c.pr_number?.length ? ` (PR ${c.pr_number.join(', ')})` : ''}, not here: starting a new one`);
  return ok;
}

/** Whether the conversation an earlier run reported is still at work (or still starting). */
async function stillRunning(s: Session, conversationId: string, startTaskId: string | undefined): Promise<boolean> {
  const view = await readConversation(s.client, conversationId, { sleep: s.run.sleep, signal: s.run.signal });
  if (view.conversation) {
    const busy = view.executionStatus === null || !EXECUTION_TERMINAL.has(view.executionStatus);
    return busy && ['RUNNING', 'STARTING'].includes(view.sandboxStatus ?? '');
  }
  if (!startTaskId) return false;
  const [task] = await s.client.getStartTasks([startTaskId]);
  return Boolean(task && !START_TERMINAL.has(task.status));
}

/**
 * Act: a new trigger on an issue or PR whose conversation is still open is sent into it as a
 * message, instead of paying for a second conversation. A paused sandbox is resumed first.
 */
import * as core from '@actions/core';
import { newestEvent, type ConversationView, type EventMark } from '../../openhands/conversation.js';
import { ownRunFromAppServer } from '../../openhands/own-run.js';
import { buildFollowUp, fillConversationUrl } from '../../prompt.js';
import { conversationUrl } from '../../report.js';
import { ensureRunning, viewPatch } from '../follow.js';
import { reactLater, type Session } from '../run.js';

/** A conversation finished longer ago than this gets a new conversation instead of a follow-up. */
export const FOLLOW_UP_WINDOW_MS = 6 * 3600_000;

export interface FollowedUp {
  readonly conversationId: string;
  /** the newest event before our message: what comes after it is the follow-up's */
  readonly after: EventMark | undefined;
  /** the message sent: its event marks where the follow-up's own run begins */
  readonly text: string;
}

/** Still worth a follow-up: the sandbox lives, and the agent is working or finished recently. */
export function isAlive(v: ConversationView, now: number): boolean {
  if (!v.conversation || !['RUNNING', 'PAUSED', 'STARTING'].includes(v.sandboxStatus ?? '')) return false;
  const exec = v.executionStatus;
  if (exec === 'error' || exec === 'stuck' || exec === 'deleting') return false;
  if (exec === 'finished') {
    const updated = Date.parse(v.conversation.updated_at ?? '');
    return Number.isFinite(updated) && now - updated < FOLLOW_UP_WINDOW_MS;
  }
  return true;
}

export async function followUp(s: Session, conversationId: string, view: ConversationView, alreadySent: boolean, maybeSent = false): Promise<FollowedUp> {
  const { run, reporter, client } = s;
  const text = fillConversationUrl(buildFollowUp(run.cfg, run.ctx, s.plan.work, s.plan.approved, s.plan.delta, s.plan.ci), conversationUrl(run.cfg.baseUrl, conversationId));
  core.info(`Conversation ${conversationId} is still open: sending the new request to it instead of starting another`);
  await reporter.update(
    { conversationId, followUpText: text, followUp: alreadySent ? 'sent' : 'pending', status: 'pending', ...viewPatch(view) },
    { force: true },
  );
  reporter.writeOutputs();
  await ensureRunning(s, conversationId, view);
  let after: EventMark | undefined;
  // A re-run of a follow-up whose "sent" was never recorded: the message may have arrived.
  if (!alreadySent && maybeSent && (await ownRunFromAppServer(client, conversationId, text, { pages: 3 })).found) {
    core.info('The earlier attempt delivered this message already; not sending it again');
    alreadySent = true;
  }
  if (!alreadySent) {
    after = await newestEvent(client, conversationId);
    await client.sendMessage(conversationId, text);
  }
  await reporter.update({ status: 'followed_up', followUp: 'sent' }, { force: true });
  reactLater(run, 'rocket');
  return { conversationId, after, text };
}

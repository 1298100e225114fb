/**
 * Act: a new trigger on an issue or PR whose conversation is still open is sent into it as a
 * message, instead of paying for a second conversation. A paused sandbox is resumed first.
 */
import * as core from '@actions/core';
import { OpenHandsApiError } from '../../errors.js';
import { newestEvent, readConversation, type ConversationView, type EventMark } from '../../openhands/conversation.js';
import { ownRunFromAppServer } from '../../openhands/own-run.js';
import { buildFollowUp, fillConversationUrl } from '../../prompt.js';
import { conversationUrl } from '../../report.js';
import { ensureRunning, viewPatch } from '../conversation.js';
import { log, reactLater, type Session } from '../run.js';

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

/** When a follow-up whose answer was ambiguous is looked for (ms after the answer): ~1 minute in all. */
export const SENT_CHECKS_MS = [2000, 3000, 5000, 10_000, 20_000, 20_000];

/**
 * Whether a failed send-message may still have delivered the message. The service waits for the
 * agent's current step before adding it and its proxy gives up after 30 s with a 502 while the
 * message is still delivered ([api: follow-ups]): a 5xx, a reset or a timeout are ambiguous. Only a refused
 * connection, or an answer that says why it refused (4xx, 429), is certainly "not sent".
 */
export function maybeDelivered(error: unknown): boolean {
  if (!(error instanceof OpenHandsApiError) || !error.transient || error.status === 429) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code !== 'ECONNREFUSED';
}

/**
 * Sends the message once. An ambiguous failure is not sent again (the message would arrive twice):
 * the message is looked for in the events instead, and the follow-up stands as sent either way.
 * A 410 may be one failed runtime lookup ([api: statuses]): sent once more if the sandbox runs after all.
 */
async function send(s: Session, conversationId: string, text: string, after: EventMark | undefined): Promise<void> {
  const { run, client } = s;
  try {
    await client.sendMessage(conversationId, text);
    return;
  } catch (error) {
    if (error instanceof OpenHandsApiError && error.status === 410) {
      const view = await readConversation(client, conversationId, { events: false, sleep: run.sleep, signal: run.signal });
      if (view.sandboxStatus !== 'RUNNING') throw error;
      core.info('send-message answered 410 (archived) but the sandbox runs: one failed runtime lookup; sending once more');
      return client.sendMessage(conversationId, text);
    }
    if (run.signal.aborted || !maybeDelivered(error)) throw error;
    log(run, `send-message failed ambiguously (${(error as Error).message}); the service answers so while the agent finishes its current step, and delivers the message anyway. Looking for it instead of sending it again`);
  }
  for (const ms of SENT_CHECKS_MS) {
    await run.sleep(ms, run.signal);
    const own = await ownRunFromAppServer(client, conversationId, text, { markId: after?.id, pages: 3 }).catch(() => undefined);
    if (own?.found) {
      core.info('The follow-up message arrived in the conversation');
      return;
    }
  }
  core.warning(
    "The service did not confirm the follow-up message, and it has not shown up in the conversation's events yet. " +
      "It is most likely delivered once the agent's current step ends; it is not sent again, so it cannot arrive twice.",
  );
}

/**
 * What is known of the message's delivery: `unsent` (a new trigger), `sent` (an earlier attempt
 * recorded it), `maybe-sent` (an earlier attempt began sending and never recorded the answer).
 */
export type Delivery = 'unsent' | 'sent' | 'maybe-sent';

export async function followUp(s: Session, conversationId: string, view: ConversationView, delivery: Delivery): Promise<FollowedUp> {
  const { run, reporter, client } = s;
  const text = fillConversationUrl(buildFollowUp(run.cfg, run.ctx, s.plan.work, s.plan.approved, s.plan.delta, s.plan.ci), conversationUrl(run.cfg.baseUrl, conversationId));
  core.info(`Conversation ${conversationId} is still open: sending the new request to it instead of starting another`);
  await reporter.update(
    { conversationId, followUpText: text, followUp: delivery === 'sent' ? 'sent' : 'pending', status: 'pending', ...viewPatch(view) },
    { force: true },
  );
  reporter.writeOutputs();
  await ensureRunning(s, conversationId, view);
  let after: EventMark | undefined;
  let sent = delivery === 'sent';
  // A re-run of a follow-up whose "sent" was never recorded: the message may have arrived.
  if (delivery === 'maybe-sent' && (await ownRunFromAppServer(client, conversationId, text, { pages: 3 })).found) {
    core.info('The earlier attempt delivered this message already; not sending it again');
    sent = true;
  }
  if (!sent) {
    after = await newestEvent(client, conversationId);
    await send(s, conversationId, text, after);
  }
  await reporter.update({ status: 'followed_up', followUp: 'sent' }, { force: true });
  reactLater(run, 'rocket');
  return { conversationId, after, text };
}

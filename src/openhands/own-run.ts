/**
 * A follow-up's own run: the events after the message this workflow sent. The app server's copy
 * of the events trails by up to ~30 s (reference [api: events]), so a mark taken before sending (the
 * newest event it had) can be older than the previous run's end, or missing; that end would then
 * pass for ours. Our message itself is the only reliable mark: once it shows up, every later
 * terminal `execution_status` belongs to our run (or to a later one).
 */
import type { OpenHandsClient } from './client.js';
import { statusOfEvent } from './conversation.js';
import { EXECUTION_TERMINAL } from './types.js';

/** The event fields read here. */
export interface RunEvent {
  readonly id?: string;
  readonly kind?: string;
  readonly source?: string | null;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly [field: string]: unknown;
}

export interface OwnRun {
  /** our message is among the events */
  readonly found: boolean;
  /** its event id (to read the final message after it) */
  readonly messageId?: string;
  /** the terminal execution_status that came after it, if the run ended */
  readonly end?: string;
  /** the events after our message, oldest first */
  readonly after: readonly RunEvent[];
}

/** The text of a user MessageEvent, or undefined for other events. */
function userText(e: RunEvent): string | undefined {
  if (e.kind !== 'MessageEvent' || e.source !== 'user') return undefined;
  const content = (e.llm_message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  return content.map((c: { text?: unknown }) => (typeof c?.text === 'string' ? c.text : '')).join('');
}

/** Where our message is in `events` (oldest first), and what came after it. Pure. */
export function ownRun(events: readonly RunEvent[], text: string): OwnRun {
  const wanted = text.trim();
  let at = -1;
  // the newest match: the same text sent twice is the same request asked again
  for (let i = events.length - 1; i >= 0 && at < 0; i--) if (userText(events[i]!)?.includes(wanted)) at = i;
  if (at < 0 || !wanted) return { found: false, after: [] };
  return withEnd({ found: true, messageId: events[at]!.id, after: events.slice(at + 1) });
}

/** The run's end: the last status change after the message, when it is terminal. */
function withEnd(run: OwnRun): OwnRun {
  let end: string | undefined;
  for (const e of run.after) {
    // an execution_status update, or a stored full_state snapshot ([api: events])
    const status = e.kind === 'ConversationStateUpdateEvent' ? statusOfEvent(e) : undefined;
    if (status === undefined) continue;
    // running again after an end means the run goes on
    end = EXECUTION_TERMINAL.has(status) ? status : undefined;
  }
  return end ? { ...run, end } : run;
}

/**
 * ownRun over the app server's copy, read newest first, page by page until our message (or the
 * mark taken before sending, which proves the message is not there yet) shows up. Past `pages`
 * pages the message is older than all of them: everything read counts as after it.
 */
export async function ownRunFromAppServer(client: OpenHandsClient, conversationId: string, text: string, opts: { markId?: string; pages?: number } = {}): Promise<OwnRun> {
  const newestFirst: RunEvent[] = [];
  let pageId: string | undefined;
  for (let page = 0; page < (opts.pages ?? 5); page++) {
    const res = await client.searchEvents(conversationId, { limit: 100, pageId });
    newestFirst.push(...res.items);
    const oldestFirst = [...newestFirst].reverse();
    const run = ownRun(oldestFirst, text);
    if (run.found) return run;
    if (!res.nextPageId || (opts.markId !== undefined && res.items.some((e) => e.id === opts.markId))) return run;
    pageId = res.nextPageId;
  }
  return withEnd({ found: true, after: [...newestFirst].reverse() });
}

/**
 * What the service says about one conversation now. The app server knows execution_status only
 * while the sandbox runs; otherwise the newest execution_status state-update event tells, and
 * those are buried among `stats` updates (one per LLM call), so the search pages back for it.
 */
import { realSleep, type Sleep } from '../retry.js';
import type { OpenHandsClient } from './client.js';
import { EXECUTION_TERMINAL, type Conversation } from './types.js';

export interface ConversationView {
  readonly conversation: Conversation | null;
  /** execution_status from the conversation, or from the events when the sandbox is not running */
  readonly executionStatus: string | null;
  readonly sandboxStatus: string | null;
}

/** Pages of 100 state-update events searched for the last execution_status change. */
const STATUS_PAGES = 10;

/**
 * How long apart two MISSING reads must be before a run believes the sandbox is gone: the service
 * also answers MISSING when one runtime lookup fails ([api: statuses]).
 */
export const MISSING_CONFIRM_MS = 3000;

export interface ReadOptions {
  /** false: do not fill execution_status from the events (a sandbox that is starting has nothing new to say there) */
  readonly events?: boolean;
  /** for the wait before a MISSING is confirmed */
  readonly sleep?: Sleep;
  readonly signal?: AbortSignal;
}

/**
 * The conversation now, with execution_status filled from the events when the API has none. A
 * MISSING sandbox is read again MISSING_CONFIRM_MS later, and only a second MISSING stands: one
 * failed runtime lookup must not end a run, start a second conversation or unblock a chore.
 */
export async function readConversation(client: OpenHandsClient, id: string, opts: ReadOptions = {}): Promise<ConversationView> {
  let conversation = await client.getConversation(id);
  if (conversation?.sandbox_status === 'MISSING') {
    await (opts.sleep ?? realSleep)(MISSING_CONFIRM_MS, opts.signal);
    conversation = await client.getConversation(id);
  }
  const sandboxStatus = conversation?.sandbox_status ?? null;
  let executionStatus = conversation?.execution_status ?? null;
  if (conversation && executionStatus === null && sandboxStatus !== 'RUNNING' && opts.events !== false) {
    executionStatus = await lastExecutionStatus(client, id);
  }
  return { conversation, executionStatus, sandboxStatus };
}

/**
 * The execution_status a state-update event records: its value for `key: execution_status`, or
 * `value.execution_status` of a `full_state` snapshot. After a resume the running → error switch
 * is recorded only in such a snapshot ([api: events]).
 */
export function statusOfEvent(e: { key?: unknown; value?: unknown }): string | undefined {
  if (e.key === 'execution_status') return typeof e.value === 'string' ? e.value : undefined;
  if (e.key === 'full_state') {
    const v = (e.value as { execution_status?: unknown } | null | undefined)?.execution_status;
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/** The newest execution_status the events record (events come newest first). */
export async function lastExecutionStatus(client: OpenHandsClient, id: string): Promise<string | null> {
  let pageId: string | undefined;
  for (let page = 0; page < STATUS_PAGES; page++) {
    const res = await client.searchEvents(id, { kind: 'ConversationStateUpdateEvent', limit: 100, pageId });
    for (const e of res.items) {
      const status = statusOfEvent(e);
      if (status !== undefined) return status;
    }
    if (!res.nextPageId) return null;
    pageId = res.nextPageId;
  }
  return null;
}

/** How a wait for the agent ends: the agent's own end, its sandbox gone from under it, or a person's pause. */
export type Ending =
  | { readonly kind: 'agent'; readonly status: string }
  | { readonly kind: 'interrupted'; readonly sandboxStatus: string }
  | { readonly kind: 'user-paused' };

/**
 * A sandbox that is PAUSED, ERROR or MISSING while the agent had not ended was taken away
 * (the service pauses a user's oldest sandboxes beyond its limit); such a run never continues
 * by itself, so waiting longer is pointless.
 */
export function ending(view: ConversationView): Ending | undefined {
  if (view.executionStatus !== null && EXECUTION_TERMINAL.has(view.executionStatus)) return { kind: 'agent', status: view.executionStatus };
  // A person paused it in the web app; nothing resumes it by itself ([api: statuses]).
  if (view.executionStatus === 'paused') return { kind: 'user-paused' };
  if (view.sandboxStatus === 'PAUSED' || view.sandboxStatus === 'ERROR' || view.sandboxStatus === 'MISSING') {
    return { kind: 'interrupted', sandboxStatus: view.sandboxStatus };
  }
  return undefined;
}

export function usage(c: Conversation | null): { cost?: number; tokens?: number } {
  const m = c?.metrics;
  if (!m) return {};
  const u = m.accumulated_token_usage;
  const tokens = u ? (u.prompt_tokens ?? 0) + (u.completion_tokens ?? 0) : undefined;
  return { cost: m.accumulated_cost ?? undefined, tokens };
}

/** Where the event log stood before a follow-up: what comes after it is the follow-up's. */
export interface EventMark {
  readonly id: string;
  readonly timestamp: string;
}

export async function newestEvent(client: OpenHandsClient, id: string): Promise<EventMark | undefined> {
  const { items } = await client.searchEvents(id, { limit: 1 });
  const e = items[0];
  return e ? { id: e.id, timestamp: e.timestamp ?? '' } : undefined;
}

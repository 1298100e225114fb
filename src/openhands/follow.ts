/**
 * Following a READY conversation to its end (wait: finished), and reading back what the agent
 * said. The app server only knows execution_status while the sandbox runs; otherwise the
 * newest execution_status state-update event tells. Events reach the app server with a lag of
 * up to ~30 s, so the final message is read only once the events have caught up.
 */
import { TimeoutError } from '../errors.js';
import { realSleep, type Sleep } from '../retry.js';
import type { OpenHandsClient } from './client.js';
import { EXECUTION_TERMINAL, SANDBOX_TERMINAL, type Conversation, type OHEvent } from './types.js';

export interface FollowDeps {
  readonly client: OpenHandsClient;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

export interface ConversationView {
  readonly conversation: Conversation | null;
  /** execution_status from the conversation, or from the events when the sandbox is not running */
  readonly executionStatus: string | null;
  readonly sandboxStatus: string | null;
}

/**
 * Finish polling interval by elapsed time: every 1.5–5 s in the first minute (short tasks end
 * fast), 10 s up to five minutes, then 20 s: at most ~6 requests a minute on long runs.
 */
export function finishPollDelay(elapsedMs: number): number {
  if (elapsedMs < 10_000) return 1500;
  if (elapsedMs < 20_000) return 3000;
  if (elapsedMs < 60_000) return 5000;
  if (elapsedMs < 300_000) return 10_000;
  return 20_000;
}

export function isTerminal(view: ConversationView): boolean {
  return (
    (view.executionStatus !== null && EXECUTION_TERMINAL.has(view.executionStatus)) ||
    (view.sandboxStatus !== null && SANDBOX_TERMINAL.has(view.sandboxStatus))
  );
}

/** The conversation now, with execution_status filled from the events when the API has none. */
export async function readConversation(client: OpenHandsClient, id: string): Promise<ConversationView> {
  const conversation = await client.getConversation(id);
  const sandboxStatus = conversation?.sandbox_status ?? null;
  let executionStatus = conversation?.execution_status ?? null;
  if (conversation && executionStatus === null && sandboxStatus !== 'RUNNING') {
    executionStatus = await lastExecutionStatusEvent(client, id);
  }
  return { conversation, executionStatus, sandboxStatus };
}

async function lastExecutionStatusEvent(client: OpenHandsClient, id: string): Promise<string | null> {
  const { items } = await client.searchEvents(id, { kind: 'ConversationStateUpdateEvent', limit: 100 });
  const e = items.find((x) => x.key === 'execution_status' && typeof x.value === 'string');
  return (e?.value as string | undefined) ?? null;
}

export async function waitForFinish(
  deps: FollowDeps,
  id: string,
  opts: {
    deadline: number;
    timeoutMs: number;
    onView: (v: ConversationView) => void;
    /** whether a terminal view is this run's end (a follow-up must not stop at the previous end) */
    accept?: (v: ConversationView) => Promise<boolean>;
  },
): Promise<ConversationView> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const started = now();
  for (;;) {
    const view = await readConversation(deps.client, id);
    opts.onView(view);
    if (isTerminal(view) && (!opts.accept || (await opts.accept(view)))) return view;
    const remaining = opts.deadline - now();
    if (remaining <= 0) throw new TimeoutError('The agent finishing', 'finish-timeout', opts.timeoutMs);
    await sleep(Math.min(finishPollDelay(now() - started), remaining), deps.signal);
  }
}

/**
 * The agent's final answer, as the SDK's get_agent_final_response finds it: walking newest to
 * oldest, a `finish` action's message, else an agent message's text.
 */
export function finalResponse(eventsNewestFirst: readonly OHEvent[]): string | undefined {
  for (const e of eventsNewestFirst) {
    if (e.source !== 'agent') continue;
    if (e.kind === 'ActionEvent' && e.tool_name === 'finish') {
      const action = e.action as { message?: unknown } | null | undefined;
      return typeof action?.message === 'string' ? action.message : '';
    }
    if (e.kind === 'MessageEvent') {
      const content = (e.llm_message as { content?: unknown } | undefined)?.content;
      if (!Array.isArray(content)) return '';
      return content
        .map((c: { type?: string; text?: string; image_urls?: unknown[] }) =>
          c.type === 'image' ? `[Image: ${c.image_urls?.length ?? 0} URLs]` : (c.text ?? ''),
        )
        .join('');
    }
  }
  return undefined;
}

/** True when the events already hold the state update for the status we saw (they caught up). */
function caughtUp(events: readonly OHEvent[], executionStatus: string | null): boolean {
  if (!executionStatus) return events.length > 0;
  return events.some(
    (e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'execution_status' && e.value === executionStatus,
  );
}

/**
 * Reads the final message, retrying for up to `lagMs` while the event copy lags behind the
 * status. Returns '' when the agent left none.
 */
export async function readFinalMessage(
  deps: FollowDeps,
  id: string,
  executionStatus: string | null,
  opts: { lagMs?: number; pages?: number; afterEventId?: string } = {},
): Promise<string> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const until = now() + (opts.lagMs ?? 35_000);
  for (let delay = 1000; ; delay = Math.min(delay * 1.5, 5000)) {
    const events: OHEvent[] = [];
    let pageId: string | undefined;
    for (let page = 0; page < (opts.pages ?? 5); page++) {
      const res = await deps.client.searchEvents(id, { pageId, limit: 100 });
      // For a follow-up, only what came after our message counts.
      const stop = opts.afterEventId ? res.items.findIndex((e) => e.id === opts.afterEventId) : -1;
      events.push(...(stop >= 0 ? res.items.slice(0, stop) : res.items));
      if (stop >= 0 || finalResponse(events) !== undefined || !res.nextPageId) break;
      pageId = res.nextPageId;
    }
    const message = finalResponse(events);
    // Once the events show the status we saw, what they hold is all there is (maybe no message).
    if (caughtUp(events, executionStatus) || now() >= until) return message ?? '';
    await sleep(Math.min(delay, Math.max(0, until - now())), deps.signal);
  }
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

/** True when an execution_status update to a terminal value came after the mark. */
export async function endedAfter(client: OpenHandsClient, id: string, mark: EventMark | undefined): Promise<boolean> {
  const { items } = await client.searchEvents(id, { kind: 'ConversationStateUpdateEvent', limit: 100 });
  return items.some(
    (e) =>
      e.key === 'execution_status' &&
      EXECUTION_TERMINAL.has(String(e.value)) &&
      e.id !== mark?.id &&
      (e.timestamp ?? '') > (mark?.timestamp ?? ''),
  );
}

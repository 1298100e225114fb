/**
 * The agent's final answer. While the sandbox runs, the agent server has it without lag
 * (agent_final_response); otherwise the app server's copy of the events, which can trail the
 * status by ~30 s, is read newest first with the SDK's rule, and re-read until it caught up.
 */
import { realSleep, type Sleep } from '../retry.js';
import type { OpenHandsClient } from './client.js';
import type { OHEvent } from './types.js';

/**
 * The SDK's get_agent_final_response over events newest first: a `finish` action's message,
 * else an agent message's text.
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
  return events.some((e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'execution_status' && e.value === executionStatus);
}

export interface FinalMessageDeps {
  readonly client: OpenHandsClient;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /** the agent server's answer while the sandbox runs (undefined when it cannot be asked) */
  readonly fromAgentServer?: () => Promise<string | undefined>;
}

/**
 * Reads the final message: from the agent server when it answers, else from the events,
 * retrying for up to `lagMs` while their copy lags behind the status. '' when the agent left none.
 * A follow-up (`afterEventId`) reads only the events after its own message.
 */
export async function readFinalMessage(
  deps: FinalMessageDeps,
  id: string,
  executionStatus: string | null,
  opts: { lagMs?: number; pages?: number; afterEventId?: string } = {},
): Promise<string> {
  const live = await deps.fromAgentServer?.().catch(() => undefined);
  if (live) return live;
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const until = now() + (opts.lagMs ?? 35_000);
  for (let delay = 1000; ; delay = Math.min(delay * 1.5, 5000)) {
    const events: OHEvent[] = [];
    let pageId: string | undefined;
    for (let page = 0; page < (opts.pages ?? 5); page++) {
      const res = await deps.client.searchEvents(id, { pageId, limit: 100 });
      const stop = opts.afterEventId ? res.items.findIndex((e) => e.id === opts.afterEventId) : -1;
      events.push(...(stop >= 0 ? res.items.slice(0, stop) : res.items));
      if (stop >= 0 || finalResponse(events) !== undefined || !res.nextPageId) break;
      pageId = res.nextPageId;
    }
    const message = finalResponse(events);
    if (caughtUp(events, executionStatus) || now() >= until) return message ?? '';
    await sleep(Math.min(delay, Math.max(0, until - now())), deps.signal);
  }
}

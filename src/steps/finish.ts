/**
 * Step 4b: follow the agent to its end (wait: finished). While the sandbox runs, the agent
 * server's event socket says the moment the status or the cost changes, and the app server is
 * read then, plus a slow safety poll (a paused or vanished sandbox says nothing on the socket).
 * Without the socket, the app server is polled. The end is folded into the Report: status,
 * final message, cost, and the pull request the agent opened.
 */
import * as core from '@actions/core';
import { agentTarget, getAgentFinalResponse, type AgentServerTarget } from '../openhands/agent-server.js';
import { findAgentPullRequest, type PrEvent } from '../openhands/agent-pr.js';
import { endedAfter, readConversation, usage, type ConversationView, type EventMark } from '../openhands/conversation.js';
import { readFinalMessage } from '../openhands/final-message.js';
import { finishPollDelay, waitForFinish } from '../openhands/finish.js';
import { followLive, type LiveEvent } from '../openhands/live.js';
import { statusFromExecution, type Report } from '../report.js';
import type { AgentPrLookup } from './agent-pr-github.js';
import { viewPatch } from './follow.js';
import { log, type Session } from './run.js';

/** How long a follow-up waits to see the agent start again before trusting an unchanged end state. */
export const FOLLOW_UP_SETTLE_MS = 90_000;
/** With the socket up, the app server is still read this often, to notice a paused sandbox. */
export const SAFETY_POLL_MS = 60_000;
/** With max-cost set, the cost is never older than this. */
export const COST_CHECK_MS = 10_000;

export class OverBudgetError extends Error {
  readonly cost: number;
  readonly cap: number;
  constructor(cost: number, cap: number) {
    super(`The conversation's cost ($${cost.toFixed(2)}) passed max-cost ($${cap.toFixed(2)}); the agent was stopped`);
    this.name = 'OverBudgetError';
    this.cost = cost;
    this.cap = cap;
  }
}

const ACTIVE = (status: string | null): boolean => status !== null && !['finished', 'error', 'stuck', 'waiting_for_confirmation'].includes(status);

/**
 * Follows the agent to its end. After a follow-up (`after`), the previous run's end does not count.
 * `findPrElsewhere` is asked when the agent's events name no PR.
 */
export async function waitFinished(s: Session, conversationId: string, after?: EventMark, findPrElsewhere?: AgentPrLookup): Promise<void> {
  const { run, reporter, client } = s;
  const cap = run.cfg.maxCost;
  const first = await readConversation(client, conversationId);
  const live = watchLive(s, conversationId, agentTarget(first.conversation, conversationId), after);
  let last = '';
  let sawActive = false;
  const since = run.now();
  try {
    const { view, ending } = await core.group('Wait until finished', () =>
      waitForFinish({ client, sleep: run.sleep, now: run.now, signal: run.signal }, conversationId, {
        deadline: run.now() + run.cfg.finishTimeoutMs,
        timeoutMs: run.cfg.finishTimeoutMs,
        accept: async (_v, e) =>
          !after || sawActive || e.kind === 'interrupted' || run.now() - since > FOLLOW_UP_SETTLE_MS || (await endedAfter(client, conversationId, after)),
        pollDelay: (elapsed) => {
          const base = live.up() ? SAFETY_POLL_MS : finishPollDelay(elapsed);
          return cap !== undefined && !live.up() ? Math.min(base, COST_CHECK_MS) : base;
        },
        wake: live.wake,
        onView: (v) => {
          if (ACTIVE(v.executionStatus)) sawActive = true;
          const line = `${v.sandboxStatus ?? '?'}/${v.executionStatus ?? '?'}`;
          if (line !== last) log(run, `Conversation ${conversationId}: sandbox ${v.sandboxStatus ?? 'unknown'}, agent ${v.executionStatus ?? 'unknown'}`);
          last = line;
          void reporter.update({ ...viewPatch(v), ...costPatch(v, live.cost()) });
        },
        check: (v) => {
          const cost = Math.max(usage(v.conversation).cost ?? 0, live.cost() ?? 0);
          if (cap !== undefined && cost > cap) throw new OverBudgetError(cost, cap);
        },
      }),
    );
    if (ending.kind === 'interrupted') {
      await reporter.update({
        ...viewPatch(view),
        status: 'interrupted',
        error:
          `The sandbox turned ${ending.sandboxStatus} while the agent was working, without this workflow asking: ` +
          (ending.sandboxStatus === 'PAUSED'
            ? 'the service pauses the oldest sandboxes of an account that runs too many at once, and a run paused mid-way does not continue.'
            : 'the sandbox is gone, so the run cannot continue.'),
      });
      return;
    }
    const target = agentTarget(view.conversation, conversationId);
    const finalMessage = await readFinalMessage(
      {
        client,
        sleep: run.sleep,
        now: run.now,
        signal: run.signal,
        fromAgentServer: target && !after ? () => getAgentFinalResponse(target, { signal: run.signal }) : undefined,
      },
      conversationId,
      view.executionStatus,
      { afterEventId: after?.id },
    );
    const status = statusFromExecution(view.executionStatus, view.sandboxStatus);
    // Without the socket, the newest events of the app server's copy stand in.
    const seen = live.events().length ? live.events() : (await client.searchEvents(conversationId, { limit: 100 }).catch(() => ({ items: [] }))).items;
    const inEvents = findAgentPullRequest(seen as PrEvent[], {
      serverUrl: run.ctx.serverUrl,
      repository: s.plan.work.repo,
      exclude: run.ctx.subject?.isPullRequest ? [run.ctx.subject.number] : [],
      finalMessage,
    });
    const agentPr =
      inEvents ??
      (await findPrElsewhere?.({ conversationId, since: reporter.report.startedAt, finalMessage }).catch((e: unknown) => {
        core.info(`Could not look for the agent's pull request on GitHub: ${run.secrets.redact((e as Error).message)}`);
        return null;
      }));
    await reporter.update({
      ...viewPatch(view),
      ...costPatch(view, live.cost()),
      status,
      finalMessage: finalMessage || undefined,
      ...(agentPr ? { agentPr } : {}),
      ...(status === 'error' || status === 'stuck' ? { error: `The agent ended as ${view.executionStatus ?? `sandbox ${view.sandboxStatus}`}` } : {}),
    });
  } catch (error) {
    if (error instanceof OverBudgetError) await reporter.update({ cost: error.cost });
    throw error;
  } finally {
    live.stop();
  }
}

/** The newest cost: the socket's stats arrive before the app server's copy. */
function costPatch(v: ConversationView, liveCost: number | undefined): Partial<Report> {
  const polled = usage(v.conversation).cost;
  if (liveCost === undefined) return {};
  return { cost: Math.max(liveCost, polled ?? 0) };
}

interface LiveWatch {
  /** whether the socket is following the conversation now */
  up(): boolean;
  cost(): number | undefined;
  /** every event seen live (for the agent's PR) */
  events(): readonly LiveEvent[];
  /** resolves when a read is worth doing now */
  wake(signal: AbortSignal): Promise<void>;
  stop(): void;
}

/** The event socket, when the agent server can be reached; a no-op watch otherwise. */
function watchLive(s: Session, conversationId: string, target: AgentServerTarget | undefined, after: EventMark | undefined): LiveWatch {
  const stopped = new AbortController();
  const events: LiveEvent[] = [];
  let up = false;
  let cost: number | undefined;
  let poke: (() => void) | undefined;
  const nudge = (): void => poke?.();
  if (target) {
    const cap = s.run.cfg.maxCost;
    followLive({
      baseUrl: target.baseUrl,
      conversationId,
      sessionApiKey: target.sessionApiKey,
      signal: AbortSignal.any([s.run.signal, stopped.signal]),
      // After a follow-up, only what came after our message matters; else everything (the PR).
      since: after?.timestamp || undefined,
      onEvent: (e) => events.push(e),
      onStatus: () => nudge(),
      onStats: (st) => {
        cost = st.cost;
        if (cap !== undefined && st.cost > cap) nudge();
      },
      onConnection: (state, detail) => {
        up = state === 'open';
        core.info(`Live events: ${state === 'open' ? 'connected' : `connection lost (${detail})`}`);
        nudge();
      },
    }).then(
      (end) => {
        up = false;
        if (end.reason !== 'aborted') core.info(`Live events unavailable (${end.reason}${'detail' in end ? `: ${end.detail}` : ''}); polling instead`);
        nudge();
      },
      (error: unknown) => {
        up = false;
        core.debug(`Live events stopped: ${(error as Error).message}`);
      },
    );
  }
  return {
    up: () => up,
    cost: () => cost,
    events: () => events,
    wake: (signal) =>
      new Promise<void>((resolve) => {
        poke = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    stop: () => stopped.abort(),
  };
}

/**
 * Step 4b: follow the agent to its end (wait: finished). While the sandbox runs, the agent
 * server's event socket says the moment the status or the cost changes, and the app server is
 * read then, plus a slow safety poll (a paused or vanished sandbox says nothing on the socket).
 * Without the socket, the app server is polled. The end is folded into the Report: status,
 * final message, cost, and the pull request the agent opened.
 */
import * as core from '@actions/core';
import { agentTarget, getAgentFinalResponse } from '../openhands/agent-server.js';
import { agentPrInEvents, type PrEvent } from '../openhands/agent-pr.js';
import { readConversation, usage, type ConversationView, type Ending, type EventMark } from '../openhands/conversation.js';
import { finalResponse, readFinalMessage } from '../openhands/final-message.js';
import { finishPollDelay, waitForFinish } from '../openhands/finish.js';
import { ownRun, ownRunFromAppServer, type OwnRun } from '../openhands/own-run.js';
import { EXECUTION_TERMINAL, type OHEvent } from '../openhands/types.js';
import { OverBudgetError } from '../errors.js';
import { statusFromExecution, type AgentPullRequest, type Report } from '../report.js';
import { STATUS } from '../status.js';
import { viewPatch } from './conversation.js';
import { watchLive, type LiveWatch } from './live-watch.js';
import { log, type Session } from './run.js';
import { redactCredentials } from '../redact.js';

/** How long a follow-up waits to see the agent start again before trusting an unchanged end state. */
export const FOLLOW_UP_SETTLE_MS = 90_000;
/** With the socket up, the app server is still read this often, to notice a paused sandbox. */
export const SAFETY_POLL_MS = 60_000;
/** With max-cost set, the cost is never older than this. */
export const COST_CHECK_MS = 10_000;


/**
 * The wait between app-server reads: the safety poll while the socket reports (its status and
 * stats changes wake the wait at once), else the polling schedule, never slower than
 * COST_CHECK_MS with a cost cap.
 */
export function finishReadDelay(elapsedMs: number, liveUp: boolean, capped: boolean): number {
  if (liveUp) return SAFETY_POLL_MS;
  const base = finishPollDelay(elapsedMs);
  return capped ? Math.min(base, COST_CHECK_MS) : base;
}

const ACTIVE = (status: string | null): boolean => status !== null && !EXECUTION_TERMINAL.has(status);

/** The message a follow-up sent, and the newest event the app server had just before. */
export interface FollowUpMark {
  readonly after?: EventMark;
  readonly text: string;
}

/**
 * Looks for the agent's pull request somewhere else (GitHub) when its events name none; null
 * when there is none. `since`: when this run started (epoch ms).
 */
export type AgentPrLookup = (q: { readonly conversationId: string; readonly since: number; readonly finalMessage: string }) => Promise<AgentPullRequest | null>;

export interface WaitFinishedOptions {
  /** set after a follow-up: the previous run's end does not count, only the end after our message */
  readonly followUp?: FollowUpMark;
  /** asked when the agent's events name no PR */
  readonly findPrElsewhere?: AgentPrLookup;
}

/** Follows the agent to its end. */
export async function waitFinished(s: Session, conversationId: string, opts: WaitFinishedOptions = {}): Promise<void> {
  const { run, reporter, client } = s;
  const { followUp } = opts;
  const cap = run.cfg.maxCost;
  const first = await readConversation(client, conversationId, { sleep: run.sleep, signal: run.signal });
  // After a follow-up, the replay starts at the mark: our message and all after it.
  const live = watchLive(s, conversationId, agentTarget(first.conversation, conversationId), followUp?.after?.timestamp || undefined);
  let last = '';
  let sawActive = false;
  let own: OwnRun | undefined;
  /** our run's events: the live ones when they hold its end (lossless), else the app server's copy */
  const ownNow = async (text: string): Promise<OwnRun> => {
    const seen = ownRun(live.events(), text);
    if (seen.end || (seen.found && live.up())) return seen;
    return ownRunFromAppServer(client, conversationId, text, { markId: followUp?.after?.id });
  };
  const since = run.now();
  /**
   * Whether an end state is this run's end. Without a follow-up, always. After one, the state
   * read may still be the previous run's end: it is ours once the agent was seen working again,
   * the sandbox was taken away, the settle time passed, or our message's own run has ended.
   */
  const isOurEnd = async (ending: Ending): Promise<boolean> => {
    if (!followUp || sawActive || ending.kind === 'interrupted') return true;
    if (run.now() - since > FOLLOW_UP_SETTLE_MS) return true;
    own = await ownNow(followUp.text);
    return own.end !== undefined;
  };
  try {
    const { view, ending } = await core.group('Wait until finished', () =>
      waitForFinish({ client, sleep: run.sleep, now: run.now, signal: run.signal }, conversationId, {
        deadline: run.now() + run.cfg.finishTimeoutMs,
        timeoutMs: run.cfg.finishTimeoutMs,
        accept: (_v, e) => isOurEnd(e),
        pollDelay: (elapsed) => finishReadDelay(elapsed, live.up(), cap !== undefined),
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
    if (followUp && !own?.end && ending.kind === 'agent') own = await ownNow(followUp.text).catch(() => own);
    await reporter.update(await endPatch(s, conversationId, view, ending, { live, followUp, own, findPrElsewhere: opts.findPrElsewhere }));
  } catch (error) {
    if (error instanceof OverBudgetError) await reporter.update({ cost: error.cost });
    throw error;
  } finally {
    live.stop();
  }
}

export interface EndOptions {
  /** the event socket of a run that watched live */
  readonly live?: LiveWatch;
  readonly followUp?: FollowUpMark;
  readonly own?: OwnRun;
  readonly findPrElsewhere?: AgentPrLookup;
}

/** Why a person's pause in the web app ends the run ([api: statuses]): not success, and not worth waiting for. */
export const USER_PAUSED_WHY =
  'Someone paused the conversation in the OpenHands web app (execution_status: paused), and nothing resumes it by itself. ' +
  'Resume it there to let the agent go on (its sandbox was left as it is), or re-run this workflow.';

/** Why a sandbox taken away mid-run ends the conversation ([api: auto-pause]). */
export function interruptedWhy(sandboxStatus: string): string {
  return (
    `The sandbox turned ${sandboxStatus} while the agent was working, without this workflow asking: ` +
    (sandboxStatus === 'PAUSED'
      ? 'the service pauses the oldest sandboxes of an account that runs too many at once, and a run paused mid-way does not continue.'
      : 'the sandbox is gone, so the run cannot continue.')
  );
}

/**
 * How a conversation that ended is reported: status, the agent's final message, cost and the
 * PR it opened, or why it was interrupted. The one end of `wait: finished` and of a finalize run.
 */
export async function endPatch(s: Session, conversationId: string, view: ConversationView, ending: Ending, opts: EndOptions = {}): Promise<Partial<Report>> {
  if (ending.kind === 'interrupted') return { ...viewPatch(view), status: 'interrupted', error: interruptedWhy(ending.sandboxStatus) };
  if (ending.kind === 'user-paused') return { ...viewPatch(view), ...costPatch(view, opts.live?.cost()), status: 'interrupted', error: USER_PAUSED_WHY };
  const finalMessage = await answer(s, conversationId, view, opts.followUp, opts.own);
  const status = statusFromExecution(view.executionStatus, view.sandboxStatus);
  const agentPr = await agentPullRequest(s, conversationId, opts.live, finalMessage, opts.findPrElsewhere);
  return {
    ...viewPatch(view),
    ...costPatch(view, opts.live?.cost()),
    status,
    // Published (comment, summary, output): credentials the agent was made to print do not go with it.
    finalMessage: finalMessage ? redactCredentials(finalMessage) : undefined,
    ...(agentPr ? { agentPr } : {}),
    ...(STATUS[status].failing ? { error: `The agent ended as ${view.executionStatus ?? `sandbox ${view.sandboxStatus}`}` } : {}),
  };
}

/** The agent's answer. A follow-up's is the newest after our message: the agent server's may be the previous run's. */
async function answer(s: Session, conversationId: string, view: ConversationView, followUp: FollowUpMark | undefined, own: OwnRun | undefined): Promise<string> {
  const { run, client } = s;
  const target = agentTarget(view.conversation, conversationId);
  let fromAgentServer: (() => Promise<string | undefined>) | undefined;
  if (!followUp) fromAgentServer = target && (() => getAgentFinalResponse(target, { signal: run.signal }));
  else if (own?.end) {
    const text = finalResponse([...own.after].reverse() as OHEvent[]);
    if (text !== undefined) fromAgentServer = async () => text;
  }
  return readFinalMessage({ client, sleep: run.sleep, now: run.now, signal: run.signal, fromAgentServer }, conversationId, view.executionStatus, {
    afterEventId: own?.messageId ?? followUp?.after?.id,
  });
}

/** The PR the agent opened: from its events (live, else the app server's newest), else `elsewhere`. */
async function agentPullRequest(s: Session, conversationId: string, live: LiveWatch | undefined, finalMessage: string, elsewhere: AgentPrLookup | undefined): Promise<AgentPullRequest | null> {
  const { run, client } = s;
  const seen = live?.events().length ? live.events() : (await client.searchEvents(conversationId, { limit: 100 }).catch(() => ({ items: [] }))).items;
  const found = agentPrInEvents(seen as PrEvent[], {
    serverUrl: run.ctx.serverUrl,
    repository: s.plan.work.repo,
    // the PR the run was triggered on is not the agent's (a finalize run knows it from the report)
    exclude: [...(run.ctx.subject?.isPullRequest ? [run.ctx.subject.number] : []), ...(s.reporter.report.prNumbers ?? [])],
    finalMessage,
  });
  if (found || !elsewhere) return found;
  return elsewhere({ conversationId, since: s.reporter.report.startedAt, finalMessage }).catch((e: unknown) => {
    core.info(`Could not look for the agent's pull request: ${run.secrets.redact((e as Error).message)}`);
    return null;
  });
}

/** The newest cost: the socket's stats arrive before the app server's copy. */
function costPatch(v: ConversationView, liveCost: number | undefined): Partial<Report> {
  const polled = usage(v.conversation).cost;
  if (liveCost === undefined) return {};
  return { cost: Math.max(liveCost, polled ?? 0) };
}

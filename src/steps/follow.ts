/**
 * Step 4: follow the conversation as far as `wait` asks: to READY (polling the start task), then
 * to the agent's end. What the service says is folded into the Report as it comes.
 */
import * as core from '@actions/core';
import { INPUT } from '../constants.js';
import { TimeoutError } from '../errors.js';
import { endedAfter, readConversation, usage, type ConversationView, type EventMark } from '../openhands/conversation.js';
import { readFinalMessage } from '../openhands/final-message.js';
import { waitForFinish } from '../openhands/finish.js';
import { agentServerFor } from '../openhands/agent-server.js';
import { assertReady, hexId, waitForStartTask } from '../openhands/start.js';
import { START_TERMINAL, type StartTask } from '../openhands/types.js';
import { statusFromExecution, type Report } from '../report.js';
import { onTask, type Started } from './act/start.js';
import { log, reactLater, type Session } from './run.js';

/** How long a follow-up waits to see the agent start again before trusting an unchanged end state. */
export const FOLLOW_UP_SETTLE_MS = 90_000;

/** The service's view, as Report fields. */
export function viewPatch(v: ConversationView): Partial<Report> {
  const { cost, tokens } = usage(v.conversation);
  return {
    sandboxStatus: v.sandboxStatus ?? undefined,
    executionStatus: v.executionStatus ?? undefined,
    sandboxId: v.conversation?.sandbox_id ?? undefined,
    cost,
    tokens,
    prNumbers: v.conversation?.pr_number?.length ? v.conversation.pr_number : undefined,
  };
}

/** Polls the start task to READY and returns the conversation id the service gave it. */
export async function waitReady(s: Session, started: Started): Promise<string> {
  const { run, reporter } = s;
  let ready: StartTask = started.task;
  if (!START_TERMINAL.has(ready.status)) {
    ready = await core.group('Wait until ready', () =>
      waitForStartTask({ client: s.client, sleep: run.sleep, now: run.now, signal: run.signal }, started.task, {
        deadline: reporter.report.startedAt + run.cfg.readyTimeoutMs,
        timeoutMs: run.cfg.readyTimeoutMs,
        onTask: (t) => onTask(s, t, started.proposedId),
      }),
    );
  }
  assertReady(ready);
  const conversationId = hexId(ready.app_conversation_id) || (reporter.report.conversationId as string);
  // An earlier attempt may have been cancelled, which paused the sandbox.
  if (started.reattached) await ensureRunning(s, conversationId);
  await checkSandboxOwnership(s, conversationId);
  reactLater(run, 'rocket');
  await setTitle(s, conversationId);
  return conversationId;
}

/**
 * Whether the sandbox is this conversation's own: the service names a sandbox after the
 * conversation it was made for, and a shared one (user-level grouping) serves others too.
 */
async function checkSandboxOwnership(s: Session, conversationId: string): Promise<void> {
  const view = await readConversation(s.client, conversationId, { events: false });
  const sandboxId = view.conversation?.sandbox_id;
  let shared = false;
  if (sandboxId && sandboxId !== conversationId) shared = (await s.client.countConversations({ sandboxId }).catch(() => 2)) > 1;
  await s.reporter.update({ ...viewPatch(view), sandboxShared: shared });
}

/** Resumes a paused sandbox and waits until it runs (one read per ~3 s); a dead sandbox is an error. */
export async function ensureRunning(s: Session, conversationId: string, known?: ConversationView): Promise<void> {
  const { run, client, reporter } = s;
  let view = known ?? (await readConversation(client, conversationId));
  if (!view.conversation || view.sandboxStatus === 'RUNNING') return;
  const sandboxId = view.conversation.sandbox_id;
  const deadline = run.now() + run.cfg.readyTimeoutMs;
  if (view.sandboxStatus === 'PAUSED' && sandboxId) {
    core.info(`Resuming sandbox ${sandboxId}`);
    await client.resumeSandbox(sandboxId);
  }
  while (view.sandboxStatus !== 'RUNNING') {
    if (view.sandboxStatus === 'ERROR' || view.sandboxStatus === 'MISSING') {
      await reporter.update(viewPatch(view));
      throw new Error(`The conversation's sandbox is ${view.sandboxStatus}; it cannot continue`);
    }
    if (run.now() > deadline) throw new TimeoutError('The sandbox resuming', INPUT.readyTimeout, run.cfg.readyTimeoutMs);
    // The account's budget (100 requests a minute) is shared: no faster, and no event reads.
    await run.sleep(3000, run.signal);
    view = await readConversation(client, conversationId, { events: false });
  }
  await reporter.update(viewPatch(view));
}

/**
 * The title sticks only on the agent server: the service copies the agent server's title over
 * its own after the first messages. The app server's copy is set too, so it shows at once.
 */
async function setTitle(s: Session, conversationId: string): Promise<void> {
  const title = s.run.cfg.title;
  if (!title) return;
  const view = await readConversation(s.client, conversationId, { events: false });
  const agent = agentServerFor(view.conversation, conversationId);
  try {
    if (!agent) throw new Error('the sandbox is not running, so its agent server cannot be reached');
    await agent.setTitle(title);
    await s.client.setTitle(conversationId, title).catch((e: unknown) => core.debug(`App-server title: ${(e as Error).message}`));
  } catch (error) {
    core.warning(`Could not set the conversation title: ${s.run.secrets.redact((error as Error).message)}`);
  }
}

/** Follows the agent to its end. After a follow-up, the previous run's end does not count. */
export async function waitFinished(s: Session, conversationId: string, after?: EventMark): Promise<void> {
  const { run, reporter, client } = s;
  const deps = { client, sleep: run.sleep, now: run.now, signal: run.signal };
  let last = '';
  let sawActive = false;
  const since = run.now();
  const { view, ending } = await core.group('Wait until finished', () =>
    waitForFinish(deps, conversationId, {
      deadline: run.now() + run.cfg.finishTimeoutMs,
      timeoutMs: run.cfg.finishTimeoutMs,
      accept: async (_v, e) =>
        !after ||
        sawActive ||
        e.kind === 'interrupted' ||
        run.now() - since > FOLLOW_UP_SETTLE_MS ||
        (await endedAfter(client, conversationId, after)),
      onView: (v) => {
        if (v.executionStatus && !['finished', 'error', 'stuck', 'waiting_for_confirmation'].includes(v.executionStatus)) sawActive = true;
        const line = `${v.sandboxStatus ?? '?'}/${v.executionStatus ?? '?'}`;
        if (line !== last) log(run, `Conversation ${conversationId}: sandbox ${v.sandboxStatus ?? 'unknown'}, agent ${v.executionStatus ?? 'unknown'}`);
        last = line;
        void reporter.update(viewPatch(v));
      },
      check: (v) => checkCost(s, v),
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
  const agent = agentServerFor(view.conversation, conversationId);
  const finalMessage = await readFinalMessage(
    { ...deps, fromAgentServer: agent && !after ? () => agent.finalResponse() : undefined },
    conversationId,
    view.executionStatus,
    { afterEventId: after?.id },
  );
  const status = statusFromExecution(view.executionStatus, view.sandboxStatus);
  await reporter.update({
    ...viewPatch(view),
    status,
    finalMessage: finalMessage || undefined,
    ...(status === 'error' || status === 'stuck' ? { error: `The agent ended as ${view.executionStatus ?? `sandbox ${view.sandboxStatus}`}` } : {}),
  });
}

/** max-cost: over the cap, the wait ends (main pauses the sandbox and reports over_budget). */
function checkCost(s: Session, v: ConversationView): void {
  const cap = s.run.cfg.maxCost;
  const { cost } = usage(v.conversation);
  if (cap !== undefined && cost !== undefined && cost > cap) throw new OverBudgetError(cost, cap);
}

export class OverBudgetError extends Error {
  readonly cost: number;
  readonly cap: number;
  constructor(cost: number, cap: number) {
    super(`The conversation's cost ($${cost.toFixed(2)}) passed max-cost ($${cap.toFixed(2)})`);
    this.name = 'OverBudgetError';
    this.cost = cost;
    this.cap = cap;
  }
}

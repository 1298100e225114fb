/**
 * Step 4a: wait for READY (polling the start task), then make the conversation ready
 * for the agent's work: resumed after a cancelled attempt, its sandbox's ownership known, the
 * title set where it sticks. Step 4b (finish.ts) follows the agent to its end.
 */
import * as core from '@actions/core';
import { DeadStartError, InterruptedError, TimeoutError } from '../errors.js';
import { agentTarget, setAgentTitle } from '../openhands/agent-server.js';
import { lastExecutionStatus, readConversation, type ConversationView } from '../openhands/conversation.js';
import { assertReady, hexId, phaseLimitMs, waitForStartTask } from '../openhands/start.js';
import { EXECUTION_TERMINAL, START_TERMINAL, type StartTask } from '../openhands/types.js';
import { ensureRunning, viewPatch } from './conversation.js';
import { onTask, type Started } from './start-task.js';
import { pauseLostSandbox } from './pause.js';
import { reactLater, readyDeadline, type Session } from './run.js';


/** Polls the start task to READY and returns the conversation id the service gave it. */
export async function waitReady(s: Session, started: Started): Promise<string> {
  const { run, reporter } = s;
  let ready: StartTask = started.task;
  if (!START_TERMINAL.has(ready.status)) {
    try {
      ready = await core.group('Wait until ready', () =>
        waitForStartTask({ client: s.client, sleep: run.sleep, now: run.now, signal: run.signal }, started.task, {
          deadline: readyDeadline(s),
          timeoutMs: run.cfg.readyTimeoutMs,
          onTask: (t) => onTask(s, t, started.proposedId),
          crowd: started.crowd,
          fastestMs: started.fastestMs,
          account: run.cfg.maxSandboxes > 0,
        }),
      );
    } catch (error) {
      if (error instanceof TimeoutError && !run.signal.aborted) await awaitLateSandbox(s, started);
      if (!(error instanceof DeadStartError)) throw error;
      const r = reporter.report;
      const paused = r.conversationId !== undefined && (await pauseLostSandbox(s, r.sandboxId, r.conversationId));
      if (paused) await reporter.update({ sandboxStatus: 'PAUSED' });
      throw paused ? new DeadStartError(error.task, phaseLimitMs(error.task.status), 'its sandbox was paused so it stops costing money') : error;
    }
  }
  assertReady(ready);
  const conversationId = hexId(ready.app_conversation_id) || reporter.report.conversationId;
  if (!conversationId) throw new Error(`The start task ${ready.id} is READY but names no conversation`);
  // An earlier attempt may have been cancelled, which paused the sandbox.
  if (started.reattached) await ensureRunning(s, conversationId);
  let view = await checkSandboxOwnership(s, conversationId);
  // READY is not success when the service paused the sandbox meanwhile ([api: auto-pause], [api: start-task]: any start
  // or resume on the account pauses its oldest running sandboxes beyond the cap) while the agent
  // worked: it does not go on. One that had already finished lost nothing (the events say which).
  if (view.sandboxStatus === 'PAUSED') {
    view = { ...view, executionStatus: await lastExecutionStatus(s.client, conversationId) };
    await reporter.update(viewPatch(view));
    if (!EXECUTION_TERMINAL.has(view.executionStatus ?? '')) throw pausedByService(view);
  }
  reactLater(run, 'rocket');
  await setTitle(s, conversationId, view);
  return conversationId;
}

function pausedByService(view: ConversationView): InterruptedError {
  return new InterruptedError(
    `The conversation reached READY, but the service had already paused its sandbox (agent ${view.executionStatus ?? 'stopped'}): ` +
      "most likely the account's sandbox cap, as every start or resume on the account pauses its oldest running sandboxes beyond it. " +
      'The agent does not go on by itself; lower max-sandboxes if other runs or the web app use the account at the same time.',
  );
}

/** How long a start whose ready-timeout passed before it made its sandbox is still watched (the server's sandbox wait is 120 s, [api: start-task]). */
export const LATE_SANDBOX_MS = 150_000;
const LATE_SANDBOX_POLL_MS = 5000;

/**
 * ready-timeout passed before the start made its sandbox: the start goes on on the server, and
 * the sandbox it makes would run (and bill) with nobody following it. With on-timeout: pause,
 * watch the start task for a bounded time, so the end of the run (stopSpending) can pause the
 * sandbox once it exists; if it never appears, the run's error names the start task and sandbox.
 */
async function awaitLateSandbox(s: Session, started: Started): Promise<void> {
  const { run, reporter, client } = s;
  const r = reporter.report;
  if (run.cfg.onTimeout !== 'pause' || !r.startTaskId || r.sandboxId || START_TERMINAL.has(r.startTaskStatus ?? '')) return;
  const taskId = r.startTaskId;
  core.info(`ready-timeout passed before the start task ${taskId} made its sandbox; watching it for up to ${LATE_SANDBOX_MS / 1000} s to pause the sandbox once it exists`);
  const deadline = run.now() + LATE_SANDBOX_MS;
  while (run.now() < deadline) {
    await run.sleep(LATE_SANDBOX_POLL_MS, run.signal);
    const [task] = await client.getStartTasks([taskId]).catch(() => [null]);
    if (!task) continue;
    onTask(s, task, started.proposedId);
    if (task.sandbox_id || START_TERMINAL.has(task.status)) return;
  }
}

/**
 * Whether the sandbox is this conversation's own: the service names a sandbox after the
 * conversation it was made for, and a shared one (user-level grouping) serves others too.
 */
async function checkSandboxOwnership(s: Session, conversationId: string): Promise<ConversationView> {
  const view = await readConversation(s.client, conversationId, { events: false, sleep: s.run.sleep, signal: s.run.signal });
  const sandboxId = view.conversation?.sandbox_id;
  let shared = false;
  if (sandboxId && sandboxId !== conversationId) shared = (await s.client.countConversations({ sandboxId }).catch(() => 2)) > 1;
  await s.reporter.update({ ...viewPatch(view), sandboxShared: shared });
  return view;
}


/**
 * The title sticks only on the agent server: the service copies the agent server's title over
 * its own after the first messages. The app server's copy is set too, so it shows at once.
 */
async function setTitle(s: Session, conversationId: string, view: ConversationView): Promise<void> {
  const title = s.run.cfg.title;
  if (!title) return;
  const target = agentTarget(view.conversation, conversationId);
  try {
    if (!target) throw new Error('the sandbox is not running, so its agent server cannot be reached');
    if (!(await setAgentTitle(target, title, { signal: s.run.signal }))) throw new Error('the agent server does not know the conversation');
    await s.client.setTitle(conversationId, title).catch((e: unknown) => core.debug(`App-server title: ${(e as Error).message}`));
  } catch (error) {
    core.warning(`Could not set the conversation title: ${s.run.secrets.redact((error as Error).message)}`);
  }
}

/**
 * Step 4a: wait for READY (polling the start task), then make the conversation ready
 * for the agent's work: resumed after a cancelled attempt, its sandbox's ownership known, the
 * title set where it sticks. Step 4b (finish.ts) follows the agent to its end.
 */
import * as core from '@actions/core';
import { DeadStartError } from '../errors.js';
import { agentTarget, setAgentTitle } from '../openhands/agent-server.js';
import { readConversation, type ConversationView } from '../openhands/conversation.js';
import { assertReady, hexId, STALE_START_MS, waitForStartTask } from '../openhands/start.js';
import { START_TERMINAL, type StartTask } from '../openhands/types.js';
import { ensureRunning, viewPatch } from './conversation.js';
import { onTask, type Started } from './start-task.js';
import { pauseLostSandbox } from './pause.js';
import { reactLater, type Session } from './run.js';


/** Polls the start task to READY and returns the conversation id the service gave it. */
export async function waitReady(s: Session, started: Started): Promise<string> {
  const { run, reporter } = s;
  let ready: StartTask = started.task;
  if (!START_TERMINAL.has(ready.status)) {
    try {
      ready = await core.group('Wait until ready', () =>
        waitForStartTask({ client: s.client, sleep: run.sleep, now: run.now, signal: run.signal }, started.task, {
          deadline: reporter.report.startedAt + run.cfg.readyTimeoutMs,
          timeoutMs: run.cfg.readyTimeoutMs,
          onTask: (t) => onTask(s, t, started.proposedId),
        }),
      );
    } catch (error) {
      if (!(error instanceof DeadStartError)) throw error;
      const r = reporter.report;
      const paused = r.conversationId !== undefined && (await pauseLostSandbox(s, r.sandboxId, r.conversationId));
      if (paused) await reporter.update({ sandboxStatus: 'PAUSED' });
      throw paused ? new DeadStartError(error.task, STALE_START_MS, 'its sandbox was paused so it stops costing money') : error;
    }
  }
  assertReady(ready);
  const conversationId = hexId(ready.app_conversation_id) || reporter.report.conversationId;
  if (!conversationId) throw new Error(`The start task ${ready.id} is READY but names no conversation`);
  // An earlier attempt may have been cancelled, which paused the sandbox.
  if (started.reattached) await ensureRunning(s, conversationId);
  const view = await checkSandboxOwnership(s, conversationId);
  reactLater(run, 'rocket');
  await setTitle(s, conversationId, view);
  return conversationId;
}

/**
 * Whether the sandbox is this conversation's own: the service names a sandbox after the
 * conversation it was made for, and a shared one (user-level grouping) serves others too.
 */
async function checkSandboxOwnership(s: Session, conversationId: string): Promise<ConversationView> {
  const view = await readConversation(s.client, conversationId, { events: false });
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

/**
 * The open conversation as every step sees it, below both the act steps and the ready step: the
 * service's view as Report fields, and a paused sandbox resumed before the agent works in it.
 */
import * as core from '@actions/core';
import { INPUT } from '../constants.js';
import { TimeoutError } from '../errors.js';
import { readConversation, usage, type ConversationView } from '../openhands/conversation.js';
import type { Report } from '../report.js';
import type { Session } from './run.js';

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

/** Resumes a paused sandbox and waits until it runs (one read per ~3 s); a dead sandbox is an error. */
export async function ensureRunning(s: Session, conversationId: string, known?: ConversationView): Promise<void> {
  const { run, client, reporter } = s;
  let view = known ?? (await readConversation(client, conversationId, { sleep: run.sleep, signal: run.signal }));
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
    view = await readConversation(client, conversationId, { events: false, sleep: run.sleep, signal: run.signal });
  }
  await reporter.update(viewPatch(view));
}

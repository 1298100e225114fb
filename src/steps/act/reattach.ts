/**
 * Act: a re-run (attempt 2+ of the same workflow run) finds the start an earlier attempt made
 * and follows it, instead of paying for a second conversation. A start that failed, whose task
 * stopped moving (the service lost it), or whose agent was stopped mid-run (a paused run never
 * continues) is started again under a new id.
 */
import * as core from '@actions/core';
import { startedByThisRun, type MarkerState } from '../../marker.js';
import { readConversation } from '../../openhands/conversation.js';
import { findStartTask, hexId, isStale } from '../../openhands/start.js';
import type { StartTask } from '../../openhands/types.js';
import { pauseLostSandbox } from '../pause.js';
import type { Session } from '../run.js';
import { onTask, type Started } from '../start-task.js';
import { derivedConversationId, start } from './start.js';

export async function reattachOrStart(s: Session, prev: MarkerState | undefined): Promise<Started> {
  const { run, plan } = s;
  const issue = plan.commentTarget?.issueNumber;
  const sameRun = startedByThisRun(prev, run.ctx.runId);
  const proposedId = (sameRun ? (prev?.proposedId ?? prev?.conversationId) : undefined) ?? derivedConversationId(run, plan.work, issue);
  if (sameRun || run.ctx.runAttempt > 1) {
    const earlier = await findEarlierStart(s, proposedId, prev);
    if (earlier && (earlier.status === 'ERROR' || isStale(earlier, run.now()))) {
      const why = earlier.status === 'ERROR' ? `failed (${earlier.detail ?? 'no detail'})` : `stopped moving at ${earlier.status}`;
      core.info(`An earlier attempt's start ${why}; starting again`);
      if (earlier.status !== 'ERROR') await pauseLostSandbox(s, earlier.sandbox_id, hexId(earlier.request?.conversation_id));
      return start(s, derivedConversationId(run, plan.work, issue, `attempt-${run.ctx.runAttempt}`));
    }
    if (earlier && (await pausedMidRun(s, earlier))) {
      // Resuming it would not continue the work: the service turns such a run to `error` ([api: auto-pause]).
      core.info('The earlier attempt was stopped while the agent was working (its sandbox is paused mid-run); starting again');
      return start(s, derivedConversationId(run, plan.work, issue, `attempt-${run.ctx.runAttempt}`));
    }
    if (earlier) {
      core.info(`Re-attaching to the start an earlier attempt of this run made (task ${earlier.id || 'unknown'})`);
      onTask(s, earlier, proposedId);
      return { task: earlier, proposedId, reattached: true };
    }
  }
  return start(s, proposedId);
}

/** A READY conversation whose sandbox was paused while its agent was running (a cancel, a timeout). */
async function pausedMidRun(s: Session, task: StartTask): Promise<boolean> {
  if (task.status !== 'READY' || !task.app_conversation_id) return false;
  const view = await readConversation(s.client, hexId(task.app_conversation_id), { sleep: s.run.sleep, signal: s.run.signal });
  return view.sandboxStatus === 'PAUSED' && view.executionStatus === 'running';
}

/**
 * The start task an earlier attempt of this run created: by the id the marker kept, by its
 * READY conversation, else among recent tasks.
 */
async function findEarlierStart(s: Session, proposedId: string, prev: MarkerState | undefined): Promise<StartTask | undefined> {
  const { client, run } = s;
  if (prev?.startTaskId && prev.runId === run.ctx.runId) {
    const [task] = await client.getStartTasks([prev.startTaskId]);
    if (task) return task;
  }
  const conversationId = (prev?.runId === run.ctx.runId ? prev.conversationId : undefined) ?? proposedId;
  const conversation = await client.getConversation(conversationId);
  if (conversation) {
    const { items } = await client.searchStartTasks({ conversationId });
    return items[0] ?? { id: '', status: 'READY', app_conversation_id: conversationId, sandbox_id: conversation.sandbox_id };
  }
  // Re-runs can come days later; a task that never reached READY is only worth finding if recent.
  return findStartTask(client, proposedId, new Date(run.now() - 24 * 3600_000));
}


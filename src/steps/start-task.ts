/**
 * A start task as the run follows it, shared by the act steps (which make or find the task) and
 * the ready step (which waits for READY): what was started, and each state it reports, recorded
 * in the Report.
 */
import * as core from '@actions/core';
import { echoesId, hexId } from '../openhands/start.js';
import type { StartTask } from '../openhands/types.js';
import type { Report } from '../report.js';
import type { Session } from './run.js';

export interface Started {
  readonly task: StartTask;
  /** the id we proposed; the conversation's real id is READY's app_conversation_id */
  readonly proposedId: string;
  /** true when an earlier attempt of this run made the task */
  readonly reattached: boolean;
  /** starts under way on the account when this one was sent, its own included (1 when unknown) */
  readonly crowd?: number;
  /** how long the fastest of the account's recent starts took to READY, as read before this start */
  readonly fastestMs?: number;
}

/**
 * Records a start-task state. The conversation id is ours only when the server echoed it;
 * at READY, the server's app_conversation_id is the id, whatever we proposed.
 */
export function onTask(s: Session, t: StartTask, proposedId: string): void {
  const { reporter } = s;
  const r = reporter.report;
  if (t.status !== r.startTaskStatus) core.info(`Start task ${t.id}: ${t.status}${t.detail ? ` (${t.detail})` : ''}`);
  const conversationId = t.app_conversation_id ? hexId(t.app_conversation_id) : echoesId(t, proposedId) ? proposedId : r.conversationId;
  if (conversationId && r.conversationId && conversationId !== r.conversationId) {
    core.notice(`The server chose the conversation id ${conversationId} (it ignores proposed ids); using it from here on`);
  }
  const patch: Partial<Report> = {
    conversationId,
    startTaskId: t.id,
    startTaskStatus: t.status,
    sandboxId: t.sandbox_id ?? r.sandboxId,
    status: t.status === 'READY' ? 'ready' : t.status === 'ERROR' ? 'error' : 'started',
    ...(t.status === 'ERROR' ? { error: `OpenHands could not start the conversation: ${t.detail ?? 'no detail given'}` } : {}),
  };
  const linkNew = conversationId !== undefined && conversationId !== r.conversationId;
  void reporter.update(patch, { force: linkNew });
  if (linkNew) reporter.writeOutputs();
}

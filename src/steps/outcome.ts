/**
 * Step 5: how the run ends. An error that escaped a step becomes the Report's final status; a
 * run that stops early (cancelled, timed out, over budget) pauses the conversation's own sandbox
 * so it stops costing money, as the inputs ask.
 */
import * as core from '@actions/core';
import type { Config } from '../config.js';
import { InterruptedError, TimeoutError, getErrorMessage } from '../errors.js';
import { pauseSandboxNow } from '../openhands/client.js';
import type { Report, RunStatus } from '../report.js';
import { OverBudgetError } from './finish.js';

export function statusOf(error: unknown, cancelled: boolean): RunStatus {
  if (cancelled) return 'cancelled';
  if (error instanceof TimeoutError) return 'timed_out';
  if (error instanceof OverBudgetError) return 'over_budget';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'error';
}

/** Why the sandbox is paused for this status, or undefined when it is left as it is. */
function pauseReason(status: RunStatus, cfg: Config): string | undefined {
  if (status === 'cancelled' && cfg.onCancel === 'pause') return 'on-cancel: pause';
  if (status === 'timed_out' && cfg.onTimeout === 'pause') return 'on-timeout: pause';
  if (status === 'over_budget') return 'max-cost';
  return undefined;
}

/**
 * The sandbox this run may pause: the one the service reported for the conversation, when it is
 * the conversation's own. The service names a new sandbox after the conversation that asked for
 * it, so before READY (no sandbox reported yet) the conversation id is that name; a shared
 * sandbox (user-level grouping) also runs other conversations and is never paused.
 */
export function ownSandbox(r: Pick<Report, 'sandboxId' | 'conversationId' | 'sandboxShared'>): string | undefined {
  if (!r.conversationId) return undefined;
  if (!r.sandboxId || r.sandboxId === r.conversationId) return r.conversationId;
  return r.sandboxShared === false ? r.sandboxId : undefined;
}

/**
 * Pauses the sandbox when the status and inputs ask for it; returns the note for the report:
 * that it was paused, or why it was left running.
 */
export async function stopSpending(r: Report, cfg: Config): Promise<string | undefined> {
  const reason = pauseReason(r.status, cfg);
  if (!reason || !cfg.apiKey) return undefined;
  if (!r.conversationId) {
    // An older server picks the conversation id itself and tells it only at READY (§14.2).
    return r.sandboxId
      ? `the sandbox ${r.sandboxId} was left running (${reason} asked to pause it): the service had not yet said which conversation it serves, so it could not be told apart from a shared one`
      : undefined;
  }
  const sandboxId = ownSandbox(r);
  if (!sandboxId) {
    core.warning(
      `Sandbox ${r.sandboxId} is left running: it is shared with other conversations of the account (or that could not be checked), and pausing it would stop them too.`,
    );
    return `the sandbox ${r.sandboxId} was left running: it is shared with other conversations, which a pause would stop too`;
  }
  try {
    await pauseSandboxNow(cfg.baseUrl, cfg.apiKey, sandboxId);
    r.sandboxStatus = 'PAUSED';
    return `the sandbox was paused so it stops costing money (${reason})`;
  } catch (error) {
    core.warning(`Could not pause the sandbox ${sandboxId}: ${getErrorMessage(error)}`);
    return `the sandbox ${sandboxId} could not be paused and may still be running`;
  }
}

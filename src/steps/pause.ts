/**
 * Pausing sandboxes, in one place: which sandbox is the conversation's own (the only kind this
 * action pauses), the pause a run's end asks for (cancelled, timed out, over budget: see the
 * status table), the post step's pause of a killed run, and the sandbox of a lost start.
 */
import * as core from '@actions/core';
import type { Config } from '../config.js';
import { getErrorMessage } from '../errors.js';
import { pauseSandboxNow } from '../openhands/client.js';
import type { Report, RunStatus } from '../report.js';
import { STATUS } from '../status.js';
import type { Session } from './run.js';

/** Why the sandbox is paused for this status, or undefined when it is left as it is. */
function pauseReason(status: RunStatus, cfg: Config): string | undefined {
  switch (STATUS[status].pause) {
    case 'on-cancel':
      return cfg.onCancel === 'pause' ? 'on-cancel: pause' : undefined;
    case 'on-timeout':
      return cfg.onTimeout === 'pause' ? 'on-timeout: pause' : undefined;
    case 'always':
      return 'max-cost';
    default:
      return undefined;
  }
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

/** What stopSpending did: the note for the report, and whether the sandbox is now paused. */
export interface Stopped {
  readonly note: string;
  readonly paused: boolean;
}

/**
 * Pauses the sandbox when the status and inputs ask for it; says what it did: that the sandbox was
 * paused, or why it was left running (the caller patches its Report).
 */
export async function stopSpending(r: Readonly<Report>, cfg: Config): Promise<Stopped | undefined> {
  const left = (note: string): Stopped => ({ note, paused: false });
  const reason = pauseReason(r.status, cfg);
  if (!reason || !cfg.apiKey) return undefined;
  if (!r.conversationId) {
    // An older server picks the conversation id itself and tells it only at READY ([api: ids]).
    return r.sandboxId
      ? left(`the sandbox ${r.sandboxId} was left running (${reason} asked to pause it): the service had not yet said which conversation it serves, so it could not be told apart from a shared one`)
      : undefined;
  }
  const sandboxId = ownSandbox(r);
  if (!sandboxId) {
    core.warning(
      `Sandbox ${r.sandboxId} is left running: it is shared with other conversations of the account (or that could not be checked), and pausing it would stop them too.`,
    );
    return left(`the sandbox ${r.sandboxId} was left running: it is shared with other conversations, which a pause would stop too`);
  }
  try {
    await pauseSandboxNow(cfg.baseUrl, cfg.apiKey, sandboxId, { quick: r.status === 'cancelled' });
    return { note: `the sandbox was paused so it stops costing money (${reason})`, paused: true };
  } catch (error) {
    core.warning(`Could not pause the sandbox ${sandboxId}: ${getErrorMessage(error)}`);
    if (!r.sandboxId && r.startTaskId && !['READY', 'ERROR'].includes(r.startTaskStatus ?? '')) {
      // The start had made no sandbox yet, and may still make one (a late one is watched for, ready.ts).
      return left(
        `the start task ${r.startTaskId} had not made its sandbox yet and may still make one: if the sandbox ${sandboxId} appears, pause it in the OpenHands web app (or POST /api/v1/sandboxes/${sandboxId}/pause) so it stops costing money`,
      );
    }
    return left(`the sandbox ${sandboxId} could not be paused and may still be running`);
  }
}

/**
 * A lost start may leave its sandbox running ([api: start]), with no conversation ever to use it: pause
 * it when it is the conversation's own (named after it). False when not paused.
 */
export async function pauseLostSandbox(s: Session, sandboxId: string | null | undefined, conversationId: string): Promise<boolean> {
  // Only a sandbox the service reported, and only the conversation's own.
  if (!sandboxId || ownSandbox({ sandboxId, conversationId }) !== sandboxId) return false;
  try {
    await s.client.pauseSandbox(sandboxId);
    core.info(`Paused the sandbox ${sandboxId} of the lost start`);
    return true;
  } catch (error) {
    core.warning(`Could not pause the sandbox ${sandboxId} of the lost start: ${s.run.secrets.redact(getErrorMessage(error))}`);
    return false;
  }
}

/**
 * The post step's pause of a run the job killed before it ended (`on-cancel: pause`): the own
 * sandbox, with a short-lived client. True when paused.
 */
export async function pauseKilledRun(r: Report, cfg: Pick<Config, 'onCancel' | 'baseUrl' | 'apiKey'>): Promise<boolean> {
  const sandboxId = ownSandbox(r);
  if (cfg.onCancel !== 'pause' || !sandboxId || !cfg.apiKey) return false;
  try {
    await pauseSandboxNow(cfg.baseUrl, cfg.apiKey, sandboxId);
    return true;
  } catch (error) {
    core.warning(`Could not pause sandbox ${sandboxId}: ${getErrorMessage(error)}`);
    return false;
  }
}

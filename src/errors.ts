/** Typed errors, all of them: helpers throw them, run() reports them once (statusOf). */
import { formatDuration } from './duration.js';
import type { StartTask } from './openhands/types.js';
import type { RunStatus } from './status.js';

/** A bad input, found before any request. Names the input and the expected form. */
export class ConfigError extends Error {
  /** the first input named (of several, when `inputs` lists more) */
  readonly input: string;
  readonly inputs: readonly string[];
  /** `combined`: `message` already holds one "Input '…': …" line per input */
  constructor(input: string | readonly string[], message: string, opts: { combined?: boolean } = {}) {
    const inputs = typeof input === 'string' ? [input] : input;
    super(opts.combined ? `${inputs.length} inputs are wrong:\n${message}` : `Input '${inputs[0] ?? ''}': ${message}`);
    this.name = 'ConfigError';
    this.input = inputs[0] ?? '';
    this.inputs = inputs;
  }
}

/** A failed OpenHands request, after retries where those apply. */
export class OpenHandsApiError extends Error {
  readonly status: number | undefined;
  readonly url: string;
  /** true when a repeat of the same request might succeed (network, 429, 5xx) */
  readonly transient: boolean;
  /** milliseconds from a Retry-After header, when the service sent one */
  readonly retryAfterMs: number | undefined;
  /** the server answered with its web app (HTML) or 405: the route does not exist there */
  readonly notJson: boolean;
  constructor(
    message: string,
    opts: { status?: number; url: string; transient: boolean; retryAfterMs?: number; notJson?: boolean; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'OpenHandsApiError';
    this.status = opts.status;
    this.url = opts.url;
    this.transient = opts.transient;
    this.retryAfterMs = opts.retryAfterMs;
    this.notJson = opts.notJson ?? false;
  }
}

/** The start task ended in ERROR: `detail` is the service's own explanation. */
export class StartFailedError extends Error {
  constructor(detail: string) {
    super(`OpenHands could not start the conversation: ${detail}`);
    this.name = 'StartFailedError';
  }
}

/** The service took the sandbox away from under the run (its sandbox cap paused it): the agent's work stopped. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** A wait passed its deadline. */
export class TimeoutError extends Error {
  constructor(what: string, input: string, ms: number) {
    super(`${what} did not happen within ${formatDuration(ms)} (input '${input}')`);
    this.name = 'TimeoutError';
  }
}

/** The conversation's cost passed max-cost: the agent was stopped. */
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

/** A start task that stopped moving: the server lost the start. */
export class DeadStartError extends Error {
  readonly task: StartTask;
  constructor(task: StartTask, ms: number, note?: string) {
    super(
      `The start task ${task.id} has been at ${task.status} for over ${Math.round(ms / 60_000)} minutes without a change, longer than the service itself allows that phase: ` +
        `the service lost this start and will not finish it${note ? `; ${note}` : ''}. Re-run the workflow to start again.`,
    );
    this.name = 'DeadStartError';
    this.task = task;
  }
}

/** A failed GitHub request, after the Octokit plugins' retries. */
export class GitHubApiError extends Error {
  /** HTTP status; undefined when no answer came (reset, timeout, DNS) */
  readonly status: number | undefined;
  /** a rate limit (primary or secondary): GitHub documents these as temporary */
  readonly rateLimited: boolean;
  /** the request may have been applied although it failed (5xx, reset, timeout) */
  readonly ambiguous: boolean;
  constructor(message: string, opts: { status: number | undefined; rateLimited: boolean; ambiguous: boolean; cause: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'GitHubApiError';
    this.status = opts.status;
    this.rateLimited = opts.rateLimited;
    this.ambiguous = opts.ambiguous;
  }

  /** A repeat will not change the answer (no permission, no such thing, a rejected body). */
  get permanent(): boolean {
    return !this.rateLimited && this.status !== undefined && [400, 401, 403, 404, 410, 422, 451].includes(this.status);
  }
}

/** The status a run ends with when this error escaped a step. */
export function statusOf(error: unknown, cancelled: boolean): RunStatus {
  if (cancelled) return 'cancelled';
  if (error instanceof TimeoutError) return 'timed_out';
  if (error instanceof OverBudgetError) return 'over_budget';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'error';
}

export function getErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

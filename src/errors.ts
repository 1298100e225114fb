/** Typed errors: helpers throw them, run() reports them once. */
import { formatDuration } from './duration.js';

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

/** A wait passed its deadline. */
export class TimeoutError extends Error {
  constructor(what: string, input: string, ms: number) {
    super(`${what} did not happen within ${formatDuration(ms)} (input '${input}')`);
    this.name = 'TimeoutError';
  }
}

export function getErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

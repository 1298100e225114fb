/**
 * Following a READY conversation to its end (wait: finished) by reading it from the app server:
 * on a schedule (polling), and at once whenever `wake` says something changed (the live event
 * socket), with only a slow safety poll then. Ends at the agent's own end, or as soon as its
 * sandbox is taken away (see ending()).
 */
import { TimeoutError } from '../errors.js';
import { realSleep, type Sleep } from '../retry.js';
import type { OpenHandsClient } from './client.js';
import { ending, readConversation, type ConversationView, type Ending } from './conversation.js';

export interface FinishDeps {
  readonly client: OpenHandsClient;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Finish polling interval by elapsed time: every 1.5–5 s in the first minute (short tasks end
 * fast), 10 s up to five minutes, then 20 s: at most ~6 requests a minute on long runs.
 */
export function finishPollDelay(elapsedMs: number): number {
  if (elapsedMs < 10_000) return 1500;
  if (elapsedMs < 20_000) return 3000;
  if (elapsedMs < 60_000) return 5000;
  if (elapsedMs < 300_000) return 10_000;
  return 20_000;
}

export interface FinishOptions {
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly onView: (v: ConversationView) => void;
  /** whether an ending is this run's (a follow-up must not stop at the previous end) */
  readonly accept?: (v: ConversationView, e: Ending) => Promise<boolean>;
  /** the wait between reads; finishPollDelay by default */
  readonly pollDelay?: (elapsedMs: number) => number;
  /** resolves when a read is worth doing now (a live status change); aborted when not needed */
  readonly wake?: (signal: AbortSignal) => Promise<void>;
  /** checked after each read, e.g. the cost cap: a thrown error ends the wait */
  readonly check?: (v: ConversationView) => void;
}

export async function waitForFinish(deps: FinishDeps, id: string, opts: FinishOptions): Promise<{ view: ConversationView; ending: Ending }> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  const started = now();
  const delay = opts.pollDelay ?? finishPollDelay;
  let gone = 0;
  for (;;) {
    const read = await readConversation(deps.client, id, { sleep, signal: deps.signal });
    // A conversation the service no longer returns (deleted in the web app) will not finish:
    // twice in a row, so one inconsistent read is not taken for it, counts as its sandbox gone.
    gone = read.conversation ? 0 : gone + 1;
    const view: ConversationView = gone >= 2 ? { ...read, sandboxStatus: 'MISSING' } : read;
    opts.onView(view);
    opts.check?.(view);
    const end = ending(view);
    if (end && (!opts.accept || (await opts.accept(view, end)))) return { view, ending: end };
    const remaining = opts.deadline - now();
    if (remaining <= 0) throw new TimeoutError('The agent finishing', 'finish-timeout', opts.timeoutMs);
    await pause(sleep, Math.min(delay(now() - started), remaining), deps.signal, opts.wake);
  }
}

/** Sleeps `ms`, or less when `wake` resolves first; a cancellation still throws. */
async function pause(sleep: Sleep, ms: number, signal: AbortSignal | undefined, wake: FinishOptions['wake']): Promise<void> {
  if (!wake) return sleep(ms, signal);
  const done = new AbortController();
  const both = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
  try {
    await Promise.race([sleep(ms, both), wake(done.signal)]);
  } catch (error) {
    if (signal?.aborted || !done.signal.aborted) throw error;
  } finally {
    done.abort();
  }
}

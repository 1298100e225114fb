/**
 * Starting a conversation exactly once per run, and waiting for its start task.
 *
 * The conversation id is chosen by us (see conversationIdFor), so after any ambiguous failure
 * (a reset, a timeout, a broken stream) we can ask the service whether the start went through
 * before sending it again: a run never pays for two conversations.
 */
import { createHash } from 'node:crypto';
import { CONVERSATION_ID_NAMESPACE } from '../constants.js';
import { OpenHandsApiError, StartFailedError, TimeoutError } from '../errors.js';
import { backoffDelay, realSleep, type Sleep } from '../retry.js';
import { StreamUnavailableError, type OpenHandsClient } from './client.js';
import { START_TERMINAL, type StartRequest, type StartTask } from './types.js';

export interface StartDeps {
  readonly client: OpenHandsClient;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}

/** A name-based (v5) UUID, as 32 lowercase hex: the same run, repo and comment-key give the same id. */
export function conversationIdFor(parts: readonly string[]): string {
  const ns = Buffer.from(CONVERSATION_ID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(parts.join('\n')).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  return hash.subarray(0, 16).toString('hex');
}

const hex = (id: string | null | undefined): string => (id ?? '').replace(/-/g, '').toLowerCase();

/** The start task this run already created for `conversationId`, if any (searches recent tasks). */
export async function findStartTask(
  client: OpenHandsClient,
  conversationId: string,
  since: Date,
): Promise<StartTask | undefined> {
  const tasks = await client.searchStartTasks({ createdAfter: since });
  return tasks.find(
    (t) => hex(t.request?.conversation_id) === conversationId || hex(t.app_conversation_id) === conversationId,
  );
}

const MAX_START_ATTEMPTS = 4;
/** Quiet time on the stream after which one poll checks that the stream is not stalled. */
export const STREAM_WATCH_MS = 10_000;

export interface SendStartOptions {
  readonly stream: boolean;
  /** READY must come by then (epoch ms); the stream is cut at the deadline */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** earliest creation time of a task this run may have created (for the ambiguity check) */
  readonly since: Date;
  readonly onTask: (t: StartTask) => void;
}

/**
 * Sends the start request (streaming when `stream` and the server offers it) and returns the
 * newest task state seen; with streaming this is already READY or ERROR unless the stream broke
 * or stalled, in which case the caller polls the returned task.
 */
export async function sendStart(deps: StartDeps, body: StartRequest, opts: SendStartOptions): Promise<StartTask> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  let useStream = opts.stream;
  let last: StartTask | undefined;
  const seen = (t: StartTask): void => {
    last = t;
    opts.onTask(t);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      if (useStream) return await streamWatched(deps, body, seen, opts, now);
      const task = await deps.client.postStart(body);
      seen(task);
      return task;
    } catch (error) {
      if (error instanceof StreamUnavailableError) {
        deps.log?.('The server does not offer stream-start; starting with a plain request and polling');
        useStream = false;
        attempt--;
        continue;
      }
      if (deps.signal?.aborted) throw error;
      // The stream told us the task id before it broke, stalled or hit the deadline: the start
      // went through; the caller polls the task (and reports the timeout if it is one).
      if (last) {
        if (!(error instanceof TimeoutError)) deps.log?.(`The start stream stopped (${(error as Error).message}); polling the start task instead`);
        return last;
      }
      if (error instanceof TimeoutError) throw error;
      if (!(error instanceof OpenHandsApiError) || !error.transient) throw error;
      // 429 means "not processed"; anything else is ambiguous: look before sending again (and
      // before giving up, so a conversation that did start is reported, not orphaned).
      if (error.status !== 429) {
        const found = await findStartTask(deps.client, body.conversation_id, opts.since);
        if (found) {
          deps.log?.(`The start request failed ambiguously (${error.message}), but the start task exists: attaching`);
          seen(found);
          return found;
        }
      }
      if (attempt >= MAX_START_ATTEMPTS) throw error;
      const waitMs = Math.max(
        backoffDelay(attempt, { attempts: MAX_START_ATTEMPTS, baseDelayMs: 500, maxDelayMs: 8000 }, deps.random),
        error.retryAfterMs ?? 0,
      );
      if (now() + waitMs > opts.deadline) throw new TimeoutError('The conversation becoming ready', 'ready-timeout', opts.timeoutMs);
      deps.log?.(`The start request failed (${error.message}); trying again in ${(waitMs / 1000).toFixed(1)}s`);
      await sleep(waitMs, deps.signal);
    }
  }
}

/**
 * The streaming start, cut at the deadline, and checked by one poll after each quiet
 * STREAM_WATCH_MS: if the task moved on without the stream saying so, the stream is stalled.
 */
async function streamWatched(
  deps: StartDeps,
  body: StartRequest,
  onTask: (t: StartTask) => void,
  opts: Pick<SendStartOptions, 'deadline' | 'timeoutMs'>,
  now: () => number,
): Promise<StartTask> {
  const cut = new AbortController();
  let last: StartTask | undefined;
  let stalled = false;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = (): void => {
    clearTimeout(timer);
    if (done) return;
    timer = setTimeout(() => {
      if (done) return;
      if (!last) return watch();
      deps.client.getStartTasks([last.id]).then(
        ([polled]) => {
          if (done) return;
          if (polled && last && polled.status !== last.status) {
            stalled = true;
            onTask(polled);
            cut.abort(new Error('the stream stalled'));
          } else watch();
        },
        () => watch(),
      );
    }, STREAM_WATCH_MS);
    timer.unref();
  };
  const deadlineTimer = setTimeout(() => cut.abort(new Error('deadline')), Math.max(0, opts.deadline - now()));
  deadlineTimer.unref();
  watch();
  try {
    return await deps.client.streamStart(
      body,
      (t) => {
        last = t;
        onTask(t);
        watch();
      },
      cut.signal,
    );
  } catch (error) {
    if (cut.signal.aborted && !deps.signal?.aborted) {
      if (stalled) throw new OpenHandsApiError('the start stream stalled', { url: '', transient: true });
      throw new TimeoutError('The conversation becoming ready', 'ready-timeout', opts.timeoutMs);
    }
    throw error;
  } finally {
    done = true;
    clearTimeout(timer);
    clearTimeout(deadlineTimer);
  }
}

/**
 * Start-task polling interval (the fallback when the stream is not offered): quick at first,
 * every 1.5 s while a start typically completes (READY usually comes within 5–15 s), then every
 * 4 s, and every 6 s past two minutes, so several runs on one key stay well under 100/min.
 */
export function startPollDelay(poll: number, elapsedMs = 0): number {
  const cap = elapsedMs < 20_000 ? 1500 : elapsedMs < 120_000 ? 4000 : 6000;
  return Math.min(cap, Math.round(300 * 1.6 ** poll));
}

/** Polls the start task until READY or ERROR. Unknown statuses count as in progress. */
export async function waitForStartTask(
  deps: StartDeps,
  task: StartTask,
  opts: { deadline: number; timeoutMs: number; onTask: (t: StartTask) => void },
): Promise<StartTask> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? Date.now;
  let current = task;
  const started = now();
  for (let poll = 0; !START_TERMINAL.has(current.status); poll++) {
    const remaining = opts.deadline - now();
    if (remaining <= 0) throw new TimeoutError('The conversation becoming ready', 'ready-timeout', opts.timeoutMs);
    await sleep(Math.min(startPollDelay(poll, now() - started), remaining), deps.signal);
    const [next] = await deps.client.getStartTasks([current.id]);
    if (!next) continue; // not visible yet: keep asking until the deadline
    if (next.status !== current.status || next.updated_at !== current.updated_at) opts.onTask(next);
    current = next;
  }
  return current;
}

/** Throws the service's own explanation for a start task in ERROR. */
export function assertReady(task: StartTask): void {
  if (task.status === 'ERROR') throw new StartFailedError(task.detail || 'no detail given');
}

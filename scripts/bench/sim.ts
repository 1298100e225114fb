/**
 * Virtual-clock replays of polling schedules (pure: the schedules are passed in, so the bench
 * replays the action's own functions from src/ and the tests replay small made-up ones).
 * Request time on loopback is taken as 0.
 */
import { median } from './stats.ts';

/** Delay before the next start-task poll, given the task status and the time the poller has seen it in that phase. */
export type StartDelay = (status: string, inPhaseMs: number) => number;
/** Delay before the next conversation read, given the time since the wait began. */
export type FinishDelay = (elapsedMs: number) => number;

export interface StartSim {
  /** the POST plus every poll */
  requests: number;
  /** when a poll first saw READY, ms after the POST */
  detectAtMs: number;
}

/**
 * POST at 0, then polls as waitForStartTask does until one sees READY. The task answers WORKING
 * for the first 5 % of the start, the sandbox boot until 60 %, the last phases after.
 */
export function simStartPolling(readyAtMs: number, delay: StartDelay): StartSim {
  const phase = (t: number): string => (t < readyAtMs * 0.05 ? 'WORKING' : t < readyAtMs * 0.6 ? 'WAITING_FOR_SANDBOX' : 'STARTING_CONVERSATION');
  let t = 0;
  let requests = 1;
  let seen = 'WORKING';
  let since = 0;
  for (let poll = 0; poll < 10_000 && t < readyAtMs; poll++) {
    t += delay(seen, t - since);
    requests++;
    if (phase(t) !== seen) [seen, since] = [phase(t), t];
  }
  return { requests, detectAtMs: t };
}

/** A fixed-interval start: the request at 0, then a poll every intervalMs. */
export function simFixedStart(intervalMs: number, readyAtMs: number): StartSim {
  const k = Math.max(1, Math.ceil(readyAtMs / intervalMs));
  return { requests: 1 + k, detectAtMs: k * intervalMs };
}

export interface FinishSim {
  /** read times, ms after the wait began */
  times: number[];
  /** when the end was seen, ms after the wait began */
  detectAtMs: number;
}

/**
 * Reads at 0 and then after `delay(elapsed)` each, until a read at or after `endMs` sees the end.
 * `seenAfterMs` set: something else (the live socket) reports the end that long after it
 * happens, and a read follows at once.
 */
export function simFinish(endMs: number, delay: FinishDelay, seenAfterMs?: number): FinishSim {
  const times: number[] = [];
  let t = 0;
  for (let i = 0; i < 100_000; i++) {
    if (seenAfterMs !== undefined && t > endMs + seenAfterMs) {
      times.push(endMs + seenAfterMs);
      return { times, detectAtMs: endMs + seenAfterMs };
    }
    times.push(t);
    if (t >= endMs) break;
    t += delay(t);
  }
  return { times, detectAtMs: times.at(-1) ?? 0 };
}

/** Requests per minute of a finish wait: every read over the time to the end seen. */
export const simPerMinute = (s: FinishSim): number => s.times.length / (s.detectAtMs / 60_000);

/** Reads per minute within [fromMs, toMs). */
export const simPerMinuteBetween = (s: FinishSim, fromMs: number, toMs: number): number =>
  s.times.filter((t) => t >= fromMs && t < toMs).length / ((toMs - fromMs) / 60_000);

export function grid(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to && out.length < 1_000_000; x += step) out.push(x);
  return out;
}

export interface Policy {
  readonly name: string;
  readonly start: (readyAtMs: number) => StartSim;
  readonly finish: (endMs: number) => FinishSim;
}

export interface PolicyRow {
  policy: string;
  /** median time from READY to a poll that sees it */
  readyLatencyMs: number;
  /** median requests from the start request to READY seen */
  startRequests: number;
  /** median time from the agent's end to a read that sees it */
  finishLatencyMs: number;
  /** reads per minute over a run of `runMs` */
  perMinute: number;
  /** reads per minute in its second half */
  steadyPerMinute: number;
}

export interface Moments {
  /** READY moments, ms after the start request */
  readies: readonly number[];
  /** end moments, ms after READY */
  ends: readonly number[];
  /** the run length the per-minute figures are taken over */
  runMs: number;
}

/** Medians over many READY and end moments, so that no policy is judged at one lucky phase. */
export function comparePolicies(policies: readonly Policy[], m: Moments): PolicyRow[] {
  return policies.map((p) => {
    const run = p.finish(m.runMs);
    return {
      policy: p.name,
      readyLatencyMs: median(m.readies.map((r) => p.start(r).detectAtMs - r)),
      startRequests: median(m.readies.map((r) => p.start(r).requests)),
      finishLatencyMs: median(m.ends.map((e) => p.finish(e).detectAtMs - e)),
      perMinute: simPerMinute(run),
      steadyPerMinute: simPerMinuteBetween(run, m.runMs / 2, m.runMs),
    };
  });
}

/** Fixed polling every intervalMs, for the start and for the finish. */
export function fixedPolicy(name: string, intervalMs: number): Policy {
  return { name, start: (r) => simFixedStart(intervalMs, r), finish: (e) => simFinish(e, () => intervalMs) };
}

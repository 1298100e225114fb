/**
 * Every fact about a run's status, in one table: whether the agent's work is over, whether the
 * step fails, the comment's headline, the check run's conclusion, whether the sandbox is paused,
 * and the README's wording (a test keeps README, docs and action.yml equal to this table).
 */
import type { CheckConclusion } from './github/checks.js';

export type RunStatus =
  | 'pending'
  | 'started'
  | 'ready'
  | 'finished'
  | 'error'
  | 'stuck'
  | 'waiting_for_confirmation'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'followed_up'
  | 'awaiting_approval'
  | 'interrupted'
  | 'over_budget';

export interface StatusFacts {
  /**
   * false: the agent may still be working (the run is under way, or it stopped watching early).
   * An unfinished status the main step never wrote as final means it was killed: the post step
   * turns it into `cancelled`.
   */
  readonly final: boolean;
  /** The step fails (exit status 1, a 😕 reaction on the trigger). */
  readonly failing: boolean;
  /** The comment's status line: emoji and words. */
  readonly headline: string;
  /** The status line of a final run that stopped watching at this status (`wait: none`/`ready`). */
  readonly handedOver?: string;
  /** The check run's conclusion; undefined: the status gets no check run. */
  readonly check: CheckConclusion | undefined;
  /** The status line shows the time spent. */
  readonly elapsed: boolean;
  /** The run started nothing under this status (held or skipped): a conversation in its marker is an earlier run's. */
  readonly startedNothing: boolean;
  /** The run followed the agent to its end ('if-agent-errored': only when the agent itself ended in error). */
  readonly agentStopped: boolean | 'if-agent-errored';
  /** The own sandbox is paused on this end: always, or when the named input says `pause`. */
  readonly pause?: 'always' | 'on-cancel' | 'on-timeout';
  /** README's "meaning" column (and action.yml's `status` output); undefined: never an output. */
  readonly readme?: string;
}

const defaults = { final: true, failing: false, elapsed: true, startedNothing: false, agentStopped: false } as const;

export const STATUS: Readonly<Record<RunStatus, StatusFacts>> = {
  pending: { ...defaults, final: false, headline: '⏳ Starting', check: 'neutral' },
  started: {
    ...defaults,
    final: false,
    headline: '⏳ Starting',
    handedOver: '🚀 Started: the agent is still working',
    check: 'neutral',
    readme: 'the start was accepted (`wait: none`)',
  },
  ready: {
    ...defaults,
    final: false,
    headline: '🟢 Ready: the agent is working',
    handedOver: '🟢 Ready: the agent is still working',
    check: 'neutral',
    readme: 'the conversation is ready and the agent is working (`wait: ready`)',
  },
  finished: { ...defaults, headline: '✅ Finished', check: 'success', agentStopped: true, readme: 'the agent finished (`wait: finished`)' },
  waiting_for_confirmation: {
    ...defaults,
    headline: '✋ Waiting for confirmation',
    // the agent asks a person to confirm an action: someone has to act
    check: 'action_required',
    readme: 'the agent waits for a human to confirm an action in the web app',
  },
  followed_up: {
    ...defaults,
    final: false,
    headline: '💬 Follow-up sent: the agent is working',
    handedOver: '💬 Follow-up sent: the agent is still working',
    check: 'neutral',
    readme: 'the trigger was sent into the open conversation (`wait: none`/`ready`)',
  },
  skipped: {
    ...defaults,
    headline: '⏭️ Skipped',
    check: undefined,
    elapsed: false,
    startedNothing: true,
    readme:
      'not a trigger, not allowed, a fork PR without an API key, the previous scheduled conversation still running, over a [limit across runs](docs/costs-and-limits.md#limits-across-runs), or `dry-run`; see `skip-reason`',
  },
  error: {
    ...defaults,
    failing: true,
    headline: '❌ Failed',
    check: 'failure',
    agentStopped: 'if-agent-errored',
    readme: 'the start failed, the agent errored, the sandbox died, or a request failed',
  },
  stuck: { ...defaults, failing: true, headline: '⚠️ Stuck: the agent cannot go on', check: 'failure', agentStopped: true, readme: 'the agent reported that it is stuck' },
  timed_out: { ...defaults, failing: true, headline: '⌛ Timed out', check: 'timed_out', pause: 'on-timeout', readme: '`ready-timeout` or `finish-timeout` passed' },
  awaiting_approval: {
    ...defaults,
    headline: "🔒 Waiting for a maintainer's approval",
    check: undefined,
    elapsed: false,
    startedNothing: true,
    readme: "an outsider's trigger is held until a maintainer approves it (`untrusted: ask`)",
  },
  interrupted: {
    ...defaults,
    failing: true,
    headline: '⏸️ Interrupted: the sandbox stopped',
    check: 'failure',
    agentStopped: true,
    readme: 'the service paused or lost the sandbox while the agent was working (e.g. too many running sandboxes on the account), or a person paused the conversation in the OpenHands web app',
  },
  over_budget: {
    ...defaults,
    failing: true,
    headline: '💸 Over budget: the sandbox was paused',
    check: 'failure',
    agentStopped: true,
    pause: 'always',
    readme: 'the reported cost passed `max-cost`; the sandbox was paused',
  },
  cancelled: { ...defaults, failing: true, headline: '🚫 Cancelled', check: 'cancelled', pause: 'on-cancel', readme: 'the job was cancelled while waiting' },
};

/** A status string read back from storage (the marker, saved state) that this version knows. */
export const isRunStatus = (s: unknown): s is RunStatus => typeof s === 'string' && Object.hasOwn(STATUS, s);

/** Whether the status fails the step. */
export const isFailing = (status: RunStatus): boolean => STATUS[status].failing;

/** A final run that returned before the agent was done (`wait: none`/`ready`): the agent goes on. */
export function handedOver(r: { readonly status: RunStatus; readonly final: boolean }): boolean {
  return r.final && STATUS[r.status].handedOver !== undefined;
}

/** The headline the comment and the check run show: `✅ Finished`. */
export function headline(r: { readonly status: RunStatus; readonly final: boolean }): string {
  const s = STATUS[r.status];
  return handedOver(r) && s.handedOver ? s.handedOver : s.headline;
}

/** The check run's conclusion for a final report; undefined for runs that never get a check run. */
export function checkConclusion(r: { readonly status: RunStatus; readonly final: boolean }): CheckConclusion | undefined {
  return STATUS[r.status].check;
}

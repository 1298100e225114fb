/**
 * The event socket as the finish wait uses it: whether it is up, the newest cost, every event
 * seen, and a wake-up for the wait when a read is worth doing now (a status change, the cost
 * past the cap, the socket coming up or going away).
 */
import * as core from '@actions/core';
import type { AgentServerTarget } from '../openhands/agent-server.js';
import { followLive, type LiveEvent } from '../openhands/live.js';
import type { Session } from './run.js';

/** After the socket kept failing, the next try this much later (polling meanwhile). */
export const LIVE_RETRY_MS = 120_000;

export interface LiveWatch {
  /** whether the socket is following the conversation now */
  up(): boolean;
  cost(): number | undefined;
  /** every event seen live, in arrival order (replays first) */
  events(): readonly LiveEvent[];
  /** resolves when a read is worth doing now */
  wake(signal: AbortSignal): Promise<void>;
  stop(): void;
}

/** The event socket, when the agent server can be reached; a no-op watch otherwise. `since`: replay from this event timestamp. */
export function watchLive(s: Session, conversationId: string, target: AgentServerTarget | undefined, since: string | undefined): LiveWatch {
  const stopped = new AbortController();
  const events: LiveEvent[] = [];
  let up = false;
  let cost: number | undefined;
  let poke: (() => void) | undefined;
  // A change that comes while no one waits (a read in flight) is kept for the next wait.
  let pending = false;
  const nudge = (): void => {
    if (poke) poke();
    else pending = true;
  };
  const seen = new Set<string>();
  const follow = (): void => {
    if (!target || stopped.signal.aborted || s.run.signal.aborted) return;
    const cap = s.run.cfg.maxCost;
    followLive({
      baseUrl: target.baseUrl,
      conversationId,
      sessionApiKey: target.sessionApiKey,
      signal: AbortSignal.any([s.run.signal, stopped.signal]),
      since,
      onEvent: (e) => {
        // a later attempt replays what an earlier one saw
        if (seen.has(e.id)) return;
        seen.add(e.id);
        events.push(e);
      },
      onStatus: () => nudge(),
      onStats: (st) => {
        cost = st.cost;
        if (cap !== undefined && st.cost > cap) nudge();
      },
      onConnection: (state, detail) => {
        const was = up;
        up = state === 'open';
        core.info(`Live events: ${up ? 'connected' : `${was ? 'connection lost' : 'could not connect'} (${detail})`}`);
        nudge();
      },
    }).then(
      (end) => {
        up = false;
        if (end.reason !== 'aborted') core.info(`Live events unavailable (${end.reason}${'detail' in end ? `: ${end.detail}` : ''}); polling instead`);
        nudge();
        // A socket that kept failing may work again later (a restarted runtime): try again, slowly.
        // A wrong key or an unknown conversation will not change.
        if (end.reason === 'failed') setTimeout(follow, LIVE_RETRY_MS).unref();
      },
      (error: unknown) => {
        up = false;
        core.debug(`Live events stopped: ${(error as Error).message}`);
      },
    );
  };
  follow();
  return {
    up: () => up,
    cost: () => cost,
    events: () => events,
    wake: (signal) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          poke = undefined;
          resolve();
        };
        if (pending) {
          pending = false;
          return done();
        }
        poke = done;
        signal.addEventListener('abort', done, { once: true });
      }),
    stop: () => stopped.abort(),
  };
}

/**
 * The finalize figures: what `wait: ready` + a scheduled finalize run costs in runner time next
 * to `wait: finished` (simulated from measured job durations, with GitHub's per-job rounding up
 * to the minute), and the OpenHands requests of one finalize run over many tracked
 * conversations (measured, the built action against the emulator and the GitHub fake).
 */
import { MARKER_PREFIX } from '../../src/constants.ts';
import { issueLabeled } from '../../test/e2e/payloads.ts';
import { newWorld, runIn, startTimeline, type Sample } from './runs.ts';
import { median } from './stats.ts';

const MIN = 60_000;

// ---- runner minutes, simulated ------------------------------------------------------------

export interface RunnerModel {
  /** conversations, triggered `spacingMs` apart from 0 */
  readonly conversations: number;
  readonly spacingMs: number;
  /** how long each agent works after READY */
  readonly agentMs: number;
  /** trigger → READY (the start) */
  readonly startMs: number;
  /** a job's own time on the runner before and after the step (set-up, post step, clean-up) */
  readonly jobOverheadMs: number;
  /** the `wait: ready` step: spawn → exit past READY (measured) */
  readonly readyStepExtraMs: number;
  /** the `wait: finished` step past the agent's end (measured finish → exit) */
  readonly finishedStepExtraMs: number;
  /** one finalize step (measured) */
  readonly finalizeStepMs: number;
  /** the finalize schedule */
  readonly finalizeEveryMs: number;
}

export interface RunnerMinutes {
  readonly finishedMinutes: number;
  readonly readyMinutes: number;
  readonly finalizeRuns: number;
  readonly finalizeMinutes: number;
  readonly agentHours: number;
  /** (ready + finalize) / finished */
  readonly ratio: number;
  /** agent end → its comment final, per conversation (the next finalize run's end) */
  readonly resultDelaysMs: readonly number[];
  /** conversations whose comment never became final */
  readonly neverFinal: number;
}

/** GitHub bills each job rounded up to the whole minute. */
export const billedMinutes = (ms: number): number => Math.max(1, Math.ceil(ms / MIN));

/**
 * The same conversations both ways. Finalize runs tick every `finalizeEveryMs` from the first
 * trigger until the tick after the last agent's end (the runs of a window in which the schedule
 * is needed; an idle schedule costs its ticks on any day, see `idleFinalizeMinutesPerDay`).
 */
export function simRunnerMinutes(m: RunnerModel): RunnerMinutes {
  let finished = 0;
  let ready = 0;
  const ends: number[] = [];
  for (let i = 0; i < m.conversations; i++) {
    const trigger = i * m.spacingMs;
    finished += billedMinutes(m.jobOverheadMs + m.startMs + m.agentMs + m.finishedStepExtraMs);
    ready += billedMinutes(m.jobOverheadMs + m.startMs + m.readyStepExtraMs);
    ends.push(trigger + m.startMs + m.agentMs);
  }
  const lastEnd = Math.max(...ends);
  const ticks: number[] = [];
  for (let t = 0; ticks.length < 100_000; t += m.finalizeEveryMs) {
    ticks.push(t);
    if (t >= lastEnd) break;
  }
  // A finalize run started at `t` reports the agents that ended before it listed them.
  const resultDelaysMs = ends.map((end) => {
    const tick = ticks.find((t) => t >= end);
    return tick === undefined ? Number.POSITIVE_INFINITY : tick + m.jobOverheadMs + m.finalizeStepMs - end;
  });
  const finalizeMinutes = ticks.length * billedMinutes(m.jobOverheadMs + m.finalizeStepMs);
  return {
    finishedMinutes: finished,
    readyMinutes: ready,
    finalizeRuns: ticks.length,
    finalizeMinutes,
    agentHours: (m.conversations * m.agentMs) / (60 * MIN),
    ratio: (ready + finalizeMinutes) / finished,
    resultDelaysMs,
    neverFinal: resultDelaysMs.filter((d) => !Number.isFinite(d)).length,
  };
}

/** What a finalize schedule costs on a day with nothing to report: one billed minute per tick. */
export const idleFinalizeMinutesPerDay = (everyMs: number, stepMs: number, overheadMs: number): number => Math.round((24 * 60 * MIN) / everyMs) * billedMinutes(overheadMs + stepMs);

// ---- one finalize run over many tracked conversations, measured ------------------------------

export interface FinalizeRequests {
  readonly tracked: number;
  readonly ended: number;
  /** app-server requests of the finalize run, by route */
  readonly byRoute: Record<string, number>;
  readonly appRequests: number;
  readonly batchReads: number;
  /** agent-server requests (the final message of a live sandbox) */
  readonly agentRequests: number;
  readonly githubRequests: number;
  readonly finalized: number;
  readonly stillRunning: number;
  readonly durationMs: number;
  /** an empty finalize run: its OpenHands requests and its duration */
  readonly idleRequests: number;
  readonly idleMs: number;
}

/**
 * `tracked` conversations started on the emulator, `ended` of them finished (the rest keep
 * working), each with a status comment as a `wait: ready` run leaves it (the action's marker,
 * written by the token's account); then one finalize run.
 */
export async function finalizeRequests(tracked: number, ended: number): Promise<FinalizeRequests> {
  const w = await newWorld({ emulator: { rateLimits: false, maxSandboxes: tracked + 10, scenario: { phaseMs: 5 } } });
  try {
    const idle = await runIn(w, { label: 'finalize, nothing tracked', event: 'schedule', runId: '1', inputs: { mode: 'finalize' } });
    const ids: string[] = [];
    for (let i = 0; i < tracked; i++) {
      w.emu.queueScenario(
        i < ended
          ? { execution: [{ afterMs: 0, status: 'running' }, { afterMs: 50, status: 'finished' }], finalMessage: `Done with task ${i}.` }
          : { execution: [{ afterMs: 0, status: 'running' }] },
      );
      const res = await fetch(`${w.emu.url}/api/v1/app-conversations`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        body: JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text: `task ${i}` }] }, selected_repository: 'octo-org/octo-repo' }),
      });
      const task = (await res.json()) as { id: string };
      ids.push(task.id);
    }
    const conversationOf = (taskId: string): string | undefined => {
      const t = w.emu.tasks.find((x) => x.id === taskId) as { status?: string; app_conversation_id?: string } | undefined;
      return t?.status === 'READY' ? t.app_conversation_id?.replace(/-/g, '') : undefined;
    };
    const deadline = Date.now() + 60_000;
    while (ids.some((t) => !conversationOf(t)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const conversations = ids.map((t) => conversationOf(t) as string);
    // the ended ones have ended
    const endedNow = (): number => w.emu.conversations.filter((c) => c.execution_status === 'finished').length;
    while (endedNow() < ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const now = Date.now();
    conversations.forEach((id, i) => {
      const number = 100 + i;
      w.gh.addIssue({ number, title: `Task ${i}` });
      w.gh.addComment({ issue_number: number, body: handedOverComment(id, i, now - 5 * MIN) });
    });
    const before = w.emu.requests.length;
    const agentBefore = w.emu.agentServer.requests.length;
    const s: Sample = await runIn(w, { label: `finalize, ${tracked} tracked, ${ended} ended`, event: 'schedule', runId: '2', inputs: { mode: 'finalize' } });
    const app = w.emu.requests.slice(before);
    const byRoute: Record<string, number> = {};
    for (const r of app) {
      const route = `${r.method} ${r.path.replace(/[0-9a-f]{32}/g, '{id}')}`;
      byRoute[route] = (byRoute[route] ?? 0) + 1;
    }
    return {
      tracked,
      ended,
      byRoute,
      appRequests: app.length,
      batchReads: byRoute['GET /api/v1/app-conversations'] ?? 0,
      agentRequests: w.emu.agentServer.requests.length - agentBefore,
      githubRequests: s.gh.length,
      finalized: Number(s.run.outputs.finalized),
      stillRunning: Number(s.run.outputs['still-running']),
      durationMs: s.run.durationMs,
      idleRequests: idle.oh.length,
      idleMs: idle.run.durationMs,
    };
  } finally {
    await w.close();
  }
}

/** A `wait: ready` step with a start of `startMs`: spawn → exit, minus the start (the step's own time). */
export async function readyStepExtraMs(runs: number, startMs: number): Promise<number> {
  const extras: number[] = [];
  for (let i = 0; i < runs; i++) {
    const w = await newWorld({ emulator: { scenario: { ...startTimeline(startMs), execution: [{ afterMs: 0, status: 'running' }] } } });
    try {
      const s = await runIn(w, { label: `wait: ready #${i + 1}`, payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'ready' } });
      extras.push(Math.max(0, s.run.durationMs - startMs));
    } finally {
      await w.close();
    }
  }
  return median(extras);
}

/** The status comment a `wait: ready` run leaves: the action's marker (src/marker.ts) and its status line. */
function handedOverComment(conversationId: string, i: number, startedAt: number): string {
  const state = {
    v: 1,
    conversationId,
    status: 'ready',
    final: true,
    runId: String(5000 + i),
    runAttempt: 1,
    startedAt,
    updatedAt: startedAt + 15_000,
    previous: [],
    actor: 'Codertocat',
    repo: 'octo-org/octo-repo',
  };
  const encoded = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `${MARKER_PREFIX} key="OpenHands/agent" state="${encoded}" -->\n### OpenHands · 🟢 Ready: the agent is still working · 15s`;
}

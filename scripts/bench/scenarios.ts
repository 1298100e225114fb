/**
 * The measured scenarios. Each runs the built action against fresh loopback servers and returns
 * its samples; bench.ts turns them into figures. Times are epoch ms (performance.timeOrigin +
 * performance.now()) on one clock shared by the harness and both servers.
 */
import { issueComment, issueLabeled } from '../../test/e2e/payloads.ts';
import type { ScenarioInput } from '../../test/emulator/server.ts';
import { finite, perMinute } from './stats.ts';
import { newWorld, parallel, readyAt, runAlone, runIn, sequential, startTimeline, type Sample } from './runs.ts';

const labeled = issueLabeled({ label: 'openhands' });

/** Starts spread evenly over 2.5–3.5 s across runs: polling is not judged at one (lucky) phase. */
const threeSecondStart = (i: number, n: number): ScenarioInput => startTimeline(Math.round(2500 + (1000 * (i + 0.5)) / n));

export interface ColdStart {
  /** spawn → first request, per run */
  firstRequestMs: number[];
  firstRequest: string | null;
  /** spawn → the comment with the conversation link created */
  linkMs: number[];
  /** a one-line script's spawn → first request: what Node alone costs */
  floorMs: number[];
  /** the same for a bundle of only the libraries the first request needs (stack-floor.ts) */
  stackFloorMs: number[];
}

/** wait: none runs (nothing after the start request matters), interleaved with the two floors. */
export async function coldStart(n: number, floorEntry: string, stackFloorEntry: string | undefined): Promise<ColdStart> {
  const runs: Sample[] = [];
  const floor: Sample[] = [];
  const stack: Sample[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(await runAlone({ label: `cold#${i}`, payload: labeled, inputs: { wait: 'none' } }, { emulator: { scenario: threeSecondStart(i, n) } }));
    floor.push(await runAlone({ label: `floor#${i}`, entry: floorEntry, notAction: true }));
    if (stackFloorEntry) stack.push(await runAlone({ label: `stack-floor#${i}`, entry: stackFloorEntry, payload: labeled, notAction: true }));
  }
  return {
    firstRequestMs: finite(runs.map((s) => s.firstRequestMs)),
    firstRequest: runs[0]?.firstRequest ?? null,
    linkMs: finite(runs.map((s) => linkCreatedAt(s))),
    floorMs: finite(floor.map((s) => s.firstRequestMs)),
    stackFloorMs: finite(stack.map((s) => s.firstRequestMs)),
  };
}

/** The first comment write (create or edit) that carries the conversation link. */
function linkCreatedAt(s: Sample): number | null {
  const url = s.run.outputs['conversation-url'];
  const write = url ? s.gh.find((r) => (r.method === 'POST' || r.method === 'PATCH') && /\/comments(\/\d+)?$/.test(r.path) && JSON.stringify(r.body ?? '').includes(url)) : undefined;
  return write ? write.at - s.run.spawnedAt : null;
}

export interface ReadyLatency {
  /** READY → the process exited (every output is written by then) */
  readyToExitMs: number[];
  /** the start request → READY, as the emulator ran it */
  startToReadyMs: number[];
}

/** wait: ready, POST + poll, ~3 s starts, one run at a time. */
export async function readyLatency(n: number): Promise<ReadyLatency> {
  const runs = await sequential(n, (i) => runAlone({ label: `ready#${i}`, payload: labeled, inputs: { wait: 'ready' } }, { emulator: { scenario: threeSecondStart(i, n) } }));
  return {
    readyToExitMs: finite(runs.map((s) => s.run.exitedAt - (readyAt(s.emu) ?? Number.NaN))),
    startToReadyMs: finite(runs.map((s) => (readyAt(s.emu) ?? Number.NaN) - (s.oh.find((r) => r.method === 'POST' && r.path === '/api/v1/app-conversations')?.at ?? Number.NaN))),
  };
}

export interface StartRequests {
  /** OpenHands requests from spawn to the first one after READY (the poll that saw it) */
  duringStart: number[];
  /** every OpenHands request of the wait: ready run */
  wholeRun: number[];
}

/** Requests a 12 s start costs: n runs at once, each in its own world (its own account). */
export async function startRequests(n: number, startMs: number): Promise<StartRequests> {
  const runs = await parallel(n, 150, (i) =>
    runAlone({ label: `start12#${i}`, payload: labeled, inputs: { wait: 'ready' }, timeoutMs: startMs + 30_000 }, { emulator: { scenario: startTimeline(startMs) } }),
  );
  return {
    duringStart: runs.map((s) => {
      const ready = readyAt(s.emu) ?? Number.POSITIVE_INFINITY;
      return s.oh.filter((r) => r.at < ready).length + (s.oh.some((r) => r.at >= ready) ? 1 : 0);
    }),
    wholeRun: runs.map((s) => s.oh.length),
  };
}

export interface Concurrent {
  /** 429 answers the emulator gave, over all runs */
  tooMany: number;
  requests: number;
  runs: number;
}

/** n runs at once on one key (one account's rate limits), each on its own issue. */
export async function concurrent(n: number, startMs: number): Promise<Concurrent> {
  const numbers = Array.from({ length: n }, (_, i) => 20 + i);
  const w = await newWorld({
    emulator: { scenario: startTimeline(startMs), rateLimits: true },
    github: { issues: numbers.map((number) => ({ number, title: `Chore ${number}` })) },
  });
  try {
    await parallel(n, 0, (i) =>
      runIn(w, {
        label: `same-key#${i}`,
        payload: issueLabeled({ label: 'openhands', number: numbers[i] as number }),
        runId: String(700 + i),
        inputs: { wait: 'ready' },
        timeoutMs: startMs + 40_000,
      }),
    );
    return { tooMany: w.emu.requests.filter((r) => r.status === 429).length, requests: w.emu.requests.length, runs: n };
  } finally {
    await w.close();
  }
}

export interface Resume {
  /** OpenHands requests after the resume request, up to the read that saw the sandbox RUNNING */
  requests: number;
  /** from the resume request to that read */
  windowMs: number;
  perMinute: number;
}

/** A follow-up mention on a conversation whose sandbox was paused: it resumes for `resumeMs`. */
export async function resume(resumeMs: number): Promise<Resume> {
  const w = await newWorld({ emulator: { scenario: { phaseMs: 20, resumeMs, execution: [{ afterMs: 0, status: 'running' }] } } });
  try {
    await runIn(w, { label: 'resume (first run)', payload: labeled, runId: '500', inputs: { wait: 'ready' } });
    const sandboxId = w.emu.conversations[0]?.sandbox_id as string;
    w.emu.pauseSandbox(sandboxId);
    const s = await runIn(w, {
      label: `resume (follow-up, ${resumeMs / 1000} s resume)`,
      event: 'issue_comment',
      payload: issueComment({ body: '@openhands continue', sender: 'Codertocat' }),
      runId: '501',
      timeoutMs: resumeMs + 40_000,
    });
    const from = s.oh.find((r) => r.method === 'POST' && r.path.endsWith('/resume'))?.at;
    const to = w.emu.transitions.filter((t) => t.kind === 'sandbox' && t.status === 'RUNNING' && from !== undefined && t.at > from)[0]?.at;
    if (from === undefined || to === undefined) return { requests: Number.NaN, windowMs: Number.NaN, perMinute: Number.NaN };
    // The read that sees RUNNING comes just after the transition: count it.
    const seen = s.oh.find((r) => r.at >= to);
    const requests = s.oh.filter((r) => r.at > from && r.at < to).length + (seen ? 1 : 0);
    const windowMs = (seen?.at ?? to) - from;
    return { requests, windowMs, perMinute: perMinute(requests, windowMs) };
  } finally {
    await w.close();
  }
}

export interface Finish {
  /** the agent's `finished` → the process exited */
  finishToExitMs: number | null;
  /** app-server reads while the agent worked: READY → finished */
  appRequests: number;
  workMs: number;
  /** the same after the first 10 s (the start's own reads are over) */
  steadyRequests: number;
  steadyMs: number;
  /** app-server request times while the agent worked, ms after READY */
  readTimes: number[];
  sockets: number;
  status: string | undefined;
}

/** wait: finished, the agent working `workMs`; `socket: false` refuses the agent server's socket. */
export async function finish(workMs: number, socket: boolean): Promise<Finish> {
  const w = await newWorld({ emulator: { scenario: { phaseMs: 50, execution: [{ afterMs: 0, status: 'running' }, { afterMs: workMs, status: 'finished' }] } } });
  if (!socket) w.emu.agentServer.addSocketFault({ kind: 'refuse', times: Number.POSITIVE_INFINITY });
  try {
    const s = await runIn(w, { label: `finish (${socket ? 'WebSocket' : 'socket refused'}, ${workMs / 1000} s)`, payload: labeled, inputs: { wait: 'finished' }, timeoutMs: workMs + 60_000 });
    const ready = readyAt(w.emu) ?? Number.NaN;
    const done = w.emu.transitions.find((t) => t.kind === 'execution' && t.status === 'finished')?.at ?? Number.NaN;
    const steadyFrom = ready + 10_000;
    return {
      finishToExitMs: Number.isFinite(done) ? s.run.exitedAt - done : null,
      appRequests: s.oh.filter((r) => r.at >= ready && r.at < done).length,
      workMs: done - ready,
      steadyRequests: s.oh.filter((r) => r.at >= steadyFrom && r.at < done).length,
      steadyMs: done - steadyFrom,
      readTimes: s.oh.filter((r) => r.at >= ready && r.at < done).map((r) => Math.round(r.at - ready)),
      sockets: w.emu.agentServer.connections.length,
      status: s.run.outputs.status,
    };
  } finally {
    await w.close();
  }
}

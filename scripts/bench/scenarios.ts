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

export interface Burst {
  /** 429 answers the emulator gave during the burst */
  tooMany: number;
  /** app-server requests of the whole burst divided by the runs (the emulator's count) */
  meanPerRun: number;
  /** app-server requests per run as each run's job summary reports them (runs that report it) */
  perRun: number[];
  /** READY → the process exited, per run that reached READY */
  readyToExitMs: number[];
  /** runs whose conversation the service paused (sandbox cap) before the run ended, that still reported a success */
  pausedButSuccess: number;
  /** sandboxes the service's cap paused during the burst: whose, and whether their agent was working */
  capPauses: { conversationId: string; whose: 'burst' | 'web-app' | 'earlier-run'; agentWorking: boolean }[];
  /** the most app-server requests in one fixed minute from the first request */
  peakPerMinute: number;
  statuses: Record<string, number>;
  /** runs that waited in the action's queue (their log says so) */
  queued: number;
  wallMs: number;
  /** requests by route, and the 429s: when (s after the burst's first request) and on what */
  byRoute: Record<string, number>;
  limited: string[];
}

const route = (r: { method: string; path: string }): string => `${r.method} ${r.path.replace(/[0-9a-f]{32}|[A-Za-z0-9]{22}/g, '{id}')}`;

/** A v5-shaped id (the form this action's derived ids take), for the earlier runs the account holds. */
const v5Like = (i: number): string => `${'e'.repeat(8)}${String(i).padStart(4, '0')}5${'a'.repeat(3)}8${'b'.repeat(15)}`;

/**
 * A team's burst: `n` label events on `n` issues of one account, arriving `spacingMs` apart,
 * every run `wait: ready`, cold starts of `startMs`, the emulator's real rate limits and a
 * sandbox cap of 10 (the server's default, [api: rate-limits], [api: auto-pause]). Before the burst the account holds a
 * person's web-app conversation whose agent is working and `earlier` finished conversations of
 * this morning's action runs (their sandboxes still running, as the idle reaper takes ~20 min).
 */
/** Each start's duration in a burst, as a share of the scenario's (mean 1, from 5/6 to 7/6). */
const START_SPREAD = [1, 26 / 30, 34 / 30, 28 / 30, 32 / 30, 25 / 30, 35 / 30, 29 / 30, 31 / 30, 27 / 30, 33 / 30, 1];

export async function burst(n: number, o: { startMs: number; spacingMs: number; earlier: number; wait?: 'ready' | 'finished' }): Promise<Burst> {
  const numbers = Array.from({ length: n }, (_, i) => 100 + i);
  const w = await newWorld({
    emulator: { scenario: startTimeline(o.startMs), rateLimits: true, maxSandboxes: 10 },
    github: { issues: numbers.map((number) => ({ number, title: `Triage ${number}` })) },
  });
  try {
    const seed = async (body: Record<string, unknown>, scenario: ScenarioInput): Promise<void> => {
      w.emu.queueScenario(scenario);
      const res = await fetch(`${w.emu.url}/api/v1/app-conversations`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        body: JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text: 'seed' }], run: true }, ...body }),
      });
      if (!res.ok) throw new Error(`seeding the account failed: ${res.status}`);
    };
    // The person's conversation first (the oldest sandbox: what the cap pauses first).
    await seed({}, { phaseMs: 5, execution: [{ afterMs: 0, status: 'running' }] });
    for (let i = 0; i < o.earlier; i++) await seed({ conversation_id: v5Like(i), trigger: 'openhands_api' }, { phaseMs: 5 });
    while (w.emu.conversations.length < 1 + o.earlier || w.emu.conversations.some((c) => c.execution_status !== 'finished' && c.execution_status !== 'running')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const seeded = new Set(w.emu.conversations.map((c) => c.id as string));
    const webApp = w.emu.conversations.find((c) => c.execution_status === 'running')?.id as string;
    // The burst's starts are not all alike: spread ±5 s around startMs, in the order the POSTs
    // come (a start READY sooner than the account's others is what a poll timed by them misses).
    for (const share of START_SPREAD) w.emu.queueScenario(startTimeline(Math.round(o.startMs * share)));
    // A fresh minute for the burst (the seeding's own requests are the web app's).
    await new Promise((r) => setTimeout(r, 1100));
    const began = performance.now();
    const from = w.emu.requests.length;
    const samples = await parallel(n, o.spacingMs, (i) =>
      runIn(w, {
        label: `burst#${i}`,
        payload: issueLabeled({ label: 'openhands', number: numbers[i] as number }),
        runId: String(900 + i),
        inputs: { wait: o.wait ?? 'ready', 'ready-timeout': '10m' },
        timeoutMs: o.startMs * 4 + 120_000,
        allowFailure: true,
      }),
    );
    const reqs = w.emu.requests.slice(from);
    const capPaused = w.emu.transitions.filter((t) => t.kind === 'sandbox' && t.status === 'PAUSED' && t.cause === 'max-sandboxes');
    const pausedIds = new Set(capPaused.map((t) => t.conversationId));
    const statuses: Record<string, number> = {};
    for (const s of samples) statuses[s.run.outputs.status ?? '?'] = (statuses[s.run.outputs.status ?? '?'] ?? 0) + 1;
    const t0 = reqs[0]?.at ?? 0;
    const perWindow = new Map<number, number>();
    for (const r of reqs) perWindow.set(Math.floor((r.at - t0) / 60_000), (perWindow.get(Math.floor((r.at - t0) / 60_000)) ?? 0) + 1);
    return {
      tooMany: reqs.filter((r) => r.status === 429).length,
      meanPerRun: reqs.length / n,
      perRun: finite(samples.map((s) => Number(/OpenHands requests: `?(\d+)/.exec(s.run.summary)?.[1] ?? Number.NaN))),
      readyToExitMs: finite(samples.map((s) => s.run.exitedAt - (readyAt(w.emu, s.run.outputs['conversation-id']) ?? Number.NaN))),
      pausedButSuccess: samples.filter((s) => pausedIds.has(s.run.outputs['conversation-id'] ?? '') && s.run.code === 0).length,
      capPauses: capPaused.map((t) => ({
        conversationId: t.conversationId,
        whose: t.conversationId === webApp ? 'web-app' : seeded.has(t.conversationId) ? 'earlier-run' : 'burst',
        agentWorking: w.emu.transitions.filter((x) => x.kind === 'execution' && x.conversationId === t.conversationId && x.at <= t.at).at(-1)?.status === 'running',
      })),
      peakPerMinute: Math.max(0, ...perWindow.values()),
      statuses,
      queued: samples.filter((s) => /queued: /.test(s.run.stdout)).length,
      wallMs: performance.now() - began,
      byRoute: Object.fromEntries(
        [...new Set(reqs.map(route))].map((k) => [k, reqs.filter((r) => route(r) === k).length]).sort((a, b) => Number(b[1]) - Number(a[1])),
      ),
      limited: reqs.filter((r) => r.status === 429).map((r) => `${((r.at - t0) / 1000).toFixed(1)}s ${route(r)}`),
    };
  } finally {
    await w.close();
  }
}

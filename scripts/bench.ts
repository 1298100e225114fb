/**
 * `npm run bench [-- --runs N] [-- --quick] [-- --finish-s S]`
 *
 * Runs the BUILT action (dist/index.js) as a child process, as the runner does, against the
 * OpenHands Cloud emulator and the GitHub fake on loopback, and prints its figures next to their
 * targets (scripts/README.md says how each is taken). Writes the tables as markdown and JSON under
 * bench-results/. Never fails on a missed target: exits 1 only when a run crashed.
 *
 * The scenarios are in bench/scenarios.ts, the virtual-clock replays in bench/sim.ts, the tables
 * in bench/report.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ACTION_ROOT, DIST_ENTRY } from '../test/e2e/harness.ts';
import { FIGURE_HEAD, FIGURE_RIGHT, figure, figureCells, render, type Figure, type Section } from './bench/report.ts';
import { CrashError, useEntry } from './bench/runs.ts';
import * as scenario from './bench/scenarios.ts';
import { comparePolicies, fixedPolicy, grid, simFinish, simStartPolling, type Policy } from './bench/sim.ts';
import { fmt, median, round, stats } from './bench/stats.ts';

// src/ is written for the bundler (`./x.js` naming `./x.ts`): map them so Node's type stripping
// can load the action's own schedules, which the simulations replay.
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.includes('/src/')) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
    }
    return nextResolve(specifier, context);
  },
});
const { finishPollDelay } = await import('../src/openhands/finish.ts');
const { startPollDelay } = await import('../src/openhands/start.ts');
const { SAFETY_POLL_MS } = await import('../src/steps/finish.ts');

const USAGE = 'usage: npm run bench -- [--runs N] [--quick] [--finish-s SECONDS] [--burst-only] [--dist DIR (another build, e.g. main\'s, to compare)]';
const argv = (() => {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'finish-s': { type: 'string' },
        'burst-only': { type: 'boolean', default: false },
        dist: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (argv.help) {
  console.log(USAGE);
  process.exit(0);
}

function clampInt(raw: string | undefined, dflt: number, lo: number, hi: number): number {
  if (raw === undefined) return dflt;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < lo || n > hi) {
    console.error(`bench: expected an integer in [${lo}, ${hi}], got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const QUICK = argv.quick ?? false;
const RUNS = clampInt(argv.runs, QUICK ? 3 : 7, 1, 50);
/** how long the agent works in the two real wait=finished runs */
const FINISH_S = clampInt(argv['finish-s'], QUICK ? 25 : 75, 5, 300);
const START_MS = 12_000;
const RESUME_MS = QUICK ? 10_000 : 20_000;
const SAME_KEY_RUNS = 5;
/** The team burst (scenarios.ts burst()): 12 runs on one key, cold starts of 30 s on average (25–35 s), 3 s apart. */
const BURST = { runs: 12, startMs: 30_000, spacingMs: 3000, earlier: 3 } as const;
const BURST_ONLY = argv['burst-only'] ?? false;
const OUT_DIR = path.join(ACTION_ROOT, 'bench-results');

const TARGETS = {
  coldStartMs: 150,
  distBytes: 1_500_000,
  readyToOutputsMs: 1000,
  startRequests: 10,
  sameKey429s: 0,
  resumePerMinute: 20,
  finishLiveMs: 1000,
  appPerMinuteLive: 2,
  appPerMinutePolling: 6,
  finishPollingMs: 10_000,
  burst429s: 0,
  burstRequestsPerRun: 10,
  burstReadyToOutputsMs: 3000,
  burstPausedButSuccess: 0,
} as const;

/** The burst's figures (the same in the full bench and with --burst-only). */
function burstFigures(b: scenario.Burst): Figure[] {
  const { runs, startMs, spacingMs, earlier } = BURST;
  const where = `${runs} runs ${spacingMs / 1000} s apart, cold starts of ~${startMs / 1000} s (±5 s), cap 10, real limits`;
  const others = b.capPauses.filter((p) => p.whose !== 'burst');
  return [
    figure({ id: 'burst429s', label: `burst: 429 answers caused`, unit: 'count', samples: [b.tooMany], target: TARGETS.burst429s, source: `measured: ${where}; peak ${b.peakPerMinute} requests in one minute` }),
    figure({ id: 'burstRequestsPerRun', label: '  app-server requests per run (wait: ready)', unit: 'count', samples: [b.meanPerRun], target: TARGETS.burstRequestsPerRun, source: `measured: all the burst's requests / ${runs}; per run as the summaries report it: ${b.perRun.length ? `${Math.min(...b.perRun)}–${Math.max(...b.perRun)}` : 'not reported'}; ${b.queued} run(s) queued` }),
    figure({ id: 'burstReadyToOutputsMs', label: '  READY → outputs written', unit: 'ms', samples: b.readyToExitMs, target: TARGETS.burstReadyToOutputsMs, source: `measured to process exit; statuses ${JSON.stringify(b.statuses)}` }),
    figure({ id: 'burstPausedButSuccess', label: '  runs reporting success for a conversation the cap paused', unit: 'count', samples: [b.pausedButSuccess], target: TARGETS.burstPausedButSuccess, source: 'measured (emulator transitions with cause max-sandboxes)' }),
    figure({ id: 'burstOthersPaused', label: "  others' sandboxes the cap paused (agent working)", unit: 'count', samples: [others.length], source: `measured: ${others.filter((p) => p.agentWorking).length} with a working agent; account held a web-app conversation and ${earlier} earlier runs; burst's own paused: ${b.capPauses.length - others.length}` }),
  ];
}

/** The same burst with `wait: finished`: each run also follows its agent to the end (no target of the issue's but the 429s). */
function burstFinishedFigures(b: scenario.Burst): Figure[] {
  return [
    figure({ id: 'burstFinished429s', label: 'burst, wait: finished: 429 answers caused', unit: 'count', samples: [b.tooMany], target: TARGETS.burst429s, source: `measured: the same burst; peak ${b.peakPerMinute} requests in one minute` }),
    figure({ id: 'burstFinishedRequestsPerRun', label: '  app-server requests per run', unit: 'count', samples: [b.meanPerRun], source: `measured: all the burst's requests / ${BURST.runs}; per run: ${b.perRun.length ? `${Math.min(...b.perRun)}–${Math.max(...b.perRun)}` : 'not reported'}; ${b.queued} run(s) queued` }),
    figure({ id: 'burstFinishedInterrupted', label: '  runs interrupted (an agent the cap paused)', unit: 'count', samples: [b.statuses.interrupted ?? 0], target: 0, source: `measured; statuses ${JSON.stringify(b.statuses)}; the cap paused ${b.capPauses.filter((p) => p.agentWorking).length} working agent(s)` }),
  ];
}

/** Virtual-clock moments: READY at a 12 s start ± 3 s (1 ms grid); the end at 10 min ± 30 s (10 ms grid). */
const SIM = { readies: grid(9_000, 15_000, 1), ends: grid(570_000, 630_000, 10), runMs: 600_000 };

const FLOOR_SOURCE = `// bench floor: the least a node process needs to send one HTTP request
import http from 'node:http';
http.get(process.env.GITHUB_API_URL + '/floor', (res) => res.resume()).on('error', () => {});
`;

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);

async function main(): Promise<number> {
  const began = performance.now();
  if (!(await distSettled())) {
    console.error('bench: dist/index.js is missing (or still being written): run `npm run build` first');
    return 2;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'oh-bench-'));
  try {
    const dist = path.join(tmp, 'dist');
    cpSync(argv.dist ? path.resolve(argv.dist) : path.dirname(DIST_ENTRY), dist, { recursive: true });
    useEntry(path.join(dist, 'index.js'));
    const floorFile = path.join(tmp, 'floor.mjs');
    writeFileSync(floorFile, FLOOR_SOURCE);
    const stackFloor = buildStackFloor(tmp);
    const loadStart = os.loadavg()[0] ?? Number.NaN;
    if (BURST_ONLY) {
      progress(`burst: ${BURST.runs} runs on one key, ${BURST.spacingMs / 1000} s apart, cold starts of ~${BURST.startMs / 1000} s (±5 s)`);
      const b = await scenario.burst(BURST.runs, BURST);
      progress('burst: the same, wait: finished');
      const f = await scenario.burst(BURST.runs, { ...BURST, wait: 'finished' });
      const rows = [...burstFigures(b), ...burstFinishedFigures(f)].map(figureCells);
      const { text, md } = render(`OpenHands Cloud Action bench (burst only) · ${new Date().toISOString()} · commit ${gitCommit() ?? '?'}`, [{ title: 'Burst', head: FIGURE_HEAD, rows, right: FIGURE_RIGHT }], []);
      console.log(`\n${text}\n`);
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(path.join(OUT_DIR, 'burst-latest.md'), md);
      writeFileSync(path.join(OUT_DIR, 'burst-latest.json'), `${JSON.stringify({ commit: gitCommit(), burst: b, burstFinished: f }, null, 2)}\n`);
      return 0;
    }
    progress(`bench: ${QUICK ? 'quick, ' : ''}${RUNS} runs per set, two ${FINISH_S} s wait=finished runs in the background; node ${process.version}, ${os.cpus().length} CPUs`);

    // The cold start goes first, alone: nothing else of ours competes for the CPU.
    progress(`cold start: ${RUNS} runs (wait=none), each followed by the two floors`);
    const cold = await scenario.coldStart(RUNS, floorFile, stackFloor);
    // The two long runs sleep most of the time (their polls are the point): in the background.
    progress(`finish: two wait=finished runs, the agent works ${FINISH_S} s (WebSocket, and socket refused), in the background`);
    const live = scenario.finish(FINISH_S * 1000, true);
    const polled = scenario.finish(FINISH_S * 1000, false);
    for (const p of [live, polled]) p.catch(() => {}); // awaited below
    progress(`READY latency: ${RUNS} runs (wait=ready, ~3 s starts)`);
    const ready = await scenario.readyLatency(RUNS);
    progress(`12 s starts: ${RUNS} at once, each on its own account`);
    const starts = await scenario.startRequests(RUNS, START_MS);
    progress(`${SAME_KEY_RUNS} runs at once on one key, 12 s starts`);
    const sameKey = await scenario.concurrent(SAME_KEY_RUNS, START_MS);
    progress(`burst: ${BURST.runs} runs on one key, ${BURST.spacingMs / 1000} s apart, cold starts of ~${BURST.startMs / 1000} s (±5 s)`);
    const burst = await scenario.burst(BURST.runs, BURST);
    progress('burst: the same, wait: finished');
    const burstFinished = await scenario.burst(BURST.runs, { ...BURST, wait: 'finished' });
    progress(`resume: a follow-up on a paused sandbox that takes ${RESUME_MS / 1000} s to resume`);
    const resumed = await scenario.resume(RESUME_MS);
    progress('finish: waiting for the wait=finished runs');
    const [l, p] = await Promise.all([live, polled]);

    // ---- simulations: the action's own schedules next to fixed polling ----
    const liveSeenMs = l.finishToExitMs ?? 0;
    const ours: Policy[] = [
      { name: 'this action, WebSocket', start: (r) => simStartPolling(r, startPollDelay), finish: (e) => simFinish(e, () => SAFETY_POLL_MS, liveSeenMs) },
      { name: 'this action, polling fallback', start: (r) => simStartPolling(r, startPollDelay), finish: (e) => simFinish(e, finishPollDelay) },
    ];
    const policies = comparePolicies([...ours, fixedPolicy('fixed 3 s (OpenHands web app)', 3000), fixedPolicy('fixed 30 s (existing OpenHands action)', 30_000)], SIM);
    // The check: the schedule's reads in [READY + 1 s, finished), replayed and measured (the
    // reads around READY belong to the start, not to the schedule).
    const inWindow = (ts: readonly number[]): number => ts.filter((t) => t >= 1000 && t < FINISH_S * 1000).length;
    const pollingCheck = { simulated: inWindow(simFinish(FINISH_S * 1000, finishPollDelay).times), measured: inWindow(p.readTimes) };
    const liveTen = simFinish(SIM.runMs, () => SAFETY_POLL_MS);

    const distBytes = readdirSync(dist).reduce((sum, f) => sum + statSync(path.join(dist, f)).size, 0);
    const figures: Figure[] = [
      figure({ id: 'coldStartMs', label: 'cold start: spawn → first request', unit: 'ms', samples: cold.firstRequestMs, target: TARGETS.coldStartMs, source: `measured (${RUNS} runs); first: ${cold.firstRequest ?? '—'}` }),
      figure({ id: 'floorMs', label: '  floor: a one-line script, spawn → request', unit: 'ms', samples: cold.floorMs, source: 'measured: what Node alone costs' }),
      figure({ id: 'stackFloorMs', label: '  floor: @actions/core + @actions/github, the same request', unit: 'ms', samples: cold.stackFloorMs, source: stackFloor ? 'measured: scripts/bench/stack-floor.ts bundled by ncc' : 'not measured: ncc failed' }),
      figure({ id: 'linkMs', label: '  spawn → comment with the link created', unit: 'ms', samples: cold.linkMs, source: 'measured' }),
      figure({ id: 'distBytes', label: 'dist/ in all', unit: 'bytes', samples: [distBytes], target: TARGETS.distBytes, source: `${readdirSync(dist).join(', ')}` }),
      figure({ id: 'readyToOutputsMs', label: 'READY → outputs written (wait: ready, POST + poll)', unit: 'ms', samples: ready.readyToExitMs, target: TARGETS.readyToOutputsMs, source: `measured to process exit (${RUNS} runs, starts 2.5–3.5 s)` }),
      figure({ id: 'startRequests', label: 'OpenHands requests during a 12 s start', unit: 'count', samples: starts.duringStart, target: TARGETS.startRequests, source: `measured (${RUNS} runs); the whole wait: ready run: ${median(starts.wholeRun)}` }),
      figure({ id: 'sameKey429s', label: `${SAME_KEY_RUNS} runs at once on one key, 12 s starts: 429s`, unit: 'count', samples: [sameKey.tooMany], target: TARGETS.sameKey429s, source: `measured: ${sameKey.requests} OpenHands requests in all, real rate limits` }),
      ...burstFigures(burst),
      ...burstFinishedFigures(burstFinished),
      figure({ id: 'resumePerMinute', label: 'requests per minute while waiting for a resume', unit: 'per-min', samples: [resumed.perMinute], target: TARGETS.resumePerMinute, source: `measured: ${resumed.requests} reads after the resume request, in ${fmt(resumed.windowMs, 'ms')}` }),
      figure({ id: 'finishLiveMs', label: 'agent finished → outputs written (WebSocket)', unit: 'ms', samples: finiteOne(l.finishToExitMs), target: TARGETS.finishLiveMs, source: `measured to process exit (one ${FINISH_S} s run, ${l.sockets} socket(s))` }),
      figure({ id: 'appPerMinuteLive', label: 'app-server requests/min while the agent works (WebSocket)', unit: 'per-min', samples: [perMin(l.steadyRequests, l.steadyMs)], target: TARGETS.appPerMinuteLive, source: `measured READY+10 s → finished: ${l.steadyRequests} in ${fmt(l.steadyMs, 'ms')}; whole wait ${l.appRequests} in ${fmt(l.workMs, 'ms')}` }),
      figure({ id: 'appPerMinuteLive10', label: '  the same over a 10-minute run', unit: 'per-min', samples: [liveTen.times.length / (SIM.runMs / 60_000)], source: `simulated: a read every ${SAFETY_POLL_MS / 1000} s (safety poll)` }),
      figure({ id: 'appPerMinutePolling', label: 'the same, WebSocket refused (polling fallback)', unit: 'per-min', samples: [policies[1]?.perMinute ?? Number.NaN], target: TARGETS.appPerMinutePolling, source: 'simulated over 10 min (finishPollDelay)' }),
      figure({ id: 'pollingCheck', label: `  check: reads 1 s after READY → finished, ${FINISH_S} s run`, unit: 'count', samples: [pollingCheck.measured], source: `measured; simulated ${pollingCheck.simulated}; all reads READY → finished: ${p.appRequests}` }),
      figure({ id: 'finishPollingMs', label: '  finish seen (polling fallback)', unit: 'ms', samples: finiteOne(p.finishToExitMs), target: TARGETS.finishPollingMs, source: `measured to process exit (one ${FINISH_S} s run); over 10 min: ${fmt(policies[1]?.finishLatencyMs ?? Number.NaN, 'ms')} simulated` }),
    ];

    const pHead = ['policy', 'READY seen after', 'requests in a 12 s start', 'finish seen after', 'reads/min over 10 min', 'reads/min, last 5 min'];
    const pRows = policies.map((r) => [r.policy, fmt(r.readyLatencyMs, 'ms'), fmt(r.startRequests, 'count'), fmt(r.finishLatencyMs, 'ms'), fmt(r.perMinute, 'per-min'), fmt(r.steadyPerMinute, 'per-min')]);
    const sections: Section[] = [
      { title: 'Figures', head: FIGURE_HEAD, rows: figures.map(figureCells), right: FIGURE_RIGHT },
      { title: 'Polling policies, simulated with a virtual clock', head: pHead, rows: pRows, right: new Set([1, 2, 3, 4, 5]) },
    ];
    const notes = [
      '✅/❌ compare the median with the target. Wall-clock times on this machine over loopback; other work on the machine (the load average in the title) shows first in the max column.',
      '"Outputs written" is taken at the process exit: the outputs, the final comment and the summary are all written by then.',
      `The ${FINISH_S} s wait=finished runs check the simulation: the polling fallback's reads, measured and replayed from finishPollDelay(), are in the check row.`,
      `Policy table: READY moments uniform in a 12 s start ± 3 s, ends uniform in 10 min ± 30 s; this action's WebSocket row takes the measured finish → exit (${fmt(liveSeenMs, 'ms')}) as its detection time. Fixed policies read once per interval, starting at 0.`,
    ];
    const load = `load ${loadStart.toFixed(2)} → ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)}`;
    const title = `OpenHands Cloud Action bench · ${new Date().toISOString()} · node ${process.version} · ${os.cpus().length}× ${os.cpus()[0]?.model.trim() ?? 'cpu'} · ${load}`;
    const { text, md } = render(title, sections, notes);
    console.log(`\n${text}\n`);

    const json = {
      title,
      commit: gitCommit(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: { start: loadStart, end: os.loadavg()[0] ?? null },
      bundleSha256: createHash('sha256').update(readFileSync(path.join(dist, 'index.js'))).digest('hex'),
      options: { quick: QUICK, runs: RUNS, finishS: FINISH_S, resumeMs: RESUME_MS },
      targets: TARGETS,
      figures: figures.map((f) => ({ ...f, ...Object.fromEntries(Object.entries(stats(f.samples)).map(([k, v]) => [k, round(v, 3)])) })),
      policies,
      scenarios: { cold, ready, starts, sameKey, burst, burstFinished, resumed, finishLive: l, finishPolling: p },
      elapsedMs: round(performance.now() - began, 0),
    };
    mkdirSync(OUT_DIR, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (const name of [`bench-${stamp}`, 'latest']) {
      writeFileSync(path.join(OUT_DIR, `${name}.md`), md);
      writeFileSync(path.join(OUT_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    }
    console.log(`Wrote ${path.relative(process.cwd(), path.join(OUT_DIR, `bench-${stamp}.{md,json}`))} (and latest.{md,json}) in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const finiteOne = (x: number | null): number[] => (x !== null && Number.isFinite(x) ? [x] : []);
const perMin = (count: number, ms: number): number => (ms > 0 ? count / (ms / 60_000) : Number.NaN);

/** Bundles scripts/bench/stack-floor.ts as the action is bundled; undefined when ncc fails. */
function buildStackFloor(tmp: string): string | undefined {
  const out = path.join(tmp, 'stack-floor');
  progress('bench: bundling scripts/bench/stack-floor.ts (the cold-start floor of the stack)');
  try {
    execFileSync('ncc', ['build', path.join(ACTION_ROOT, 'scripts', 'bench', 'stack-floor.ts'), '-o', out, '--minify', '--quiet'], { cwd: ACTION_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    return path.join(out, 'index.js');
  } catch (error) {
    progress(`bench: could not bundle the stack floor: ${(error as Error).message}`);
    return undefined;
  }
}

/** Waits (≤ 60 s) until dist/index.js exists and has not changed for a second (a build may be running). */
async function distSettled(): Promise<boolean> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const now = existsSync(DIST_ENTRY) ? `${statSync(DIST_ENTRY).size}@${statSync(DIST_ENTRY).mtimeMs}` : '';
    if (now && now === last) return true;
    if (i === 1) progress('bench: waiting for dist/ to settle (a build is running?)');
    last = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ACTION_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'dist'], { cwd: ACTION_ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return null;
  }
}

process.exitCode = await main().catch((error: unknown) => {
  if (error instanceof CrashError) console.error(`bench: a run crashed: ${error.message}`);
  else console.error(`bench: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
});

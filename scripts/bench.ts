/**
 * `npm run bench [-- --runs N] [-- --quick] [-- --finish-s S]`
 *
 * Runs the BUILT action (dist/index.js) as a child process, exactly as the runner does (via
 * test/e2e/harness.ts), against the OpenHands Cloud emulator and the GitHub fake on loopback,
 * and reports latency and request figures next to their targets. Writes the tables as
 * markdown and JSON under bench-results/. Never asserts: exits 0 when a target is missed,
 * non-zero only when a run crashed (non-zero exit, timeout, harness error).
 *
 * Measured (real processes, real sockets):
 *   A  wait=ready, streaming,        start spread over 2.5–3.5 s  → cold start, time to link, READY→exit
 *   B  wait=ready, stream-start off, same starts (polling)        → READY→exit with the polling fallback
 *   C  wait=ready, streaming,        12 s start                   → OpenHands requests during the start
 *   D  wait=ready, stream-start off, 12 s start                   → same, polling fallback
 *   E  wait=finished, one run whose agent works --finish-s seconds → checks the simulation below
 *   P  probes: wait=none runs with a preload that timestamps node boot and bundle evaluation,
 *      and a one-line script's spawn → first request (the floor)
 *   S  diagnostic: A-like runs of a copy of dist/ without `import './sourcemap-register.cjs'`
 * Order: E runs in the background throughout (it sleeps between polls); C/D (parallel) run alone
 * first, then P, A, S, B one run at a time (--quick overlaps C/D with B to save time).
 * Simulated (virtual clock, no sleeping): the action's own schedules, finishPollDelay() and
 * startPollDelay() imported from src/, replayed over the 12 s start and a 10-minute run, next to
 * two reference policies (fixed 30 s polling as the existing OpenHands action does, fixed 3 s as
 * the OpenHands web app does).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ACTION_ROOT, DIST_ENTRY, runAction, type ActionRun } from '../test/e2e/harness.ts';
import { issueLabeled } from '../test/e2e/payloads.ts';
import { startEmulator, type ScenarioInput, type StartTaskStatus } from '../test/emulator/server.ts';
import { startGitHubFake } from '../test/fakes/github.ts';
import { GITHUB_SEED } from '../test/e2e/world.ts';

// src/ is written for the bundler (`./x.js` specifiers naming `./x.ts` files): map them so Node's
// type stripping can load the real schedule functions.
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

// ---- options ----------------------------------------------------------------------------------

const USAGE = 'usage: npm run bench -- [--runs N] [--quick] [--finish-s SECONDS]';
const argv = (() => {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'finish-s': { type: 'string' },
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
const QUICK = argv.quick ?? false;
const RUNS = clampInt(argv.runs, QUICK ? 3 : 7, 1, 50);
/** Parallel 12 s runs (C and D each). */
const RUNS_12S = QUICK ? Math.min(RUNS, 2) : RUNS;
/** Length of the agent's work in the real wait=finished run (E). */
const FINISH_S = clampInt(argv['finish-s'], QUICK ? 25 : 75, 5, 150);

function clampInt(raw: string | undefined, dflt: number, lo: number, hi: number): number {
  if (raw === undefined) return dflt;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < lo || n > hi) {
    console.error(`bench: expected an integer in [${lo}, ${hi}], got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const API_KEY = 'test-key';
const OUT_DIR = path.join(ACTION_ROOT, 'bench-results');
/** The bundle the runs use: a snapshot of dist/ taken at the start (dist/ may be rebuilt meanwhile). */
let ENTRY = DIST_ENTRY;

const TARGETS = {
  coldStartMs: 150,
  linkMs: 400,
  readyExitStreamMs: 100,
  readyExitPollMs: 1500,
  startRequestsStream: 3,
  finishPerMinute: 6,
  bundleBytes: 1_500_000,
} as const;

// ---- helpers ----------------------------------------------------------------------------------

class CrashError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const stats = (xs: readonly number[]) => ({
  n: xs.length,
  min: xs.length ? Math.min(...xs) : Number.NaN,
  median: median(xs),
  max: xs.length ? Math.max(...xs) : Number.NaN,
});
const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const idless = (p: string) => p.replace(/[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}').replace(/\/\d+(?=\/|$)/g, '/{n}');

/** Start-task phases and their share of the start (WAITING_FOR_SANDBOX dominates, as on the real service). */
const PHASE_SHARES: readonly [StartTaskStatus, number][] = [
  ['WORKING', 0.05],
  ['WAITING_FOR_SANDBOX', 0.4],
  ['PREPARING_REPOSITORY', 0.2],
  ['RUNNING_SETUP_SCRIPT', 0.15],
  ['SETTING_UP_GIT_HOOKS', 0.05],
  ['SETTING_UP_SKILLS', 0.1],
  ['STARTING_CONVERSATION', 0.05],
];
/** Phase timings adding up to exactly totalMs from the start request to READY. */
function startTimeline(totalMs: number): ScenarioInput {
  const durations: Partial<Record<StartTaskStatus, number>> = {};
  let sum = 0;
  for (const [phase, share] of PHASE_SHARES) sum += durations[phase] = Math.round(share * totalMs);
  durations.WAITING_FOR_SANDBOX = (durations.WAITING_FOR_SANDBOX ?? 0) + totalMs - sum;
  return { phaseMs: 0, phaseDurations: durations };
}

interface Req {
  server: 'openhands' | 'github';
  name: string;
  /** ms after spawn */
  t: number;
  status: number | null;
}

interface Sample {
  set: string;
  index: number;
  code: number | null;
  durationMs: number;
  startMs: number | null;
  coldStartMs: number | null;
  firstRequest: string | null;
  linkMs: number | null;
  /** READY transition, ms after spawn */
  readyMs: number | null;
  readyToExitMs: number | null;
  /** READY → the first comment edit after it (the action's reaction, without the exit) */
  readyToCommentMs: number | null;
  /** the start request's arrival → READY (checks the scenario) */
  startToReadyMs: number | null;
  ohRequests: number;
  /** OpenHands requests that arrived at or after READY */
  ohRequestsAfterReady: number;
  requests: Req[];
  probe?: Record<string, number>;
  status: string | undefined;
}

interface RunSpec {
  set: string;
  index: number;
  scenario: ScenarioInput;
  streamStart: boolean;
  wait: 'none' | 'ready' | 'finished';
  timeoutMs: number;
  env?: Record<string, string | undefined>;
  entry?: string;
  /** only a floor probe: no action outputs expected */
  floor?: boolean;
}

/** One run of the bundle in its own emulator + GitHub fake (fresh rate limiters, clean logs). */
async function runOnce(spec: RunSpec): Promise<Sample> {
  const emu = await startEmulator({ apiKeys: [API_KEY], scenario: spec.scenario, streamStart: spec.streamStart });
  const gh = await startGitHubFake(GITHUB_SEED);
  let run: ActionRun;
  try {
    try {
      run = await runAction({
        event: 'issues',
        payload: issueLabeled({ label: 'openhands' }),
        githubApiUrl: gh.url,
        inputs: { 'api-key': API_KEY, 'base-url': emu.url, wait: spec.wait, 'ready-timeout': '2m', 'finish-timeout': '5m' },
        timeoutMs: spec.timeoutMs,
        ...(spec.env ? { env: spec.env } : {}),
        entry: spec.entry ?? ENTRY,
      });
    } catch (error) {
      throw new CrashError(`${spec.set}#${spec.index}: ${(error as Error).message}`);
    }
    if (run.code !== 0) {
      throw new CrashError(
        `${spec.set}#${spec.index}: the action exited with ${run.code ?? run.signal}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
      );
    }
    const t0 = run.spawnedAt;
    const requests: Req[] = [
      ...emu.requests.map((r) => ({ server: 'openhands' as const, name: `${r.method} ${idless(r.path)}`, t: r.at - t0, status: r.status })),
      ...gh.requests.map((r) => ({ server: 'github' as const, name: `${r.method} ${idless(r.path)}`, t: r.at - t0, status: r.status ?? null })),
    ].sort((a, b) => a.t - b.t);
    const first = requests[0];
    const url = run.outputs['conversation-url'];
    const link = url
      ? gh.requests.find((r) => r.method === 'POST' && /\/issues\/\d+\/comments$/.test(r.path) && JSON.stringify(r.body ?? '').includes(url))
      : undefined;
    const ready = emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY');
    const startReq = emu.requests.find((r) => r.method === 'POST' && /^\/api\/v1\/app-conversations(\/stream-start)?$/.test(r.path) && r.status === 200);
    const probe: Record<string, number> = {};
    for (const m of run.stderr.matchAll(/^__bench_probe (\w+)=([\d.]+)$/gm)) probe[m[1] as string] = Number(m[2]) - t0;
    if (!spec.floor && !link) throw new CrashError(`${spec.set}#${spec.index}: no comment with the conversation link was posted\n${run.stdout}`);
    return {
      set: spec.set,
      index: spec.index,
      code: run.code,
      durationMs: run.durationMs,
      startMs: startReq ? startReq.at - t0 : null,
      coldStartMs: first ? first.t : null,
      firstRequest: first ? `${first.server}: ${first.name}` : null,
      linkMs: link ? link.at - t0 : null,
      readyMs: ready ? ready.at - t0 : null,
      readyToExitMs: ready ? run.exitedAt - ready.at : null,
      readyToCommentMs: ready ? afterReady(gh.requests.filter((r) => r.method === 'PATCH').map((r) => r.at), ready.at) : null,
      startToReadyMs: ready && startReq ? ready.at - startReq.at : null,
      ohRequests: emu.requests.length,
      ohRequestsAfterReady: ready ? emu.requests.filter((r) => r.at >= ready.at).length : 0,
      requests,
      ...(Object.keys(probe).length ? { probe } : {}),
      status: run.outputs.status,
    };
  } finally {
    await Promise.all([emu.close(), gh.close()]);
  }
}

const afterReady = (times: number[], readyAt: number): number | null => {
  const t = times.filter((x) => x >= readyAt).sort((x, y) => x - y)[0];
  return t === undefined ? null : t - readyAt;
};

const progress = (msg: string) => process.stderr.write(`${msg}\n`);

async function sequential(specs: RunSpec[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const s of specs) {
    const sample = await runOnce(s);
    progress(`  ${s.set}#${s.index}: ${(sample.durationMs / 1000).toFixed(2)} s, ${sample.ohRequests} OpenHands requests`);
    out.push(sample);
  }
  return out;
}

/** Runs concurrently, started `staggerMs` apart (to spread the process start-ups on a small machine). */
async function parallel(specs: RunSpec[], staggerMs: number): Promise<Sample[]> {
  return Promise.all(
    specs.map(async (s, i) => {
      await sleep(i * staggerMs);
      const sample = await runOnce(s);
      progress(`  ${s.set}#${s.index}: ${(sample.durationMs / 1000).toFixed(2)} s, ${sample.ohRequests} OpenHands requests`);
      return sample;
    }),
  );
}

// ---- virtual-clock simulations -------------------------------------------------------------------

const SIM = {
  /** READY moments for the latency medians: a 12 s start give or take 3 s, on a 1 ms grid. */
  readyFromMs: 9_000,
  readyToMs: 15_000,
  readyStepMs: 1,
  /** finish moments for the finish-detection medians: 10 min ± 30 s, on a 10 ms grid. */
  finishFromMs: 570_000,
  finishToMs: 630_000,
  finishStepMs: 10,
  startMs: 12_000,
  runMs: 600_000,
};

interface StartSim {
  requests: number;
  detectAtMs: number;
}
interface FinishSim {
  /** request times, ms after the wait began (READY) */
  times: number[];
  detectAtMs: number;
}

/**
 * Ours, start with the polling fallback (no stream-start): the stream-start attempt answered 404,
 * the plain POST (t = 0, the task starts), then polls after startPollDelay(0), (1), … as
 * waitForStartTask does, until one sees READY. Request time on loopback is taken as 0.
 */
function simOursStartPolling(readyAtMs: number): StartSim {
  let t = 0;
  let requests = 2;
  for (let poll = 0; poll < 10_000; poll++) {
    t += startPollDelay(t < readyAtMs * 0.6 ? 'WAITING_FOR_SANDBOX' : 'STARTING_CONVERSATION', t, () => 0.5);
    requests++;
    if (t >= readyAtMs) break;
  }
  return { requests, detectAtMs: t };
}

/** A fixed-interval policy: the start request at 0, then a poll every intervalMs. */
function simFixedStart(intervalMs: number, readyAtMs: number): StartSim {
  const k = Math.max(1, Math.ceil(readyAtMs / intervalMs));
  return { requests: 1 + k, detectAtMs: k * intervalMs };
}

/**
 * Ours, wait=finished, as waitForFinish does: read at once, then sleep
 * finishPollDelay(elapsed) between reads until a read sees the end, then one events read for
 * the final message (readFinalMessage finds it on the first page once the events caught up).
 */
function simOursFinish(runMs: number): FinishSim {
  const times: number[] = [];
  let t = 0;
  for (let i = 0; i < 100_000; i++) {
    times.push(t);
    if (t >= runMs) break;
    t += finishPollDelay(t);
  }
  times.push(t);
  return { times, detectAtMs: t };
}

/** A fixed-interval policy waiting for the end: a read every intervalMs after READY. */
function simFixedFinish(intervalMs: number, runMs: number): FinishSim {
  const times: number[] = [];
  for (let t = intervalMs; times.length < 100_000; t += intervalMs) {
    times.push(t);
    if (t >= runMs) break;
  }
  return { times, detectAtMs: times.at(-1) ?? 0 };
}

const perMinute = (s: FinishSim) => s.times.length / (s.detectAtMs / 60_000);
const perMinuteBetween = (s: FinishSim, fromMs: number, toMs: number) =>
  s.times.filter((t) => t >= fromMs && t < toMs).length / ((toMs - fromMs) / 60_000);

function grid(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to && out.length < 1_000_000; x += step) out.push(x);
  return out;
}

interface PolicyRow {
  policy: string;
  source: string;
  readyLatencyMs: number;
  startRequests: number;
  finishLatencyMs: number;
  perMinute: number;
  steadyPerMinute: number;
}

function comparePolicies(measured: { streamReadyExitMs: number; streamStartRequests: number }): PolicyRow[] {
  const readies = grid(SIM.readyFromMs, SIM.readyToMs, SIM.readyStepMs);
  const finishes = grid(SIM.finishFromMs, SIM.finishToMs, SIM.finishStepMs);
  const startRow = (f: (r: number) => StartSim) => ({
    readyLatencyMs: median(readies.map((r) => f(r).detectAtMs - r)),
    startRequests: median(readies.map((r) => f(r).requests)),
  });
  const finishRow = (f: (r: number) => FinishSim) => {
    const ten = f(SIM.runMs);
    return {
      finishLatencyMs: median(finishes.map((x) => f(x).detectAtMs - x)),
      perMinute: perMinute(ten),
      steadyPerMinute: perMinuteBetween(ten, SIM.runMs / 2, SIM.runMs),
    };
  };
  const oursFinish = finishRow(simOursFinish);
  return [
    {
      policy: 'ours, streaming start',
      source: 'start: measured (C, A); finish: simulated',
      readyLatencyMs: measured.streamReadyExitMs,
      startRequests: measured.streamStartRequests,
      ...oursFinish,
    },
    { policy: 'ours, polling fallback', source: 'simulated', ...startRow(simOursStartPolling), ...oursFinish },
    { policy: 'fixed 30 s (existing OpenHands action)', source: 'simulated', ...startRow((r) => simFixedStart(30_000, r)), ...finishRow((r) => simFixedFinish(30_000, r)) },
    { policy: 'fixed 3 s (OpenHands web app)', source: 'simulated', ...startRow((r) => simFixedStart(3_000, r)), ...finishRow((r) => simFixedFinish(3_000, r)) },
  ];
}

// ---- probes ------------------------------------------------------------------------------------

const PROBE_SOURCE = `// bench probe: timestamps (epoch ms) of node boot and of the bundle's first file command
import fs from 'node:fs';
const now = () => performance.timeOrigin + performance.now();
const emit = (k, v) => process.stderr.write('__bench_probe ' + k + '=' + v.toFixed(3) + '\\n');
emit('processStart', performance.timeOrigin);
emit('preload', now());
const append = fs.appendFileSync;
let first = true;
fs.appendFileSync = function (...args) {
  if (first) { first = false; emit('firstFileCommand', now()); }
  return append.apply(this, args);
};
process.on('exit', () => emit('exit', now()));
`;

const FLOOR_SOURCE = `// bench floor: the least a node process needs to send one HTTP request
import http from 'node:http';
http.get(process.env.GITHUB_API_URL + '/floor', (res) => res.resume()).on('error', () => {});
`;

// ---- formatting --------------------------------------------------------------------------------

interface Figure {
  id: string;
  label: string;
  unit: 'ms' | 'count' | 'per-min' | 'bytes';
  samples: number[];
  source: string;
  target?: number;
  /** pass when median ≤ target */
  pass?: boolean;
}

function fmt(x: number, unit: Figure['unit']): string {
  if (!Number.isFinite(x)) return '—';
  switch (unit) {
    case 'ms':
      return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
    case 'count':
      return Number.isInteger(x) ? String(x) : x.toFixed(1);
    case 'per-min':
      return `${x.toFixed(2)}/min`;
    case 'bytes':
      return `${(x / 1e6).toFixed(3)} MB`;
  }
}

function figureCells(f: Figure): string[] {
  const s = stats(f.samples);
  const single = s.n === 1;
  return [
    f.label,
    String(s.n),
    single ? '' : fmt(s.min, f.unit),
    fmt(s.median, f.unit),
    single ? '' : fmt(s.max, f.unit),
    f.target === undefined ? '' : `≤ ${fmt(f.target, f.unit)}`,
    f.pass === undefined ? '' : f.pass ? '✅' : '❌',
    f.source,
  ];
}

/** Display width, counting the emoji used here as 2 columns. */
const width = (s: string) => [...s].reduce((w, c) => w + (/[✅❌]/u.test(c) ? 2 : 1), 0);
const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));
const padStart = (s: string, n: number) => ' '.repeat(Math.max(0, n - width(s))) + s;

function textTable(head: string[], rows: string[][], right: Set<number>): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? padStart(c, widths[i] ?? 0) : padEnd(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(head: string[], rows: string[][], right: Set<number>): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const began = performance.now();
  if (!(await distSettled())) {
    console.error('bench: dist/index.js is missing (or still being written): run `npm run build` first');
    return 2;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'oh-bench-'));
  cpSync(path.dirname(DIST_ENTRY), path.join(tmp, 'dist'), { recursive: true });
  ENTRY = path.join(tmp, 'dist', 'index.js');
  const probeFile = path.join(tmp, 'probe.mjs');
  const floorFile = path.join(tmp, 'floor.mjs');
  writeFileSync(probeFile, PROBE_SOURCE);
  writeFileSync(floorFile, FLOOR_SOURCE);
  const strippedEntry = stripSourceMapRegister(tmp);
  const loadStart = os.loadavg()[0] ?? Number.NaN;
  progress(`bench: ${QUICK ? 'quick, ' : ''}${RUNS} runs per measured set, ${RUNS_12S} parallel 12 s runs per set, one ${FINISH_S} s wait=finished run; node ${process.version}, ${os.cpus().length} CPUs`);

  try {
    // E in the background from the start: it sleeps most of the time (its polls are the point).
    const finishSpec: RunSpec = {
      set: 'E',
      index: 0,
      scenario: { phaseMs: 50, execution: [{ afterMs: 0, status: 'running' }, { afterMs: FINISH_S * 1000, status: 'finished' }] },
      streamStart: true,
      wait: 'finished',
      timeoutMs: FINISH_S * 1000 + 60_000,
    };
    progress(`E: wait=finished, the agent works ${FINISH_S} s (background)`);
    const finishRun = runOnce(finishSpec);
    finishRun.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile

    // Spread the 3 s starts evenly over 2.5–3.5 s: polling latency then is not measured at one (lucky or unlucky) phase.
    const threeS = (i: number) => startTimeline(Math.round(2500 + (1000 * (i + 0.5)) / RUNS));
    const ready = 'ready' as const;
    const twelve = () =>
      parallel(
        [
          ...Array.from({ length: RUNS_12S }, (_, i) => ({ set: 'C', index: i, scenario: startTimeline(SIM.startMs), streamStart: true, wait: ready, timeoutMs: 40_000 })),
          ...Array.from({ length: RUNS_12S }, (_, i) => ({ set: 'D', index: i, scenario: startTimeline(SIM.startMs), streamStart: false, wait: ready, timeoutMs: 40_000 })),
        ],
        150,
      );

    // C and D only count requests. Full mode runs them alone (with E) so that their start-ups and
    // their simultaneous READY do not disturb the latency sets; --quick overlaps them with B.
    let cd: Promise<Sample[]> | undefined;
    if (!QUICK) {
      progress(`C/D: ${RUNS_12S}+${RUNS_12S} parallel 12 s starts (streaming / polling fallback)`);
      cd = twelve();
      await cd;
    }

    progress(`P: ${RUNS} probed runs (wait=none) + ${RUNS} floor runs`);
    const floor = await sequential(
      Array.from({ length: RUNS }, (_, i) => ({ set: 'floor', index: i, scenario: threeS(i), streamStart: true, wait: ready, timeoutMs: 10_000, entry: floorFile, floor: true })),
    );
    const probed = await sequential(
      Array.from({ length: RUNS }, (_, i) => ({
        set: 'P',
        index: i,
        scenario: threeS(i),
        streamStart: true,
        wait: 'none' as const,
        timeoutMs: 20_000,
        env: { NODE_OPTIONS: `--import=${pathToFileURL(probeFile).href}` },
      })),
    );

    progress(`A: ${RUNS} runs, wait=ready, streaming, ~3 s start`);
    const a = await sequential(Array.from({ length: RUNS }, (_, i) => ({ set: 'A', index: i, scenario: threeS(i), streamStart: true, wait: ready, timeoutMs: 20_000 })));

    // Diagnostic: the same bundle without its `import './sourcemap-register.cjs'` (source-map-support
    // parses the whole map synchronously the first time any error stack is formatted).
    let noReg: Sample[] = [];
    if (strippedEntry) {
      progress(`S: ${RUNS} runs, wait=ready, streaming, 1 s start, bundle without sourcemap-register (diagnostic)`);
      noReg = await sequential(
        Array.from({ length: RUNS }, (_, i) => ({ set: 'S', index: i, scenario: startTimeline(1000), streamStart: true, wait: ready, timeoutMs: 20_000, entry: strippedEntry })),
      );
    }

    progress(`B: ${RUNS} runs, wait=ready, polling fallback, ~3 s start${QUICK ? `; C/D: ${RUNS_12S}+${RUNS_12S} parallel 12 s starts` : ''}`);
    if (QUICK) {
      cd = twelve();
      cd.catch(() => {});
    }
    const b = await sequential(Array.from({ length: RUNS }, (_, i) => ({ set: 'B', index: i, scenario: threeS(i), streamStart: false, wait: ready, timeoutMs: 20_000 })));
    const cdSamples = await (cd as Promise<Sample[]>);
    const c = cdSamples.filter((x) => x.set === 'C');
    const d = cdSamples.filter((x) => x.set === 'D');
    progress('E: waiting for the wait=finished run');
    const e = await finishRun;

    // ---- figures ----
    const num = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
    const bundleBytes = statSync(ENTRY).size;
    const mapBytes = existsSync(`${ENTRY}.map`) ? statSync(`${ENTRY}.map`).size : Number.NaN;
    const simTen = simOursFinish(SIM.runMs);
    const simShort = simOursFinish(FINISH_S * 1000);
    const eWaitMs = e.readyMs !== null ? e.durationMs - e.readyMs : Number.NaN;
    const ePerMin = e.ohRequestsAfterReady / (eWaitMs / 60_000);

    const figures: Figure[] = [];
    const add = (f: Omit<Figure, 'pass'>) => figures.push({ ...f, ...(f.target === undefined ? {} : { pass: median(f.samples) <= f.target }) });
    add({ id: 'coldStartMs', label: 'Cold start: spawn → first request', unit: 'ms', samples: num(a.map((s) => s.coldStartMs)), target: TARGETS.coldStartMs, source: `measured, A (${RUNS} runs)` });
    add({ id: 'linkMs', label: 'Time to link: spawn → comment with link', unit: 'ms', samples: num(a.map((s) => s.linkMs)), target: TARGETS.linkMs, source: 'measured, A' });
    add({ id: 'startRequestMs', label: 'Spawn → OpenHands start request', unit: 'ms', samples: num(a.map((s) => s.startMs)), source: 'measured, A' });
    add({ id: 'readyExitStreamMs', label: 'READY → exit, streaming', unit: 'ms', samples: num(a.map((s) => s.readyToExitMs)), target: TARGETS.readyExitStreamMs, source: 'measured, A' });
    add({ id: 'readyCommentStreamMs', label: '  READY → final comment edit, streaming', unit: 'ms', samples: num(a.map((s) => s.readyToCommentMs)), source: 'measured, A (the reaction without the exit)' });
    if (noReg.length) add({ id: 'readyExitStreamNoRegisterMs', label: '  READY → exit, streaming, no sourcemap-register', unit: 'ms', samples: num(noReg.map((x) => x.readyToExitMs)), source: `diagnostic, S (${RUNS} runs): dist/ minus its source-map-support import` });
    add({ id: 'readyExitPollMs', label: 'READY → exit, polling fallback', unit: 'ms', samples: num(b.map((s) => s.readyToExitMs)), target: TARGETS.readyExitPollMs, source: `measured, B (${RUNS} runs)` });
    add({ id: 'startRequestsStream', label: 'OpenHands requests, 12 s start, streaming', unit: 'count', samples: c.map((s) => s.ohRequests), target: TARGETS.startRequestsStream, source: `measured, C (${RUNS_12S} runs)` });
    add({ id: 'startRequestsPoll', label: 'OpenHands requests, 12 s start, polling', unit: 'count', samples: d.map((s) => s.ohRequests), source: `measured, D (${RUNS_12S} runs); sim ${simOursStartPolling(SIM.startMs).requests}` });
    add({ id: 'finishPerMinute', label: 'OpenHands requests/min, 10-min run', unit: 'per-min', samples: [perMinute(simTen)], target: TARGETS.finishPerMinute, source: `simulated (virtual clock, finishPollDelay); ${simTen.times.length} requests` });
    add({ id: 'finishPerMinuteSteady', label: '  same, last 5 minutes only', unit: 'per-min', samples: [perMinuteBetween(simTen, SIM.runMs / 2, SIM.runMs)], source: 'simulated' });
    add({ id: 'finishShortReal', label: `  check: ${FINISH_S} s run, measured`, unit: 'per-min', samples: [ePerMin], source: `measured, E: ${e.ohRequestsAfterReady} requests after READY` });
    add({ id: 'finishShortSim', label: `  check: ${FINISH_S} s run, simulated`, unit: 'per-min', samples: [perMinute(simShort)], source: `simulated: ${simShort.times.length} requests` });
    add({ id: 'bundleBytes', label: 'dist/index.js', unit: 'bytes', samples: [bundleBytes], target: TARGETS.bundleBytes, source: `${bundleBytes} bytes` });
    add({ id: 'mapBytes', label: 'dist/index.js.map', unit: 'bytes', samples: [mapBytes], source: `${mapBytes} bytes` });

    const policies = comparePolicies({
      streamReadyExitMs: median(num(a.map((s) => s.readyToExitMs))),
      streamStartRequests: median(c.map((s) => s.ohRequests)),
    });

    // ---- cold start breakdown (probe runs; the preload itself costs a few ms) ----
    const pm = (k: string) => median(num(probed.map((s) => s.probe?.[k] ?? null)));
    const pmDiff = (k1: string, k2: string) =>
      median(num(probed.map((s) => (s.probe?.[k1] !== undefined && s.probe?.[k2] !== undefined ? (s.probe[k2] as number) - (s.probe[k1] as number) : null))));
    const probeFirst = median(num(probed.map((s) => s.coldStartMs)));
    const breakdown = {
      floorSpawnToRequestMs: median(num(floor.map((s) => s.coldStartMs))),
      spawnToProcessStartMs: pm('processStart'),
      processStartToPreloadMs: pmDiff('processStart', 'preload'),
      preloadToFirstFileCommandMs: pmDiff('preload', 'firstFileCommand'),
      firstFileCommandToFirstRequestMs: median(
        num(probed.map((s) => (s.probe?.firstFileCommand !== undefined && s.coldStartMs !== null ? s.coldStartMs - s.probe.firstFileCommand : null))),
      ),
      probedSpawnToFirstRequestMs: probeFirst,
      firstRequest: a[0]?.firstRequest ?? null,
    };

    // A typical run's timeline (the A run with the median cold start).
    const typical = [...a].sort((x, y) => (x.coldStartMs ?? 0) - (y.coldStartMs ?? 0))[Math.floor(a.length / 2)] as Sample;

    // ---- print ----
    const head = ['Figure', 'n', 'min', 'median', 'max', 'target', 'ok', 'source'];
    const right = new Set([1, 2, 3, 4]);
    const rows = figures.map(figureCells);

    const pHead = ['Policy', 'READY latency', 'req. in 12 s start', 'finish latency', 'req./min (10 min)', 'req./min (last 5 min)', 'source'];
    const pRows = policies.map((p) => [
      p.policy,
      fmt(p.readyLatencyMs, 'ms'),
      fmt(p.startRequests, 'count'),
      fmt(p.finishLatencyMs, 'ms'),
      fmt(p.perMinute, 'per-min'),
      fmt(p.steadyPerMinute, 'per-min'),
      p.source,
    ]);
    const ratio = (x: number, y: number) => (y === 0 ? '—' : `${(x / y).toFixed(2)}×`);
    const rHead = ['ours / theirs', 'READY latency', 'req. in 12 s start', 'finish latency', 'req./min (10 min)'];
    const rRows: string[][] = [];
    for (const ours of policies.slice(0, 2)) {
      for (const theirs of policies.slice(2)) {
        rRows.push([
          `${ours.policy} / ${theirs.policy.replace(/ \(.*\)$/, '')}`,
          ratio(ours.readyLatencyMs, theirs.readyLatencyMs),
          ratio(ours.startRequests, theirs.startRequests),
          ratio(ours.finishLatencyMs, theirs.finishLatencyMs),
          ratio(ours.perMinute, theirs.perMinute),
        ]);
      }
    }
    const bHead = ['Cold start phase (median)', 'ms'];
    const bRows = [
      ['floor: one-line script, spawn → first request', fmt(breakdown.floorSpawnToRequestMs, 'ms')],
      ['spawn → process start (performance.timeOrigin)', fmt(breakdown.spawnToProcessStartMs, 'ms')],
      ['process start → preload runs (node boot)', fmt(breakdown.processStartToPreloadMs, 'ms')],
      ['preload → first setOutput (bundle load + evaluate)', fmt(breakdown.preloadToFirstFileCommandMs, 'ms')],
      ['first setOutput → first request (inputs, event, octokit, connect)', fmt(breakdown.firstFileCommandToFirstRequestMs, 'ms')],
      ['total with the probe: spawn → first request', fmt(breakdown.probedSpawnToFirstRequestMs, 'ms')],
    ];
    const timeline = typical.requests
      .map((r) => `${fmt(r.t, 'ms').padStart(9)}  ${r.server === 'github' ? 'GitHub   ' : 'OpenHands'}  ${r.name}${r.status === null ? '' : ` → ${r.status}`}`)
      .concat([
        `${fmt(typical.readyMs ?? Number.NaN, 'ms').padStart(9)}  emulator   READY`,
        `${fmt(typical.durationMs, 'ms').padStart(9)}  action     exit`,
      ])
      .sort((x, y) => parseTime(x) - parseTime(y));

    const notes = [
      'Pass/fail (✅/❌) compares the median with the target. Times are wall clock on this machine over loopback; other work on the machine (see the load average in the title) shows up in the max column first.',
      `A/B: the start (request → READY) is spread evenly over 2.5–3.5 s across runs (measured: ${fmt(median(num(a.map((s) => s.startToReadyMs))), 'ms')} median), so polling is not judged at one phase.`,
      `C/D: phase timings add up to 12 s (measured start → READY: ${fmt(median(num(c.map((s) => s.startToReadyMs))), 'ms')}); counts include the stream-start attempt that gets 404 in D.`,
      `Requests/min while waiting for finish: SIMULATED with a virtual clock from finishPollDelay() (src/openhands/follow.ts): reads from READY until the first read after the end (10 min), plus the final-message read, divided by the wait. Checked against a real ${FINISH_S} s run (E).`,
      `Policy comparison: READY latency and start requests are medians over READY moments uniform in [${SIM.readyFromMs / 1000}, ${SIM.readyToMs / 1000}] s (a 12 s start ± 3 s, 1 ms grid), computed with a virtual clock (startPollDelay() for ours); finish latency over end moments uniform in 10 min ± 30 s. "ours, streaming" READY latency is the measured READY → exit (includes the final comment and exit), the others are detection only. Fixed policies: the start request at 0, then one request per interval, no final-message read.`,
    ];

    const load = `load ${loadStart.toFixed(2)} → ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)}`;
    const title = `OpenHands Cloud Action bench · ${new Date().toISOString()} · node ${process.version} · ${os.cpus().length}× ${os.cpus()[0]?.model.trim() ?? 'cpu'} · ${load}`;
    const text = [
      title,
      '',
      textTable(head, rows, right),
      '',
      textTable(pHead, pRows, new Set([1, 2, 3, 4, 5])),
      '',
      textTable(rHead, rRows, new Set([1, 2, 3, 4])),
      '',
      textTable(bHead, bRows, new Set([1])),
      `first request: ${breakdown.firstRequest ?? '—'}`,
      '',
      `Typical run (A#${typical.index}, median cold start), ms after spawn:`,
      ...timeline.map((l) => `  ${l}`),
      '',
      ...notes.map((n) => `• ${n}`),
    ].join('\n');
    console.log(`\n${text}\n`);

    const md = [
      `# ${title}`,
      '',
      mdTable(head, rows, right),
      '',
      '## Polling policies (same emulator timelines)',
      '',
      mdTable(pHead, pRows, new Set([1, 2, 3, 4, 5])),
      '',
      mdTable(rHead, rRows, new Set([1, 2, 3, 4])),
      '',
      '## Cold start breakdown',
      '',
      mdTable(bHead, bRows, new Set([1])),
      '',
      `First request: \`${breakdown.firstRequest ?? '—'}\``,
      '',
      `## Typical run (A#${typical.index}, median cold start), ms after spawn`,
      '',
      '```text',
      ...timeline,
      '```',
      '',
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n');

    const json = {
      title,
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      loadAverage: { start: loadStart, end: os.loadavg()[0] ?? null },
      commit: gitCommit(),
      bundleSha256: createHash('sha256').update(readFileSync(ENTRY)).digest('hex'),
      options: { quick: QUICK, runs: RUNS, runs12s: RUNS_12S, finishS: FINISH_S },
      targets: TARGETS,
      figures: figures.map((f) => ({ ...f, ...Object.fromEntries(Object.entries(stats(f.samples)).map(([k, v]) => [k, round(v, 3)])) })),
      policies,
      breakdown,
      simulation: {
        settings: SIM,
        oursFinish10min: { requests: simTen.times.length, detectAtMs: simTen.detectAtMs, times: simTen.times },
        oursFinishShort: { runMs: FINISH_S * 1000, requests: simShort.times.length, times: simShort.times },
        oursStartPolling12s: simOursStartPolling(SIM.startMs),
      },
      samples: [...floor, ...probed, ...a, ...noReg, ...b, ...c, ...d, e],
      elapsedMs: round(performance.now() - began, 0),
    };

    mkdirSync(OUT_DIR, { recursive: true });
    const stamp = json.date.replace(/[:.]/g, '-');
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

/** Waits (≤ 60 s) until dist/index.js exists and has not changed for a second (a build may be running). */
async function distSettled(): Promise<boolean> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const now = existsSync(DIST_ENTRY) ? `${statSync(DIST_ENTRY).size}@${statSync(DIST_ENTRY).mtimeMs}` : '';
    if (now && now === last) return true;
    if (i === 1) progress('bench: waiting for dist/ to settle (a build is running?)');
    last = now;
    await sleep(1000);
  }
  return false;
}

/** A copy of dist/ whose index.js does not import sourcemap-register.cjs; undefined when it does not anyway. */
function stripSourceMapRegister(tmp: string): string | undefined {
  const dir = path.join(tmp, 'dist-no-sourcemap-register');
  cpSync(path.dirname(ENTRY), dir, { recursive: true });
  const entry = path.join(dir, 'index.js');
  const code = readFileSync(entry, 'utf8');
  const stripped = code.replace(/^import\s*['"]\.\/sourcemap-register\.cjs['"];?/, '');
  if (stripped === code) return undefined;
  writeFileSync(entry, stripped);
  return entry;
}

function parseTime(line: string): number {
  const m = /^\s*([\d.]+) (ms|s)/.exec(line);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : 0;
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

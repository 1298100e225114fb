/**
 * Running the built action for the bench: each run is a child process of dist/index.js (as the
 * runner starts it, via test/e2e/harness.ts) against the emulator and the GitHub fake on loopback.
 */
import { runAction, type ActionRun, type RunActionOptions } from '../../test/e2e/harness.ts';
import { GITHUB_SEED } from '../../test/e2e/world.ts';
import { startEmulator, type Emulator, type EmulatorOptions, type RecordedRequest, type ScenarioInput, type StartTaskStatus } from '../../test/emulator/server.ts';
import { startGitHubFake, type GitHubFake, type GitHubFakeOptions } from '../../test/fakes/github.ts';

export const API_KEY = 'test-key';

/** A run that did not end as it should: the bench reports it and exits 1. */
export class CrashError extends Error {}

export interface World {
  readonly emu: Emulator;
  readonly gh: GitHubFake;
  close(): Promise<void>;
}

/** A fresh emulator (its own rate limiters) and GitHub fake. */
export async function newWorld(o: { emulator?: EmulatorOptions; github?: GitHubFakeOptions } = {}): Promise<World> {
  const emu = await startEmulator({ apiKeys: [API_KEY], ...o.emulator });
  const gh = await startGitHubFake({ ...GITHUB_SEED, ...o.github });
  return { emu, gh, close: async () => void (await Promise.all([emu.close(), gh.close()])) };
}

export interface RunSpec extends Omit<RunActionOptions, 'githubApiUrl' | 'inputs' | 'event'> {
  /** default 'issues' */
  readonly event?: string;
  /** e.g. "ready#3", for progress lines and crash reports */
  readonly label: string;
  readonly inputs?: Record<string, string>;
  /** a script that is not the action (the floor probe): its exit code and outputs are not checked */
  readonly notAction?: boolean;
  /** a failed run is a result, not a crash (the burst counts how runs ended) */
  readonly allowFailure?: boolean;
}

export interface Sample {
  readonly label: string;
  readonly run: ActionRun;
  /** this run's requests (between spawn and exit), by server */
  readonly oh: RecordedRequest[];
  readonly gh: { method: string; path: string; at: number; status?: number | null; body?: unknown }[];
  /** spawn → the first request either server received */
  readonly firstRequestMs: number | null;
  readonly firstRequest: string | null;
}

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** The bundle the runs use (a snapshot of dist/, so that a concurrent build does not break them). */
let entry: string | undefined;
export const useEntry = (file: string): void => void (entry = file);

export async function runIn(w: World, spec: RunSpec): Promise<Sample> {
  const { label, notAction, allowFailure, inputs, event, ...opts } = spec;
  let run: ActionRun;
  try {
    run = await runAction({
      ...opts,
      event: event ?? 'issues',
      ...(opts.entry || !entry ? {} : { entry }),
      githubApiUrl: w.gh.url,
      inputs: { 'api-key': API_KEY, 'base-url': w.emu.url, 'ready-timeout': '2m', 'finish-timeout': '5m', ...inputs },
    });
  } catch (error) {
    throw new CrashError(`${label}: ${(error as Error).message}`);
  }
  if (!notAction && !allowFailure && run.code !== 0) {
    throw new CrashError(`${label}: the action exited with ${run.code ?? run.signal}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
  const within = (at: number): boolean => at >= run.spawnedAt && at <= run.exitedAt;
  const oh = w.emu.requests.filter((r) => within(r.at));
  const gh = w.gh.requests.filter((r) => within(r.at));
  const first = [...oh.map((r) => ({ at: r.at, name: `OpenHands ${r.method} ${r.path}` })), ...gh.map((r) => ({ at: r.at, name: `GitHub ${r.method} ${r.path}` }))].sort(
    (a, b) => a.at - b.at,
  )[0];
  progress(`  ${label}: ${(run.durationMs / 1000).toFixed(2)} s, ${oh.length} OpenHands requests`);
  return { label, run, oh, gh, firstRequestMs: first ? first.at - run.spawnedAt : null, firstRequest: first?.name.replace(/[0-9a-f]{32}/g, '{id}') ?? null };
}

/** One run in its own world. */
export async function runAlone(spec: RunSpec, world: { emulator?: EmulatorOptions; github?: GitHubFakeOptions } = {}): Promise<Sample & { emu: Emulator }> {
  const w = await newWorld(world);
  try {
    return { ...(await runIn(w, spec)), emu: w.emu };
  } finally {
    await w.close();
  }
}

export async function sequential<T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return out;
}

/** n at once, started `staggerMs` apart. */
export const parallel = <T>(n: number, staggerMs: number, f: (i: number) => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => new Promise((r) => setTimeout(r, i * staggerMs)).then(() => f(i))));

/** Start-task phases and their share of the start (the sandbox boot dominates, as on the real service). */
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
export function startTimeline(totalMs: number): ScenarioInput {
  const durations: Partial<Record<StartTaskStatus, number>> = {};
  let sum = 0;
  for (const [phase, share] of PHASE_SHARES) sum += durations[phase] = Math.round(share * totalMs);
  durations.WAITING_FOR_SANDBOX = (durations.WAITING_FOR_SANDBOX ?? 0) + totalMs - sum;
  return { phaseMs: 0, phaseDurations: durations };
}

/** When the emulator's start task (of `conversationId`, or the first) turned READY. */
export function readyAt(emu: Emulator, conversationId?: string): number | undefined {
  return emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY' && (!conversationId || t.conversationId === conversationId))?.at;
}

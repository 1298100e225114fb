/**
 * One test world: the OpenHands emulator and the GitHub fake on loopback, and `run()` that
 * executes the built action against both, the way the runner does.
 */
import { afterEach } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.ts';
import { startGitHubFake, type GitHubFake, type GitHubFakeOptions } from '../fakes/github.ts';
import { runAction, type ActionRun, type RunActionOptions } from './harness.ts';

export const API_KEY = 'test-key';

/** The repository every test starts with: issue 1, PR 2 (head `changes`), tracking issue 7, a writer. */
export const GITHUB_SEED = {
  issues: [
    { number: 1, title: 'Spelling error in the README file' },
    { number: 2, title: 'Update the README', pull_request: { head: { ref: 'changes' }, base: { ref: 'main' } } },
    { number: 7, title: 'Nightly chores' },
  ],
  permissions: { Codertocat: 'write' },
} satisfies GitHubFakeOptions;

export interface World {
  readonly emu: Emulator;
  readonly gh: GitHubFake;
  run(opts: Omit<RunActionOptions, 'githubApiUrl'>): Promise<ActionRun>;
  /** OpenHands requests the action made (start requests, polls, …), as "METHOD /path" */
  ohRequests(): string[];
  /** start requests (plain and streaming) */
  starts(): number;
  close(): Promise<void>;
}

export async function world(o: { emulator?: EmulatorOptions; github?: GitHubFakeOptions } = {}): Promise<World> {
  const emu = await startEmulator({ scenario: { phaseMs: 20 }, ...o.emulator });
  const gh = await startGitHubFake({ ...GITHUB_SEED, ...o.github });
  return {
    emu,
    gh,
    run: (opts) =>
      runAction({
        ...opts,
        githubApiUrl: gh.url,
        inputs: { 'api-key': API_KEY, 'base-url': emu.url, ...opts.inputs },
      }),
    ohRequests: () => emu.requests.map((r) => `${r.method} ${r.path}`),
    starts: () => emu.requests.filter((r) => r.method === 'POST' && /^\/api\/v1\/app-conversations(\/stream-start)?$/.test(r.path)).length,
    close: async () => {
      await Promise.all([emu.close(), gh.close()]);
    },
  };
}

/** Everything the run put where a person or a later step can read it. */
export function everythingVisible(run: ActionRun, gh: GitHubFake): string {
  return [
    run.stdout.replace(/^::add-mask::.*$/gm, ''),
    run.stderr,
    JSON.stringify(run.outputs),
    run.summary,
    JSON.stringify(run.state),
    ...gh.comments.map((c) => c.body),
    ...gh.issues.map((i) => `${i.title}\n${i.body ?? ''}`),
  ].join('\n');
}

/**
 * A world per test, closed after each: `open()` starts one (the test that calls it owns it until
 * it ends). For test files whose tests each need their own emulator options.
 */
export function worldPerTest(): (o?: Parameters<typeof world>[0]) => Promise<World> {
  let current: World | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (o = {}) => (current = await world(o));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `pred` holds (checked every `everyMs`); fails the test after `ms`. */
export async function until(pred: () => unknown, what: string, ms = 15_000, everyMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

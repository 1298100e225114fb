/**
 * Randomized fault injection through the built action (issue 12). Each case takes a seed; the
 * seed picks a scenario (event, wait mode), one or two faults over OpenHands and GitHub, and
 * maybe a SIGINT mid-wait. The action runs (main, then post with the saved state) and the
 * invariants are checked: at most one start, exactly one sticky comment holding the final
 * state (when the run got as far as a comment), exit code = status, no secret anywhere, no raw
 * stack trace shown to the user.
 *
 * CI runs a few cases; `FAULT_CASES=300 npx vitest run test/e2e/fault-injection.test.ts` runs
 * more, `FAULT_SEED=<seed> FAULT_CASES=1` replays one (the seed is in the test name).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/report.ts';
import { STATUS } from '../../src/status.ts';
import type { FaultSpec } from '../fakes/github.ts';
import type { Fault } from '../emulator/types.ts';
import type { ActionRun } from './harness.ts';
import { issueComment, issueLabeled, schedule } from './payloads.ts';
import { seeded, type Rng } from './seeded.ts';
import { everythingVisible, world, type World } from './world.ts';

const CASES = Number(process.env.FAULT_CASES ?? 8);
const FIRST_SEED = Number(process.env.FAULT_SEED ?? 1201);
const API_KEY = 'oh-fault-key-5e1b7c93a4d2';
const MARKER = /^<!-- openhands-cloud-action key="[^"]*" state="([A-Za-z0-9_-]+)" -->/;

type Wait = 'none' | 'ready' | 'finished';
type Event = 'labeled' | 'mention' | 'schedule';
type Injected = { side: 'openhands'; fault: Fault; label: string } | { side: 'github'; fault: FaultSpec; label: string };

interface Case {
  seed: number;
  event: Event;
  wait: Wait;
  faults: Injected[];
  sigint: boolean;
}

const OH_TARGETS: Array<[string, string, RegExp]> = [
  ['start', 'POST', /^\/api\/v1\/app-conversations$/],
  ['start-task poll', 'GET', /^\/api\/v1\/app-conversations\/start-tasks/],
  ['conversation read', 'GET', /^\/api\/v1\/app-conversations(?!\/start-tasks)/],
  ['sandbox read', 'GET', /^\/api\/v1\/sandboxes/],
  ['events', 'GET', /\/events/],
];
const GH_TARGETS: Array<[string, string, RegExp, boolean]> = [
  ['comment create', 'POST', /\/issues\/\d+\/comments$/, true],
  ['comment edit', 'PATCH', /\/issues\/comments\/\d+$/, true],
  ['comment list', 'GET', /\/issues\/\d+\/comments/, false],
  ['permission check', 'GET', /\/collaborators\/[^/]+\/permission/, false],
  ['reaction', 'POST', /\/reactions$/, true],
  ['check run', 'POST', /\/check-runs/, true],
];

function openHandsFault(rng: Rng): Injected {
  const [where, method, path] = rng.pick(OH_TARGETS);
  const times = rng.pick([1, 1, 2]);
  const kind = rng.pick(['5xx', '429', 'reset', 'reset-after', 'html', 'truncated', 'delay'] as const);
  const base = { method, path, times };
  const fault: Fault =
    kind === '5xx'
      ? { ...base, kind: 'status', status: rng.pick([500, 502, 503]) }
      : kind === '429'
        ? { ...base, kind: 'status', status: 429, retryAfter: 1 }
        : kind === 'truncated'
          ? { ...base, kind: 'status', status: 200, body: '{"items": [{"id": "', contentType: 'application/json' }
          : kind === 'delay'
            ? { ...base, kind: 'delay', ms: rng.int(200, 1500), when: rng.pick(['before', 'after'] as const) }
            : { ...base, kind };
  return { side: 'openhands', fault, label: `OpenHands ${kind}×${times} on ${where}` };
}

function gitHubFault(rng: Rng): Injected {
  const [where, method, path, write] = rng.pick(GH_TARGETS);
  const times = rng.pick([1, 1, 2]);
  const kinds = write ? (['500', 'secondary', 'applied-then-500', 'reset', 'reset-after'] as const) : (['500', 'secondary', 'reset'] as const);
  const kind = rng.pick(kinds);
  const base = { method, path, times };
  const fault: FaultSpec =
    kind === '500'
      ? { ...base, status: 500 }
      : kind === 'secondary'
        ? { ...base, kind: 'secondary', retryAfter: 1 }
        : kind === 'applied-then-500'
          ? { ...base, kind: 'applied-then-500' }
          : { ...base, kind: 'reset', when: kind === 'reset-after' ? 'after' : 'before' };
  return { side: 'github', fault, label: `GitHub ${kind}×${times} on ${where}` };
}

function caseFor(seed: number): Case {
  const rng = seeded(seed);
  const event = rng.pick(['labeled', 'mention', 'schedule'] as const);
  const wait = rng.pick(['none', 'ready', 'finished'] as const);
  const faults = Array.from({ length: rng.int(1, 2) }, () => (rng.chance(0.5) ? openHandsFault(rng) : gitHubFault(rng)));
  const sigint = wait !== 'none' && rng.chance(0.2);
  return { seed, event, wait, faults, sigint };
}

const describeCase = (c: Case): string =>
  `seed ${c.seed}: ${c.event}, wait ${c.wait}, ${c.faults.map((f) => f.label).join(' + ')}${c.sigint ? ', SIGINT mid-wait' : ''}`;

/** The state a sticky comment holds (its marker), decoded. */
function markerState(body: string): { status?: string; final?: boolean } | undefined {
  const m = MARKER.exec(body);
  return m?.[1] ? (JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as { status?: string; final?: boolean }) : undefined;
}

const STACK = /^\s*at .+:\d+:\d+\)?$|Node\.js v\d+/m;

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('randomized faults over OpenHands and GitHub', () => {
  for (let i = 0; i < CASES; i++) {
    const c = caseFor(FIRST_SEED + i);
    it(describeCase(c), async () => {
      const x = await world({ emulator: { apiKeys: [API_KEY] } });
      w = x;
      x.emu.setDefaultScenario({ phaseMs: 20, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 300, status: 'finished' }] });
      for (const f of c.faults) {
        if (f.side === 'openhands') x.emu.addFault(f.fault);
        else x.gh.addFault(f.fault);
      }
      const issue = c.event === 'schedule' ? 7 : 1;
      const scenario =
        c.event === 'labeled'
          ? { event: 'issues', payload: issueLabeled({ label: 'openhands' }) }
          : c.event === 'mention'
            ? { event: 'issue_comment', payload: issueComment({ body: '@openhands fix the typo', sender: 'Codertocat' }) }
            : { event: 'schedule', payload: schedule() };
      const inputs = {
        'api-key': API_KEY,
        wait: c.wait,
        'ready-timeout': '12s',
        'finish-timeout': '12s',
        ...(c.event === 'schedule' ? { prompt: 'Nightly chores', 'issue-number': '7' } : {}),
      };
      const main = await x.run({
        ...scenario,
        inputs,
        timeoutMs: 40_000,
        ...(c.sigint ? { signal: { signal: 'SIGINT' as const, when: /::group::Wait/ } } : {}),
      });
      const post = await x.run({ ...scenario, inputs, phase: 'post', state: main.state, timeoutMs: 40_000 });
      const why = `${describeCase(c)}\n--- main stdout ---\n${main.stdout}\n--- main stderr ---\n${main.stderr}\n--- post stdout ---\n${post.stdout}${post.stderr}`;
      check(x, main, post, issue, why);
    }, 90_000);
  }
});

function check(x: World, main: ActionRun, post: ActionRun, issue: number, why: string): void {
  const status = main.outputs.status as RunStatus;
  expect(status, why).toBeTruthy();
  // At most one start: a retried start request must never make a second task.
  expect(x.emu.tasks.length, why).toBeLessThanOrEqual(1);
  // Exit code = status.
  expect(main.code, why).toBe(STATUS[status].failing ? 1 : 0);
  expect(post.code, why).toBe(0);
  // Exactly one sticky comment with the final state, once the run got as far as a comment.
  const stickies = x.gh.commentsOn(issue).filter((cm) => MARKER.test(cm.body));
  if (main.state.comment) {
    expect(stickies, why).toHaveLength(1);
    const held = markerState(stickies[0]?.body ?? '');
    expect(held, why).toMatchObject({ status, final: true });
  } else {
    expect(stickies, why).toHaveLength(0);
  }
  // No secret anywhere a person or a later step can read.
  const sessionKeys = x.emu.conversations.map((cv) => cv['session_api_key']).filter((k): k is string => typeof k === 'string' && k.length > 0);
  const visible = `${everythingVisible(main, x.gh)}\n${everythingVisible(post, x.gh)}`;
  for (const secret of [API_KEY, x.gh.token, ...sessionKeys]) expect(visible.includes(secret), `${why}\nleaked: ${secret}`).toBe(false);
  // No raw stack trace shown to the user (debug lines are hidden unless step debugging is on).
  const shown = [main.stdout, main.stderr, post.stdout, post.stderr].join('\n').replace(/^::debug::.*$/gm, '');
  expect(STACK.test(shown), why).toBe(false);
}

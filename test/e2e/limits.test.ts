/**
 * The limits that stop the spend. `ready-timeout` / `finish-timeout` with
 * `on-timeout: pause | keep`, and `max-cost` (over_budget, noticed within ~10 s of being passed,
 * with the live socket and with it refused). Through the built action against the emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLabeled } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  expect(w.emu.agentServer.userFrames()).toEqual([]);
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });
const working = { execution: [{ afterMs: 0, status: 'running' as const }] };
const sandbox = () => w.emu.sandboxes[0];
const comment = () => w.gh.commentsOn(1)[0]?.body ?? '';
const pauses = () => w.ohRequests().filter((r) => /^POST \/api\/v1\/sandboxes\/[^/]+\/pause$/.test(r));

describe('finish-timeout', () => {
  it('on-timeout: pause (default): timed_out, exit 1, the own sandbox paused, the comment says so', async () => {
    w.emu.setDefaultScenario(working);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '2s' } });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(run.outputs['sandbox-status']).toBe('PAUSED');
    expect(pauses()).toEqual([`POST /api/v1/sandboxes/${sandbox()?.id}/pause`]);
    expect(sandbox()?.status).toBe('PAUSED');
    expect(run.annotations.errors.join('\n')).toContain('finish-timeout');
    expect(comment()).toContain('Timed out');
    expect(comment()).toContain('The sandbox was paused so it stops costing money (`on-timeout: pause`)');
  });

  it('on-timeout: keep leaves the sandbox running and says so', async () => {
    w.emu.setDefaultScenario(working);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '2s', 'on-timeout': 'keep' } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(pauses()).toEqual([]);
    expect(sandbox()?.status).toBe('RUNNING');
    expect(comment()).toContain('left running');
  });
});

describe('ready-timeout', () => {
  // The start stays in its setup phase far longer than the timeout; the sandbox already exists.
  const slowStart = { phaseDurations: { RUNNING_SETUP_SCRIPT: 60_000 } };

  it('on-timeout: pause (default): the sandbox the start made is paused', async () => {
    w.emu.setDefaultScenario(slowStart);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'ready-timeout': '2s' } });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(run.annotations.errors.join('\n')).toContain('ready-timeout');
    expect(pauses()).toEqual([`POST /api/v1/sandboxes/${sandbox()?.id}/pause`]);
    expect(sandbox()?.status).toBe('PAUSED');
    expect(comment()).toContain('The sandbox was paused so it stops costing money (`on-timeout: pause`)');
  });

  it('on-timeout: keep leaves it starting', async () => {
    w.emu.setDefaultScenario(slowStart);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'ready-timeout': '2s', 'on-timeout': 'keep' } });
    expect(run.outputs.status).toBe('timed_out');
    expect(pauses()).toEqual([]);
    expect(sandbox()?.status).not.toBe('PAUSED');
    expect(comment()).toContain('left running');
  });

  it('an older server (no early conversation id): says why the sandbox could not be paused', async () => {
    await w.close();
    w = await world({ emulator: { legacy: true } });
    w.emu.setDefaultScenario(slowStart);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'ready-timeout': '2s' } });
    expect(run.outputs.status).toBe('timed_out');
    expect(pauses()).toEqual([]);
    expect(comment()).toContain(`the sandbox ${sandbox()?.id} was left running (on-timeout: pause asked to pause it): the service had not yet said which conversation it serves`);
  });
});

describe('max-cost', () => {
  // 0.5 USD per LLM call, one a second: the cap of 1.75 is passed at the 4th call.
  const spending = { stepMs: 1000, costPerStep: 0.5, execution: [{ afterMs: 0, status: 'running' as const }] };
  const passedAt = (): number => (w.emu.transitions.find((t) => t.kind === 'start-task' && t.status === 'READY')?.at ?? NaN) + 4 * 1000;
  const pausedAt = (): number => w.emu.transitions.find((t) => t.kind === 'sandbox' && t.status === 'PAUSED')?.at ?? NaN;

  it.each([
    ['with the live socket', false],
    ['with the socket refused (polling)', true],
  ])('%s: over_budget, exit 1, the sandbox paused within ~10 s, cost and cap in the comment', async (_name, refused) => {
    if (refused) w.emu.agentServer.addSocketFault({ kind: 'refuse', times: Infinity });
    w.emu.setDefaultScenario(spending);
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'max-cost': '1.75' }, timeoutMs: 40_000 });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.status).toBe('over_budget');
    expect(Number(run.outputs.cost)).toBeGreaterThan(1.75);
    expect(pauses()).toHaveLength(1);
    expect(sandbox()?.status).toBe('PAUSED');
    const late = pausedAt() - passedAt();
    expect(late).toBeLessThan(refused ? 10_000 : 2000);
    if (!refused) {
      // the socket's stats told: the app server was hardly read while the cost grew
      const opened = w.emu.agentServer.connections[0]?.at ?? 0;
      expect(w.emu.requests.filter((r) => r.at > opened + 1000 && r.at < passedAt()).length).toBeLessThanOrEqual(1);
    }
    expect(comment()).toContain('Over budget');
    expect(comment()).toMatch(/\$\d+\.\d\d \/ \$1\.75/);
    expect(run.annotations.errors.join('\n')).toContain('max-cost');
    expect(w.emu.agentServer.connections.every((c) => c.refused !== null)).toBe(refused);
  }, 60_000);
});

/** The finalize bench's runner-minute model: GitHub's per-job rounding, the finalize ticks, the result delay. */
import { describe, expect, it } from 'vitest';
import { billedMinutes, idleFinalizeMinutesPerDay, simRunnerMinutes, type RunnerModel } from '../../scripts/bench/finalize.ts';

const MIN = 60_000;
const model: RunnerModel = {
  conversations: 10,
  spacingMs: 3 * MIN,
  agentMs: 30 * MIN,
  startMs: 12_000,
  jobOverheadMs: 10_000,
  readyStepExtraMs: 2000,
  finishedStepExtraMs: 1000,
  finalizeStepMs: 5000,
  finalizeEveryMs: 10 * MIN,
};

describe('runner minutes', () => {
  it('bills each job rounded up to the minute, one at least', () => {
    expect(billedMinutes(1)).toBe(1);
    expect(billedMinutes(60_000)).toBe(1);
    expect(billedMinutes(60_001)).toBe(2);
    expect(billedMinutes(0)).toBe(1);
  });

  it('wait: finished pays the whole agent run; ready + finalize the starts and the ticks', () => {
    const r = simRunnerMinutes(model);
    // 10 s + 12 s + 30 min + 1 s → 31 min each
    expect(r.finishedMinutes).toBe(310);
    // 10 s + 12 s + 2 s → 1 min each
    expect(r.readyMinutes).toBe(10);
    // the last agent ends at 27 min + 12 s + 30 min: ticks at 0, 10, …, 60
    expect(r.finalizeRuns).toBe(7);
    expect(r.finalizeMinutes).toBe(7);
    expect(r.ratio).toBeCloseTo(17 / 310);
    expect(r.agentHours).toBe(5);
    expect(r.neverFinal).toBe(0);
    // the first agent ends at 30 min 12 s: reported by the 40-minute run, 10 s + 5 s into it
    expect(r.resultDelaysMs[0]).toBe(40 * MIN + 15_000 - (30 * MIN + 12_000));
    expect(Math.max(...r.resultDelaysMs)).toBeLessThanOrEqual(10 * MIN + 15_000);
  });

  it('a slower start costs wait: ready a second minute per job', () => {
    expect(simRunnerMinutes({ ...model, startMs: 90_000 }).readyMinutes).toBe(20);
  });

  it('an idle schedule still costs a minute a tick', () => {
    expect(idleFinalizeMinutesPerDay(10 * MIN, 800, 10_000)).toBe(144);
  });
});

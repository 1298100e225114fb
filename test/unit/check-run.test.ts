import { describe, expect, it } from 'vitest';
import { checkOutput, checkRunPlan, wantsCheckRun } from '../../src/steps/check-run.ts';
import { checkConclusion } from '../../src/status.ts';
import type { RunStatus } from '../../src/report.ts';
import { CONV, report } from './render-samples.ts';

describe('the check run conclusion', () => {
  it.each([
    ['finished', 'success'],
    ['error', 'failure'],
    ['stuck', 'failure'],
    ['interrupted', 'failure'],
    ['over_budget', 'failure'],
    ['timed_out', 'timed_out'],
    ['cancelled', 'cancelled'],
    ['waiting_for_confirmation', 'action_required'],
    ['started', 'neutral'],
    ['ready', 'neutral'],
    ['followed_up', 'neutral'],
  ] as const)('%s → %s', (status, conclusion) => {
    expect(checkConclusion({ status, final: true })).toBe(conclusion);
  });

  it.each(['skipped', 'awaiting_approval'] as RunStatus[])('%s gets no check run', (status) => {
    expect(checkConclusion({ status, final: true })).toBeUndefined();
  });
});

describe('the check run output', () => {
  it('is the status line and the links, no more', () => {
    const r = report({ status: 'finished', final: true, conversationId: CONV, finalMessage: 'a long final message', error: undefined });
    const o = checkOutput(r);
    expect(o.title).toBe('✅ Finished');
    expect(o.summary).toContain(`](${r.baseUrl}/conversations/${CONV})`);
    expect(o.summary).toContain(`](${r.runUrl})`);
    expect(o.summary).not.toContain('a long final message');
  });

  it('says the agent is still working when the run handed over', () => {
    const o = checkOutput(report({ status: 'ready', final: true, conversationId: CONV }));
    expect(o.title).toBe('🟢 Ready: the agent is still working');
    expect(o.summary).toContain('stopped watching');
  });
});

describe('whether a run shows a check run', () => {
  const pr = { number: 2, isPullRequest: true };
  const issue = { number: 1, isPullRequest: false };
  const octokit = {} as never;
  it.each([
    [true, pr, octokit, true],
    [false, pr, octokit, false],
    [true, issue, octokit, false],
    [true, undefined, octokit, false],
    [true, pr, undefined, false],
  ])('check-run %s, subject %o, token %s → %s', (checkRun, subject, ok, want) => {
    const run = { cfg: { checkRun }, ctx: { subject }, octokit: ok } as never;
    expect(wantsCheckRun(run)).toBe(want);
    expect(checkRunPlan(run).startsWith('would create')).toBe(want);
  });
});

// The pure parts of the finish wait and the outcome step (src/steps/finish.ts, src/steps/pause.ts).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { TimeoutError } from '../../src/errors.ts';
import type { Report } from '../../src/report.ts';
import { COST_CHECK_MS, finishReadDelay, SAFETY_POLL_MS } from '../../src/steps/finish.ts';
import { OverBudgetError, statusOf } from '../../src/errors.ts';
import { stopSpending } from '../../src/steps/pause.ts';

describe('finishReadDelay', () => {
  it('only the safety poll while the socket is up, cap or not', () => {
    for (const elapsed of [0, 30_000, 600_000]) {
      expect(finishReadDelay(elapsed, true, false)).toBe(SAFETY_POLL_MS);
      expect(finishReadDelay(elapsed, true, true)).toBe(SAFETY_POLL_MS);
    }
    expect(SAFETY_POLL_MS).toBe(60_000);
  });

  it('without the socket: the polling schedule, never slower than 10 s with a cost cap', () => {
    expect(finishReadDelay(0, false, false)).toBe(1500);
    expect(finishReadDelay(600_000, false, false)).toBe(20_000);
    expect(finishReadDelay(600_000, false, true)).toBe(COST_CHECK_MS);
    expect(COST_CHECK_MS).toBe(10_000);
    for (let t = 0; t < 3_600_000; t += 7_000) expect(finishReadDelay(t, false, true)).toBeLessThanOrEqual(10_000);
  });
});

describe('outcome', () => {
  it('maps errors to statuses; the over-budget message shows cost and cap', () => {
    const e = new OverBudgetError(2.5, 2);
    expect(e.message).toContain('$2.50');
    expect(e.message).toContain('max-cost ($2.00)');
    expect(statusOf(e, false)).toBe('over_budget');
    expect(statusOf(new TimeoutError('x', 'finish-timeout', 1000), false)).toBe('timed_out');
    expect(statusOf(e, true)).toBe('cancelled');
  });

  const cfg = { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', onTimeout: 'pause', onCancel: 'pause' } as Config;
  const report = (over: Partial<Report>): Report => ({ status: 'timed_out', ...over }) as Report;

  it('says why a sandbox it should pause is left running (no call is made)', async () => {
    // an older server: the conversation id, and so the sandbox's owner, is not known before READY
    expect((await stopSpending(report({ sandboxId: 'abc' }), cfg))?.note).toBe(
      'the sandbox abc was left running (on-timeout: pause asked to pause it): the service had not yet said which conversation it serves, so it could not be told apart from a shared one',
    );
    expect((await stopSpending(report({}), cfg))?.note).toBeUndefined(); // no sandbox yet: nothing runs
    expect((await stopSpending(report({ conversationId: 'c1', sandboxId: 'shared', sandboxShared: true }), cfg))?.note).toContain('shared with other conversations');
    // on-timeout: keep, and statuses that keep the sandbox: nothing to say
    expect((await stopSpending(report({ conversationId: 'c1' }), { ...cfg, onTimeout: 'keep' }))?.note).toBeUndefined();
    expect((await stopSpending(report({ conversationId: 'c1', status: 'finished' }), cfg))?.note).toBeUndefined();
  });
});

// How often the finish wait reads the conversation: the polling schedule (src/openhands/finish.ts)
// and the step's choice between it and the live socket (src/steps/finish.ts).
import { describe, expect, it } from 'vitest';
import { finishPollDelay } from '../../src/openhands/finish.ts';
import { COST_CHECK_MS, finishReadDelay, SAFETY_POLL_MS } from '../../src/steps/finish.ts';

describe('finishPollDelay', () => {
  it('finish polling stays at or under 6 requests a minute after the first minute', () => {
    let t = 0;
    let requests = 0;
    while (t < 600_000) {
      t += finishPollDelay(t);
      if (t > 60_000) requests++;
    }
    expect(requests / 9).toBeLessThanOrEqual(6);
  });
});

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

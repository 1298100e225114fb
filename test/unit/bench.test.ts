/** The bench's pure parts: the virtual-clock replays, the statistics and the tables. */
import { describe, expect, it } from 'vitest';
import { figure, mdTable, textTable } from '../../scripts/bench/report.ts';
import { comparePolicies, fixedPolicy, simFinish, simFixedStart, simPerMinute, simStartPolling } from '../../scripts/bench/sim.ts';
import { finite, fmt, median, perMinute } from '../../scripts/bench/stats.ts';

describe('bench statistics', () => {
  it('takes the median of odd and even samples, NaN of none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('drops missing values and formats units', () => {
    expect(finite([1, null, Number.NaN, undefined, 2])).toEqual([1, 2]);
    expect(fmt(1234, 'ms')).toBe('1.23 s');
    expect(fmt(42.4, 'ms')).toBe('42 ms');
    expect(fmt(1_180_000, 'bytes')).toBe('1.180 MB');
    expect(perMinute(5, 30_000)).toBe(10);
  });
});

describe('bench simulations', () => {
  it('fixed start polling: one request, then one per interval until a poll sees READY', () => {
    expect(simFixedStart(3000, 12_000)).toEqual({ requests: 5, detectAtMs: 12_000 });
    expect(simFixedStart(3000, 12_001)).toEqual({ requests: 6, detectAtMs: 15_000 });
  });

  it('start polling follows the schedule it is given, by phase', () => {
    expect(simStartPolling(2500, () => 1000)).toEqual({ requests: 4, detectAtMs: 3000 });
    const seen: [string, number][] = [];
    simStartPolling(10_000, (status, inPhase) => (seen.push([status, inPhase]), 2000));
    // the POST answers WORKING; each poll passes the phase it saw and how long it has seen it
    expect(seen.slice(0, 3)).toEqual([['WORKING', 0], ['WAITING_FOR_SANDBOX', 0], ['WAITING_FOR_SANDBOX', 2000]]);
    expect(seen.at(-1)).toEqual(['STARTING_CONVERSATION', 2000]);
  });

  it('finish polling reads until a read at or after the end', () => {
    const s = simFinish(10_000, () => 3000);
    expect(s.times).toEqual([0, 3000, 6000, 9000, 12_000]);
    expect(s.detectAtMs).toBe(12_000);
    expect(simPerMinute(s)).toBe(25);
  });

  it('with a live report, the end is seen that long after it, whatever the poll interval', () => {
    expect(simFinish(100_000, () => 60_000, 50)).toEqual({ times: [0, 60_000, 100_050], detectAtMs: 100_050 });
  });

  it('compares policies over many moments', () => {
    const [row] = comparePolicies([fixedPolicy('3 s', 3000)], { readies: [12_000, 12_500], ends: [10_000], runMs: 60_000 });
    expect(row).toMatchObject({ policy: '3 s', startRequests: 5.5, finishLatencyMs: 2000, perMinute: 21, steadyPerMinute: 20 });
    expect(row?.readyLatencyMs).toBe(1250);
  });
});

describe('bench report', () => {
  it('passes a figure on its median, and never without samples', () => {
    expect(figure({ id: 'a', label: 'a', unit: 'ms', samples: [100, 200, 900], target: 150, source: '' }).pass).toBe(false);
    expect(figure({ id: 'a', label: 'a', unit: 'ms', samples: [100, 140, 900], target: 150, source: '' }).pass).toBe(true);
    expect(figure({ id: 'a', label: 'a', unit: 'ms', samples: [], target: 150, source: '' }).pass).toBe(false);
  });

  it('aligns text columns (emoji count as two) and escapes markdown pipes', () => {
    const t = textTable(['k', 'v'], [['✅', '1'], ['ab', '22']], new Set([1]));
    expect(t.split('\n')).toEqual(['k    v', '──  ──', '✅   1', 'ab  22']);
    expect(mdTable(['a|b'], [['x']], new Set([0]))).toBe('| a\\|b |\n|---:|\n| x |');
  });
});

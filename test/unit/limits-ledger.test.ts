/** The cross-run limits' arithmetic: history carried in markers, spend in the window, runs per person, when there is room. */
import { describe, expect, it } from 'vitest';
import { parseConfig, readInputs } from '../../src/config.ts';
import { ledger, pastRuns, runsBy, runsRoomAt, spendInWindow, spendRoomAt, toReadFresh, type LedgerRun } from '../../src/limits/ledger.ts';
import type { MarkerState } from '../../src/marker.ts';

const H = 3600_000;
const NOW = 100 * H;
const state = (over: Partial<MarkerState>): MarkerState => ({ v: 1, status: 'finished', final: true, runId: '1', runAttempt: 1, startedAt: NOW - H, updatedAt: NOW, previous: [], actor: 'alice', ...over });

describe('pastRuns', () => {
  it("carries the previous marker's paid run and its history, newest first", () => {
    const prev = state({ runId: '2', conversationId: 'c2', cost: 1.5, runs: [{ actor: 'bob', at: NOW - 2 * H, conversationId: 'c1', cost: 3 }] });
    expect(pastRuns(prev, '3', NOW)).toEqual([
      { actor: 'alice', at: NOW - H, conversationId: 'c2', cost: 1.5 },
      { actor: 'bob', at: NOW - 2 * H, conversationId: 'c1', cost: 3 },
    ]);
  });

  it('a re-run of the same run, a held or skipped one, and runs older than a week are not carried', () => {
    const history = [{ actor: 'bob', at: NOW - 8 * 24 * H }];
    expect(pastRuns(state({ runId: '3', runs: history }), '3', NOW)).toEqual([]);
    expect(pastRuns(state({ runId: '2', status: 'awaiting_approval' }), '3', NOW)).toEqual([]);
    expect(pastRuns(state({ runId: '2', status: 'skipped' }), '3', NOW)).toEqual([]);
    expect(pastRuns(undefined, '3', NOW)).toEqual([]);
  });
});

describe('ledger and spend', () => {
  const comments = [
    { key: 'a', state: state({ conversationId: 'c1', cost: 2, runs: [{ actor: 'alice', at: NOW - 30 * H, conversationId: 'c0', cost: 9 }] }) },
    { key: 'b', state: state({ status: 'ready', conversationId: 'c2', cost: 0.1, startedAt: NOW - 2 * H }) },
    { key: 'b', state: state({ status: 'awaiting_approval', conversationId: 'c3', actor: 'mallory' }) },
  ];

  it('reads every paid run, live ones marked; a key keeps one workflow', () => {
    const all = ledger(comments);
    expect(all.map((r) => [r.conversationId, r.live])).toEqual([
      ['c1', false],
      ['c0', false],
      ['c2', true],
    ]);
    expect(ledger(comments, 'b').map((r) => r.conversationId)).toEqual(['c2']);
    expect(toReadFresh(all, NOW, 24 * H)).toEqual(['c2']);
  });

  it('sums the conversations with a run in the window, the fresh cost over the recorded one', () => {
    const spend = spendInWindow(ledger(comments), new Map([['c2', 4]]), NOW, 24 * H);
    expect(spend.total).toBe(6);
    expect(spend.conversations.map((c) => c.id).sort()).toEqual(['c1', 'c2']);
    // The oldest leaves first: c2 ($4, 2 h ago) frees room under $5 or $3; under $1 c1 ($2, 1 h ago) must go too.
    expect(spendRoomAt(spend, 5, 24 * H)).toBe(NOW - 2 * H + 24 * H);
    expect(spendRoomAt(spend, 3, 24 * H)).toBe(NOW - 2 * H + 24 * H);
    expect(spendRoomAt(spend, 1, 24 * H)).toBe(NOW - H + 24 * H);
  });

  it('a conversation followed up in the window counts once, whole', () => {
    const runs: LedgerRun[] = [
      { actor: 'a', at: NOW - 2 * H, conversationId: 'c', cost: 1, live: false },
      { actor: 'b', at: NOW - H, conversationId: 'c', cost: 3, live: false },
    ];
    expect(spendInWindow(runs, new Map(), NOW, 24 * H)).toEqual({ total: 3, conversations: [{ id: 'c', cost: 3, lastAt: NOW - H }] });
  });
});

describe('runs per person', () => {
  it('counts one person (any case) in the window; room once enough of the oldest left it', () => {
    const runs: LedgerRun[] = [NOW - 50 * 60_000, NOW - 20 * 60_000, NOW - 2 * H].map((at) => ({ actor: 'Alice', at, live: false }));
    runs.push({ actor: 'bob', at: NOW - 1000, live: false });
    const starts = runsBy(runs, 'alice', NOW, H);
    expect(starts).toEqual([NOW - 50 * 60_000, NOW - 20 * 60_000]);
    expect(runsRoomAt(starts, 2, H)).toBe(NOW - 50 * 60_000 + H);
    expect(runsRoomAt(starts, 1, H)).toBe(NOW - 20 * 60_000 + H);
  });
});

describe('the inputs', () => {
  const parse = (inputs: Record<string, string>) => parseConfig(readInputs((n) => inputs[n] ?? ''), { env: { GITHUB_REPOSITORY: 'o/r' }, workspace: '/tmp' });
  it('are off by default', () => {
    expect(parse({})).toMatchObject({ maxCost24h: undefined, maxRunsPerPerson: undefined, maxCost24hScope: 'repository', maxRunsExempt: 'maintainers' });
  });
  it('parse a cap and runs per window', () => {
    expect(parse({ 'max-cost-24h': '$20', 'max-runs-per-person': '5/1h', 'max-cost-24h-scope': 'workflow' })).toMatchObject({
      maxCost24h: 20,
      maxRunsPerPerson: { runs: 5, windowMs: H },
      maxCost24hScope: 'workflow',
    });
  });
  it('name the input and the expected form', () => {
    expect(() => parse({ 'max-runs-per-person': '5 per hour' })).toThrow(/max-runs-per-person.*5\/1h/);
    expect(() => parse({ 'max-runs-per-person': '0/1h' })).toThrow(/max-runs-per-person/);
    expect(() => parse({ 'max-cost-24h': 'lots' })).toThrow(/max-cost-24h/);
  });
});

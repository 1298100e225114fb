import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { EventContext } from '../../src/github/event.ts';
import type { MarkerState } from '../../src/marker.ts';
import { derivedConversationId } from '../../src/steps/act/start.ts';
import { assertOwnComment, stepFingerprint } from '../../src/steps/identity.ts';
import type { RunContext } from '../../src/steps/run.ts';

const run = (o: { prompt?: string; job?: string; step?: string; attempt?: number; model?: string } = {}): RunContext =>
  ({
    ctx: { runId: '42', runAttempt: o.attempt ?? 1, job: o.job ?? 'agent', step: o.step ?? '__openhands_openhands-cloud-action' } as EventContext,
    cfg: { promptTemplate: o.prompt ?? 'Fix the docs', promptSource: 'prompt', ...(o.model ? { llmModel: o.model } : {}) } as Config,
    key: 'OpenHands/agent',
  }) as RunContext;
const work = { repo: 'o/r', branch: 'main' };
const marker = (r: RunContext, o: Partial<MarkerState> = {}): MarkerState =>
  ({ v: 1, runId: r.ctx.runId, runAttempt: r.ctx.runAttempt, step: stepFingerprint(r, work), status: 'ready', final: true, startedAt: 0, updatedAt: 0, previous: [], ...o }) as MarkerState;

describe('one conversation per step', () => {
  it('two matrix legs that differ only in their prompt, or two steps of one job, derive different ids', () => {
    const a = derivedConversationId(run({ prompt: 'Fix the docs' }), work, 1);
    expect(derivedConversationId(run({ prompt: 'Fix the docs' }), work, 1)).toBe(a); // a re-run finds it again
    expect(derivedConversationId(run({ prompt: 'Fix the tests' }), work, 1)).not.toBe(a);
    expect(derivedConversationId(run({ step: '__openhands_openhands-cloud-action_2' }), work, 1)).not.toBe(a);
    expect(derivedConversationId(run({ job: 'other' }), work, 1)).not.toBe(a);
    expect(derivedConversationId(run(), { ...work, branch: 'dev' }, 1)).not.toBe(a);
    // legs that differ only in their model; a step without one keeps the id it had before the model counted
    expect(derivedConversationId(run({ model: 'anthropic/claude-sonnet-4-5' }), work, 1)).not.toBe(a);
    expect(derivedConversationId(run({ model: 'openai/gpt-5' }), work, 1)).not.toBe(derivedConversationId(run({ model: 'anthropic/claude-sonnet-4-5' }), work, 1));
    expect(a).toBe('8afbafcb9d7252298eb77e50f0ec1bd3'); // as derived before the model counted
  });

  it("a comment another step or leg of this run wrote fails loudly instead of re-attaching to that step's conversation", () => {
    const mine = run({ prompt: 'Fix the docs' });
    const otherLeg = run({ prompt: 'Fix the tests' });
    // another leg of this attempt wrote it
    expect(() => assertOwnComment(mine, marker(otherLeg), work)).toThrow(/comment-key.*another step or matrix leg/);
    // a twin (same inputs) in the same attempt: the same
    expect(() => assertOwnComment(mine, marker(mine), work)).toThrow(/comment-key/);
    // a re-run (attempt 2) reading its own step's comment: fine
    expect(() => assertOwnComment(run({ attempt: 2 }), marker(mine), work)).not.toThrow();
    // a re-run reading another step's comment of attempt 1: not ours
    expect(() => assertOwnComment(run({ attempt: 2 }), marker(otherLeg), work)).toThrow(/comment-key/);
    // a marker of an older version (no step) on a re-run: kept as today
    expect(() => assertOwnComment(run({ attempt: 2 }), marker(mine, { step: undefined }), work)).not.toThrow();
    // another workflow run's comment: not a collision (follow-ups, approvals)
    expect(() => assertOwnComment(mine, marker(otherLeg, { runId: '41' }), work)).not.toThrow();
    expect(() => assertOwnComment(mine, undefined, work)).not.toThrow();
  });
});

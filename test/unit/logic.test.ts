import { describe, expect, it } from 'vitest';
import { ending } from '../../src/openhands/conversation.ts';
import { finalResponse } from '../../src/openhands/final-message.ts';
import { finishPollDelay } from '../../src/openhands/finish.ts';
import { conversationIdFor, echoesId, isStale, phaseLimitMs, startPollDelay } from '../../src/openhands/start.ts';

const STALE_START_MS = phaseLimitMs('WAITING_FOR_SANDBOX');
import type { StartTask } from '../../src/openhands/types.ts';
import { isAlive } from '../../src/steps/act/follow-up.ts';
import { ownSandbox } from '../../src/steps/pause.ts';
import type { Conversation, OHEvent } from '../../src/openhands/types.ts';
import { statusFromExecution } from '../../src/report.ts';

const ev = (e: Partial<OHEvent> & { kind: string }): OHEvent => ({ id: Math.random().toString(), source: 'agent', timestamp: '', ...e }) as OHEvent;

describe('conversationIdFor', () => {
  it('is a stable v5 UUID in 32 lowercase hex', () => {
    const a = conversationIdFor(['o/r', '123', 'key', '4']);
    expect(a).toMatch(/^[0-9a-f]{12}5[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(conversationIdFor(['o/r', '123', 'key', '4'])).toBe(a);
    expect(conversationIdFor(['o/r', '124', 'key', '4'])).not.toBe(a);
  });
});

describe('poll schedules', () => {
  it('start-task polling alone on the account: fast, READY seen within ~1.2 s, slower the longer a phase lasts', () => {
    const mid = () => 0.5; // no jitter
    expect(startPollDelay('WORKING', 0, mid)).toBe(1000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 5000, mid)).toBe(2500);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid)).toBe(1200);
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid)).toBe(1200);
    // a setup script may run 10 minutes ([api: start-task]): a quarter of the time in the phase, at most 30 s
    expect(startPollDelay('RUNNING_SETUP_SCRIPT', 60_000, mid)).toBe(15_000);
    expect(startPollDelay('RUNNING_SETUP_SCRIPT', 600_000, mid)).toBe(30_000);
    expect(startPollDelay('STARTING_CONVERSATION', 600_000, mid)).toBe(8000);
    // a 429 slows every phase; jitter keeps concurrent runs out of step, within ±20 %
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid, 4)).toBe(4800);
    expect(startPollDelay('STARTING_CONVERSATION', 0, () => 0)).toBe(960);
    expect(startPollDelay('STARTING_CONVERSATION', 0, () => 1)).toBe(1440);
    // A 12 s start (the sandbox boots for the first 5.4 s) costs at most 10 requests, the POST included.
    let t12 = 0;
    let polls = 0;
    let [seen, since] = ['WORKING', 0];
    while (t12 < 12_000) {
      t12 += startPollDelay(seen, t12 - since, mid);
      polls++;
      const now = t12 < 600 ? 'WORKING' : t12 < 5400 ? 'WAITING_FOR_SANDBOX' : 'PREPARING_REPOSITORY';
      if (now !== seen) [seen, since] = [now, t12];
    }
    expect(1 + polls).toBeLessThanOrEqual(10);
  });

  it('start-task polling in a burst: slow in the long phases, fast in the short tail, stretched by the crowd', () => {
    const mid = () => 0.5;
    expect(startPollDelay('WORKING', 0, mid, 1, 2)).toBe(5000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 2)).toBe(10_000);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid, 1, 3)).toBe(7000);
    expect(startPollDelay('PREPARING_REPOSITORY', 0, mid, 1, 6)).toBe(14_000);
    expect(startPollDelay('SETTING_UP_SKILLS', 0, mid, 1, 2)).toBe(3000);
    expect(startPollDelay('STARTING_CONVERSATION', 0, mid, 1, 12)).toBe(2500);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 12)).toBe(30_000);
    expect(startPollDelay('WAITING_FOR_SANDBOX', 0, mid, 1, 40)).toBe(30_000);
    expect(startPollDelay('SOMETHING_NEW', 0, mid, 1, 2)).toBe(3000); // an unknown phase: a long one
    // A 30 s start (sandbox boot to 13.5 s, clone and setup script to 24 s, the tail after), with
    // 3 starts under way, costs at most 5 polls, and the poll that sees READY comes within 3 s.
    const phaseAt = (t: number): string =>
      t < 1500 ? 'WORKING' : t < 13_500 ? 'WAITING_FOR_SANDBOX' : t < 19_500 ? 'PREPARING_REPOSITORY' : t < 24_000 ? 'RUNNING_SETUP_SCRIPT' : t < 25_500 ? 'SETTING_UP_GIT_HOOKS' : t < 28_500 ? 'SETTING_UP_SKILLS' : t < 30_000 ? 'STARTING_CONVERSATION' : 'READY';
    let t = 0;
    let polls = 0;
    let [seen, since] = ['WORKING', 0];
    while (seen !== 'READY') {
      t += startPollDelay(seen, t - since, mid, 1, 3);
      polls++;
      if (phaseAt(t) !== seen) [seen, since] = [phaseAt(t), t];
    }
    expect(polls).toBeLessThanOrEqual(5);
    expect(t - 30_000).toBeLessThanOrEqual(3000);
  });

  it('a start task that has sat in its phase past the phase limit is stale; a finished one never is', () => {
    const task = (status: string, ageMs: number): StartTask => ({ id: 't', status, updated_at: new Date(1e12 - ageMs).toISOString() }) as StartTask;
    expect(isStale(task('WAITING_FOR_SANDBOX', STALE_START_MS + 1000), 1e12)).toBe(true);
    expect(isStale(task('WAITING_FOR_SANDBOX', STALE_START_MS - 1000), 1e12)).toBe(false);
    expect(isStale(task('READY', STALE_START_MS * 10), 1e12)).toBe(false);
    expect(isStale(task('ERROR', STALE_START_MS * 10), 1e12)).toBe(false);
  });

  it('the proposed id counts only when the server echoes it (dashed in the echo)', () => {
    const id = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
    expect(echoesId({ id: 't', status: 'WORKING', request: { conversation_id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' } } as StartTask, id)).toBe(true);
    expect(echoesId({ id: 't', status: 'WORKING', request: {} } as StartTask, id)).toBe(false);
    expect(echoesId({ id: 't', status: 'WORKING' } as StartTask, id)).toBe(false);
  });

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

describe('finalResponse', () => {
  it('takes the newest finish action, else the newest agent message', () => {
    expect(finalResponse([ev({ kind: 'ActionEvent', tool_name: 'finish', action: { message: 'done!' } }), ev({ kind: 'MessageEvent', llm_message: { content: [{ type: 'text', text: 'older' }] } })])).toBe('done!');
    expect(finalResponse([ev({ kind: 'ObservationEvent', source: 'environment' }), ev({ kind: 'MessageEvent', llm_message: { content: [{ type: 'text', text: 'a' }, { type: 'image', image_urls: ['x', 'y'] }, { type: 'text', text: 'b' }] } })])).toBe('a[Image: 2 URLs]b');
    expect(finalResponse([ev({ kind: 'MessageEvent', source: 'user', llm_message: { content: [{ type: 'text', text: 'user' }] } })])).toBeUndefined();
    expect(finalResponse([ev({ kind: 'ActionEvent', tool_name: 'finish', action: null })])).toBe('');
  });
});

describe('terminal and alive', () => {
  const conv = (over: Partial<Conversation>): Conversation => ({ id: 'c', updated_at: new Date(1_000_000).toISOString(), ...over }) as Conversation;
  it("ends on the agent's own end, or at once when the sandbox is taken away while it works", () => {
    expect(ending({ conversation: null, executionStatus: 'finished', sandboxStatus: 'RUNNING' })).toEqual({ kind: 'agent', status: 'finished' });
    expect(ending({ conversation: null, executionStatus: 'waiting_for_confirmation', sandboxStatus: 'RUNNING' })?.kind).toBe('agent');
    // Paused after the agent finished: the agent's end counts, not the pause.
    expect(ending({ conversation: null, executionStatus: 'finished', sandboxStatus: 'PAUSED' })).toEqual({ kind: 'agent', status: 'finished' });
    expect(ending({ conversation: null, executionStatus: 'running', sandboxStatus: 'PAUSED' })).toEqual({ kind: 'interrupted', sandboxStatus: 'PAUSED' });
    expect(ending({ conversation: null, executionStatus: null, sandboxStatus: 'MISSING' })).toEqual({ kind: 'interrupted', sandboxStatus: 'MISSING' });
    expect(ending({ conversation: null, executionStatus: 'idle', sandboxStatus: 'RUNNING' })).toBeUndefined();
    expect(ending({ conversation: null, executionStatus: 'running', sandboxStatus: 'STARTING' })).toBeUndefined();
  });
  it("pauses only the conversation's own sandbox", () => {
    const id = 'c'.repeat(32);
    expect(ownSandbox({ conversationId: id, sandboxId: id })).toBe(id);
    // Not reported yet: a new sandbox is named after the conversation that asked for it.
    expect(ownSandbox({ conversationId: id })).toBe(id);
    expect(ownSandbox({ conversationId: id, sandboxId: 'shared123' })).toBeUndefined();
    expect(ownSandbox({ conversationId: id, sandboxId: 'shared123', sandboxShared: true })).toBeUndefined();
    expect(ownSandbox({ conversationId: id, sandboxId: 'own-legacy', sandboxShared: false })).toBe('own-legacy');
    expect(ownSandbox({ sandboxId: id })).toBeUndefined();
  });
  it('follows up only into live conversations', () => {
    const now = 1_000_000 + 60_000;
    expect(isAlive({ conversation: conv({}), executionStatus: 'running', sandboxStatus: 'RUNNING' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: null, sandboxStatus: 'PAUSED' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: 'finished', sandboxStatus: 'RUNNING' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: 'finished', sandboxStatus: 'RUNNING' }, now + 7 * 3600_000)).toBe(false);
    expect(isAlive({ conversation: conv({}), executionStatus: 'error', sandboxStatus: 'RUNNING' }, now)).toBe(false);
    expect(isAlive({ conversation: conv({}), executionStatus: null, sandboxStatus: 'MISSING' }, now)).toBe(false);
  });
  it('maps the end state to the action status', () => {
    expect(statusFromExecution('finished', 'RUNNING')).toBe('finished');
    expect(statusFromExecution('stuck', 'RUNNING')).toBe('stuck');
    expect(statusFromExecution(null, 'ERROR')).toBe('error');
  });
});

import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/flow.ts';
import { finalResponse, finishPollDelay, isTerminal } from '../../src/openhands/follow.ts';
import { conversationIdFor, startPollDelay } from '../../src/openhands/start.ts';
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
  it('start-task polling starts fast, settles at 1.5 s, and slows down on long starts', () => {
    const delays = Array.from({ length: 10 }, (_, i) => startPollDelay(i));
    expect(delays[0]).toBe(300);
    expect(delays.every((d, i) => i === 0 || d >= (delays[i - 1] as number))).toBe(true);
    expect(Math.max(...delays)).toBe(1500);
    expect(startPollDelay(20, 60_000)).toBe(4000);
    expect(startPollDelay(50, 300_000)).toBe(6000);
    // A two-minute start costs far less than the 100 requests a minute one key may make.
    let t = 0;
    let n = 0;
    while (t < 120_000) t += startPollDelay(n++, t);
    expect(n).toBeLessThan(45);
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
  it('stops on terminal execution or a dead sandbox', () => {
    expect(isTerminal({ conversation: null, executionStatus: 'finished', sandboxStatus: 'RUNNING' })).toBe(true);
    expect(isTerminal({ conversation: null, executionStatus: 'waiting_for_confirmation', sandboxStatus: 'RUNNING' })).toBe(true);
    expect(isTerminal({ conversation: null, executionStatus: null, sandboxStatus: 'MISSING' })).toBe(true);
    expect(isTerminal({ conversation: null, executionStatus: 'idle', sandboxStatus: 'RUNNING' })).toBe(false);
    expect(isTerminal({ conversation: null, executionStatus: null, sandboxStatus: 'PAUSED' })).toBe(false);
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

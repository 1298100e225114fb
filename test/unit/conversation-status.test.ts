// The conversation's state as the service reports it (src/openhands/conversation.ts): when the
// agent's work has ended, and its last execution status from the events.
import { describe, expect, it, vi } from 'vitest';
import type { OpenHandsClient as Client } from '../../src/openhands/client.ts';
import { ending, lastExecutionStatus } from '../../src/openhands/conversation.ts';

describe('the end of the work', () => {
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
});

describe('the last execution status', () => {
  it('the execution status pages back past stats updates, and gives up (null) after its page bound', async () => {
    const stats = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, kind: 'ConversationStateUpdateEvent', key: 'stats', value: {} }));
    const searchEvents = vi.fn(async (_id: string, o: { pageId?: string }) =>
      o.pageId === '200' ? { items: [...stats(20), { id: 'e', kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: 'finished' }], nextPageId: null } : { items: stats(100), nextPageId: String(Number(o.pageId ?? 0) + 100) },
    );
    expect(await lastExecutionStatus({ searchEvents } as unknown as Client, 'c')).toBe('finished');
    expect(searchEvents.mock.calls.map((a) => a[1].pageId)).toEqual([undefined, '100', '200']);
    const endless = vi.fn(async (_id: string, o: { pageId?: string }) => ({ items: stats(100), nextPageId: String(Number(o.pageId ?? 0) + 100) }));
    expect(await lastExecutionStatus({ searchEvents: endless } as unknown as Client, 'c')).toBeNull();
    expect(endless).toHaveBeenCalledTimes(10);
  });
});

describe('[api: events] stored full_state snapshots', () => {
  it('the newest status wins, whether an execution_status update or a full_state snapshot', async () => {
    const update = (id: string, value: string) => ({ id, kind: 'ConversationStateUpdateEvent', key: 'execution_status', value });
    const snapshot = (id: string, status: string) => ({ id, kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { execution_status: status } });
    // newest first: after a resume the running → error switch is only in the snapshot
    const afterResume = vi.fn(async () => ({ items: [snapshot('s', 'error'), update('u', 'running')], nextPageId: null }));
    expect(await lastExecutionStatus({ searchEvents: afterResume } as unknown as Client, 'c')).toBe('error');
    const later = vi.fn(async () => ({ items: [update('u', 'finished'), snapshot('s', 'running')], nextPageId: null }));
    expect(await lastExecutionStatus({ searchEvents: later } as unknown as Client, 'c')).toBe('finished');
  });
});

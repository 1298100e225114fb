// Emulator: sandboxes, auto-pause and what a pause does to a run ([api: statuses], [api: rate-limits], [api: auto-pause]), over real HTTP.
import { describe, expect, it } from 'vitest';
import { api, closeAfterEach, conversation, emu, getJson, hasTransition, readyConversation, sleep, start, waitFor, type J } from './test-kit.ts';

closeAfterEach();

const HELD = [{ afterMs: 0, status: 'running' as const }];
const sandboxPauses = (sandboxId: string): Array<{ cause?: string }> =>
  emu().transitions.filter((t) => t.kind === 'sandbox' && t.sandboxId === sandboxId && t.status === 'PAUSED');

describe('auto-pause ([api: auto-pause])', () => {
  it('a start beyond maxSandboxes pauses the oldest RUNNING sandbox; a run paused mid-way turns to error on resume', async () => {
    await start({ maxSandboxes: 2, scenario: { execution: HELD, resumeMs: 20 } });
    const first = await readyConversation();
    const second = await readyConversation();
    expect((await conversation(first.convId)).execution_status).toBe('running');
    expect(sandboxPauses(String(first.task.sandbox_id))).toEqual([]);
    const third = await readyConversation();
    // the third start paused the oldest, by the service itself
    expect(sandboxPauses(String(first.task.sandbox_id))).toMatchObject([{ cause: 'max-sandboxes' }]);
    expect(sandboxPauses(String(second.task.sandbox_id))).toEqual([]);
    expect(await conversation(first.convId)).toMatchObject({ sandbox_status: 'PAUSED', execution_status: null });
    expect((await conversation(third.convId)).sandbox_status).toBe('RUNNING');

    // resuming it pauses the next oldest first, then comes back as error: the run does not continue
    const eventsBefore = emu().events(first.convId).length;
    expect((await api(`/api/v1/sandboxes/${String(first.task.sandbox_id)}/resume`, { method: 'POST' })).status).toBe(200);
    expect(sandboxPauses(String(second.task.sandbox_id))).toMatchObject([{ cause: 'max-sandboxes' }]);
    await waitFor(async () => (await conversation(first.convId)).sandbox_status === 'RUNNING');
    expect((await conversation(first.convId)).execution_status).toBe('error');
    await sleep(100);
    const after = emu().events(first.convId).slice(eventsBefore);
    // [api: events]: the switch happens before the subscribers attach: only the stored full_state snapshot records it
    expect(after).toMatchObject([{ kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { execution_status: 'error' } }]);
    expect(after.some((e) => e.key === 'execution_status')).toBe(false);
  });

  it('counts per user: another key has its own sandboxes', async () => {
    await start({ maxSandboxes: 1, apiKeys: ['test-key', 'other-key'], scenario: { execution: HELD } });
    const mine = await readyConversation();
    const res = await api('/api/v1/app-conversations', {
      key: 'other-key',
      method: 'POST',
      body: JSON.stringify({ initial_message: { content: [{ type: 'text', text: 'x' }] } }),
    });
    const other = (await res.json()) as J;
    await waitFor(() => emu().tasks.find((t) => t.id === other.id)?.status === 'READY');
    expect(sandboxPauses(String(mine.task.sandbox_id))).toEqual([]);
    await readyConversation(); // my second one: with max 1, my first is paused
    expect(sandboxPauses(String(mine.task.sandbox_id))).toMatchObject([{ cause: 'max-sandboxes' }]);
  });

  it('emu.pauseSandbox is "someone paused it": no cause; after a pause at the end the status stays', async () => {
    await start({ scenario: { execution: HELD, resumeMs: 10 } });
    const held = await readyConversation();
    const sandboxId = String(held.task.sandbox_id);
    expect(emu().pauseSandbox(sandboxId)).toBe(true);
    expect(sandboxPauses(sandboxId)).toEqual([{ kind: 'sandbox', taskId: held.task.id, conversationId: held.convId, sandboxId, status: 'PAUSED', at: expect.any(Number) }]);
    emu().resumeSandbox(sandboxId);
    await waitFor(() => hasTransition(held.convId, 'error', 'execution'));

    emu().queueScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 50, status: 'finished' }] });
    const done = await readyConversation();
    await waitFor(() => hasTransition(done.convId, 'finished'));
    emu().pauseSandbox(String(done.task.sandbox_id));
    emu().resumeSandbox(String(done.task.sandbox_id));
    await waitFor(async () => (await conversation(done.convId)).sandbox_status === 'RUNNING');
    expect((await conversation(done.convId)).execution_status).toBe('finished');
    const [sb] = await getJson<Array<J | null>>(`/api/v1/sandboxes?id=${String(done.task.sandbox_id)}&id=nope`);
    expect(sb).toMatchObject({ id: done.task.sandbox_id, status: 'RUNNING' });
  });
});

// Emulator: injected faults and the /_emulator control endpoints, over real HTTP.
import { describe, expect, it } from 'vitest';
import { api, closeAfterEach, emu, sleep, start, startBody, startConversation, taskStatuses, waitFor, readCut, type J } from './test-kit.ts';

closeAfterEach();

describe('faults', () => {
  it('status, html, delay and reset faults', async () => {
    await start();
    emu().addFault({ kind: 'status', status: 503, retryAfter: 2, path: '/api/v1/users/me' });
    const f503 = await api('/api/v1/users/me');
    expect(f503.status).toBe(503);
    expect(f503.headers.get('retry-after')).toBe('2');
    expect((await api('/api/v1/users/me')).status).toBe(200); // consumed

    emu().addFault({ kind: 'html', method: 'GET' });
    const h = await api('/api/v1/users/me');
    expect(h.headers.get('content-type')).toMatch(/text\/html/);

    emu().addFault({ kind: 'delay', ms: 120 });
    const t0 = performance.now();
    expect((await api('/api/v1/users/me')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);

    emu().addFault({ kind: 'reset', path: /users/ });
    await expect(api('/api/v1/users/me')).rejects.toThrow();
    expect(emu().requests.at(-1)).toMatchObject({ status: null, fault: 'reset' });
  });

  it('reset-after creates the task but never answers; on the POST the start goes on', async () => {
    await start();
    emu().addFault({ kind: 'reset-after', method: 'POST', path: '/api/v1/app-conversations' });
    await expect(api('/api/v1/app-conversations', { method: 'POST', body: startBody() })).rejects.toThrow();
    expect(emu().tasks).toHaveLength(1);
    await waitFor(() => emu().tasks[0]!.status === 'READY');
  });

  it('hang never answers, and close() is still prompt', async () => {
    await start();
    emu().addFault({ kind: 'hang' });
    await expect(api('/api/v1/users/me', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    emu().addFault({ kind: 'hang' });
    const pending = api('/api/v1/users/me').catch((e: unknown) => e);
    await waitFor(() => emu().requests.length === 2);
    const t0 = performance.now();
    await emu().close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('stream-break loses the stream and so cancels the start; stream-stall keeps the connection', async () => {
    await start({ scenario: { phaseMs: 10 } });
    emu().addFault({ kind: 'stream-break', afterItems: 2 });
    const broken = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody() });
    await expect(broken.text()).rejects.toThrow();
    const brokenId = String(emu().tasks[0]!.id);

    emu().addFault({ kind: 'stream-stall', afterItems: 1 });
    const stalled = await api('/api/v1/app-conversations/stream-start', { method: 'POST', body: startBody(), signal: AbortSignal.timeout(300) });
    const { text, error } = await readCut(stalled);
    expect(error).toBeTruthy();
    expect(text.startsWith('[\n{')).toBe(true);
    expect(text).not.toContain(',\n');
    // the stalled start went on to READY while its connection was open; the broken one stopped
    await waitFor(() => emu().tasks.some((t) => t.status === 'READY'));
    expect(taskStatuses(brokenId)).toEqual(['WORKING', 'WAITING_FOR_SANDBOX']);
    await sleep(100);
    expect(taskStatuses(brokenId)).toEqual(['WORKING', 'WAITING_FOR_SANDBOX']);
  });
});

describe('control endpoints', () => {
  it('drives the emulator over HTTP without being recorded', async () => {
    await start();
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${emu().url}/_emulator/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    await post('queue', { startError: { atPhase: 'WORKING', detail: 'boom' } });
    await post('faults', { kind: 'status', status: 502, pathRegex: 'users/me$', times: 2 });
    expect((await api('/api/v1/users/me')).status).toBe(502);
    expect((await api('/api/v1/users/me')).status).toBe(502);
    expect((await api('/api/v1/users/me')).status).toBe(200);
    const task = await startConversation();
    await waitFor(() => taskStatuses(String(task.id)).includes('ERROR'));
    const reqs = (await (await fetch(`${emu().url}/_emulator/requests`)).json()) as J[];
    expect(reqs).toHaveLength(4);
    expect(reqs.every((r) => !String(r.path).startsWith('/_emulator'))).toBe(true);
    const transitions = (await (await fetch(`${emu().url}/_emulator/transitions`)).json()) as J[];
    expect(transitions.map((t) => t.status)).toEqual(['WORKING', 'ERROR']);
    await post('faults', { kind: 'key-store', forMs: 1000 });
    expect((await api('/api/v1/users/me')).status).toBe(401);
    await post('reset', {});
    expect(emu().requests).toHaveLength(0);
    expect(emu().tasks).toHaveLength(0);
    expect((await api('/api/v1/users/me')).status).toBe(200); // faults are gone too
  });
});

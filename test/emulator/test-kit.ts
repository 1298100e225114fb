// Shared helpers of the emulator tests (test/emulator/*.test.ts): one emulator per test, real sockets, global fetch.
import { afterEach, expect } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from './server.ts';

export const KEY = 'test-key';
export const HEX32 = /^[0-9a-f]{32}$/;

export type J = Record<string, unknown>;

let current: Emulator | null = null;

/** Call once per test file: closes the test's emulator afterwards. */
export function closeAfterEach(): void {
  afterEach(async () => {
    await current?.close();
    current = null;
  });
}

export function emu(): Emulator {
  if (!current) throw new Error('no emulator: call start() first');
  return current;
}

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  current = await startEmulator({ rateLimits: false, ...options, scenario: { phaseMs: 5, eventFlushMs: 20, ...options.scenario } });
  return current;
}

export function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${emu().url}${path}`, { ...init, headers });
}

export async function getJson<T = J>(path: string): Promise<T> {
  const res = await api(path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

export const startBody = (extra: J = {}): string =>
  JSON.stringify({ initial_message: { role: 'user', content: [{ type: 'text', text: 'Fix the bug' }], run: true }, ...extra });

export async function startConversation(extra: J = {}): Promise<J> {
  const res = await api('/api/v1/app-conversations', { method: 'POST', body: startBody(extra) });
  expect(res.status).toBe(200);
  return (await res.json()) as J;
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const taskStatuses = (taskId: string): string[] =>
  emu().transitions.filter((t) => t.kind === 'start-task' && t.taskId === taskId).map((t) => t.status);

export async function readyConversation(extra: J = {}): Promise<{ task: J; convId: string }> {
  const task = await startConversation(extra);
  const ready = await waitFor(async () => {
    const [t] = await getJson<J[]>(`/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
    return t?.status === 'READY' ? t : null;
  });
  return { task: ready, convId: String(ready.app_conversation_id) };
}

export async function conversation(id: string): Promise<J> {
  const [c] = await getJson<Array<J | null>>(`/api/v1/app-conversations?ids=${id}`);
  return c!;
}

export const hasTransition = (convId: string, status: string, kind?: string): boolean =>
  emu().transitions.some((t) => t.conversationId === convId && t.status === status && (!kind || t.kind === kind));

/** Reads a body until it ends or breaks: what arrived, and the error if it was cut. */
export async function readCut(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

// Test helpers around the emulator's agent server: start a conversation, wait for READY, and
// hand back what a client reads from the app server (conversation_url, session_api_key).
import type { Emulator, ScenarioInput } from './types.ts';

type J = Record<string, unknown>;

export interface LiveRun {
  convId: string;
  sandboxId: string;
  conversationUrl: string;
  sessionApiKey: string;
  /** conversation_url minus /api/conversations/{id} */
  base: string;
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function api<T>(emu: Emulator, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${emu.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${emu.apiKeys[0]}`, 'content-type': 'application/json' },
  });
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** Starts one conversation (the next start uses `scenario`) and waits until it is READY. */
export async function readyRun(emu: Emulator, scenario: ScenarioInput = {}): Promise<LiveRun> {
  emu.queueScenario(scenario);
  const body = { initial_message: { role: 'user', content: [{ type: 'text', text: 'Fix the bug' }], run: true } };
  const task = await api<J>(emu, '/api/v1/app-conversations', { method: 'POST', body: JSON.stringify(body) });
  const ready = await waitFor(async () => {
    const [t] = await api<J[]>(emu, `/api/v1/app-conversations/start-tasks?ids=${String(task.id)}`);
    return t?.status === 'READY' ? t : null;
  });
  const convId = String(ready.app_conversation_id);
  const [conv] = await api<J[]>(emu, `/api/v1/app-conversations?ids=${convId}`);
  const conversationUrl = String(conv!.conversation_url);
  return {
    convId,
    sandboxId: String(conv!.sandbox_id),
    conversationUrl,
    sessionApiKey: String(conv!.session_api_key),
    base: conversationUrl.replace(/\/api\/conversations\/[0-9a-f]+$/, ''),
  };
}

export async function appConversation(emu: Emulator, id: string): Promise<J> {
  const [c] = await api<Array<J | null>>(emu, `/api/v1/app-conversations?ids=${id}`);
  return c!;
}

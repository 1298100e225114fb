/**
 * The agent server inside a running sandbox (placeholder until the agent-server client lands):
 * reached at conversation_url minus /api/conversations/{id}, with the sandbox's session key.
 */
import { request } from 'undici';
import type { Conversation } from './types.js';

export interface AgentServer {
  setTitle(title: string): Promise<void>;
  finalResponse(): Promise<string | undefined>;
}

export function agentServerFor(c: Conversation | null, id: string): AgentServer | undefined {
  if (!c?.conversation_url || !c.session_api_key || c.sandbox_status !== 'RUNNING') return undefined;
  const url = c.conversation_url.replace(/\/+$/, '');
  const headers = { 'x-session-api-key': c.session_api_key, 'content-type': 'application/json', accept: 'application/json' };
  void id;
  return {
    async setTitle(title) {
      const res = await request(url, { method: 'PATCH', headers, body: JSON.stringify({ title }), headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`PATCH the agent server's conversation answered HTTP ${res.statusCode}`);
    },
    async finalResponse() {
      const res = await request(`${url}/agent_final_response`, { headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
      if (res.statusCode >= 300) {
        await res.body.dump();
        return undefined;
      }
      const body = (await res.body.json()) as { response?: unknown };
      return typeof body.response === 'string' ? body.response : undefined;
    },
  };
}

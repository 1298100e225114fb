// A minimal agent-server stand-in behind agent_server_url / conversation_url (`{url}/runtime/{sandbox}`),
// so that a client following conversation_url talks to something real. Only
// GET /api/conversations/{id}/agent_final_response ([api: final-message]), with X-Session-API-Key.
import { detail, json, type App, type Ctx, type Reply } from '../http.ts';
import { parseUuid } from '../util.ts';

export function runtime(app: App, ctx: Ctx): Reply {
  const m = /^\/runtime\/([^/]+)(\/.*)$/.exec(ctx.path);
  const sb = m ? app.engine.sandboxes.get(m[1]!) : undefined;
  if (!m || !sb) return detail(404, 'Not Found');
  // (guess) a paused or broken runtime is unreachable behind its ingress
  if (sb.status !== 'RUNNING') return { status: 503, text: 'Service Unavailable', contentType: 'text/plain; charset=utf-8' };
  if (ctx.headers['x-session-api-key'] !== sb.sessionApiKey) return detail(401, 'Unauthorized');
  const fr = /^\/api\/conversations\/([^/]+)\/agent_final_response$/.exec(m[2]!);
  if (!fr || ctx.method !== 'GET') return detail(404, 'Not Found');
  const conv = app.engine.conversations.get(parseUuid(fr[1]) ?? '');
  if (!conv || conv.sandboxId !== sb.id) return detail(404, 'Conversation not found');
  return json(200, { response: app.engine.finalResponse(conv) });
}

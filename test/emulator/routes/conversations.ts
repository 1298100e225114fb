// Conversations: batch get, search, count, PATCH, DELETE, send-message ([api: reading], [api: follow-ups], [api: rate-limits], [api: ids], [api: errors]).
import type { Conversation } from '../engine.ts';
import { detail, json, jsonBodyError, paginate, pyRepr, route, unprocessable, type App, type Ctx, type Reply, type Route } from '../http.ts';
import { dashed, parseUuid } from '../util.ts';
import { Errors, validateSendMessage, validateUpdate } from '../validation.ts';
import { pathUuid, queryBool, queryDatetime, queryLimit } from '../query.ts';

export function conversationRoutes(app: App): Route[] {
  const routes = [
    route('GET', '/app-conversations', (c) => batch(app, c)),
    route('GET', '/app-conversations/search', (c) => search(app, c, false)),
    route('GET', '/app-conversations/count', (c) => search(app, c, true)),
    route('DELETE', '/app-conversations/{id}', (c) => remove(app, c)),
  ];
  // Both arrived after the servers that ignore conversation_id ([api: ids]).
  if (!app.options.legacy)
    routes.push(route('PATCH', '/app-conversations/{id}', (c) => patch(app, c)), route('POST', '/app-conversations/{id}/send-message', (c) => sendMessage(app, c)));
  return routes;
}

export function ownConversation(app: App, ctx: Ctx, hex: string): Conversation | null {
  const c = app.engine.conversations.get(hex);
  return c && c.user === ctx.user ? c : null;
}

/** GET /app-conversations?ids= ([api: reading]). */
function batch(app: App, ctx: Ctx): Reply {
  const ids = ctx.query.getAll('ids');
  if (ids.length === 0) {
    const errors = new Errors();
    errors.missing(['query', 'ids']);
    return unprocessable(errors);
  }
  if (ids.length >= 100) return detail(400, 'Too many ids requested. Maximum is 99.');
  const invalid = ids.filter((i) => !parseUuid(i));
  if (invalid.length) return detail(400, `Invalid UUID format for ids: [${invalid.map(pyRepr).join(', ')}]`);
  return json(
    200,
    ids.map((i) => {
      const c = ownConversation(app, ctx, parseUuid(i)!);
      return c ? app.engine.conversationJson(c, true) : null;
    }),
  );
}

/** GET /app-conversations/search and /count ([api: reading]). No sort_order: always CREATED_AT_DESC. */
function search(app: App, ctx: Ctx, count: boolean): Reply {
  const q = ctx.query;
  const errors = new Errors();
  const titleContains = q.get('title__contains');
  const cGte = queryDatetime(q, 'created_at__gte', errors);
  const cLt = queryDatetime(q, 'created_at__lt', errors);
  const uGte = queryDatetime(q, 'updated_at__gte', errors);
  const uLt = queryDatetime(q, 'updated_at__lt', errors);
  const sandboxEq = q.get('sandbox_id__eq');
  const includeSubs = queryBool(q, 'include_sub_conversations', errors);
  const limit = count ? 100 : queryLimit(q, errors);
  if (!errors.ok) return unprocessable(errors);
  const convs = [...app.engine.conversations.values()].filter(
    (c) =>
      c.user === ctx.user &&
      (includeSubs || !c.parentId) &&
      // SQL LIKE on Postgres: case-sensitive
      (titleContains === null || c.title.includes(titleContains)) &&
      (!cGte || c.createdAt >= cGte.ms) &&
      (!cLt || c.createdAt < cLt.ms) &&
      (!uGte || c.updatedAt >= uGte.ms) &&
      (!uLt || c.updatedAt < uLt.ms) &&
      (sandboxEq === null || c.sandboxId === sandboxEq),
  );
  if (count) return json(200, convs.length);
  convs.sort((a, b) => b.createdAt - a.createdAt);
  return json(200, paginate(convs.map((c) => app.engine.conversationJson(c, true)), q, limit));
}

/** PATCH /app-conversations/{id} ([api: rate-limits]): the app-server row only, overwritten by the auto-title copy ([api: titles]). */
function patch(app: App, ctx: Ctx): Reply {
  const bad = jsonBodyError(ctx);
  if (bad) return bad;
  const errors = new Errors();
  const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
  const fields = validateUpdate(ctx.body, errors);
  if (!errors.ok || !fields) return unprocessable(errors);
  const conv = ownConversation(app, ctx, hex);
  if (!conv) return detail(404, 'unknown_app_conversation');
  app.engine.update(conv, fields);
  return json(200, app.engine.conversationJson(conv, true));
}

/** DELETE /app-conversations/{id} ([api: rate-limits]). */
function remove(app: App, ctx: Ctx): Reply {
  const hex = parseUuid(ctx.params[0]!);
  if (!hex) return detail(400, 'Invalid conversation ID format');
  const conv = ownConversation(app, ctx, hex);
  if (!conv) return detail(404, 'Conversation not found');
  app.engine.deleteConversation(conv);
  return json(200, { success: true });
}

/** The app server's proxy timeout for send-message (R: `httpx_client.post(..., timeout=30.0)`, [api: follow-ups]). */
export const SEND_MESSAGE_TIMEOUT_MS = 30_000;

/**
 * POST /app-conversations/{id}/send-message ([api: follow-ups], texts from R L494-530 per [api: errors]). The sandbox
 * check asks the runtime (a failed lookup reads MISSING: 410, [api: statuses]). The agent server adds the
 * message only once the agent's current step frees the state lock; the app server's proxy gives
 * up after 30 s with 502 "Failed to reach agent server." while the message is still delivered
 * when the step ends ([api: follow-ups]).
 */
async function sendMessage(app: App, ctx: Ctx): Promise<Reply> {
  const bad = jsonBodyError(ctx);
  if (bad) return bad;
  const errors = new Errors();
  const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
  const msg = validateSendMessage(ctx.body, errors);
  if (!errors.ok || !msg) return unprocessable(errors);
  const conv = ownConversation(app, ctx, hex);
  // FastAPI's UUID path parameter renders dashed in the f-string.
  if (!conv) return detail(404, `Conversation ${dashed(hex)} not found`);
  const sb = app.engine.sandboxes.get(conv.sandboxId);
  if (!sb) return detail(404, `Sandbox not found for conversation ${dashed(hex)}`);
  const status = app.engine.runtimeFails('lookup') ? 'MISSING' : sb.status;
  switch (status) {
    case 'MISSING':
      return detail(410, 'Conversation is archived. The sandbox no longer exists.');
    case 'ERROR':
      return detail(503, 'Sandbox is in an error state and cannot accept messages.');
    case 'PAUSED':
    case 'STARTING':
      return detail(409, `Sandbox is ${sb.status}. Use POST /api/v1/sandboxes/${sb.id}/resume to resume it first.`);
  }
  const engine = app.engine;
  // the request reached the agent server: it adds (and runs) the message once it holds the lock
  const delivered = new Promise<'sent'>((resolve) =>
    engine.afterLock(conv, () => {
      if (engine.conversations.get(conv.id) === conv) engine.sendMessage(conv, msg.content, msg.run);
      resolve('sent');
    }),
  );
  const limit = app.options.sendMessageTimeoutMs ?? SEND_MESSAGE_TIMEOUT_MS;
  const outcome = await Promise.race([delivered, engine.timers.sleep(limit).then(() => 'proxy-timeout' as const)]);
  if (outcome === 'proxy-timeout') return detail(502, 'Failed to reach agent server.');
  return json(200, { success: true, sandbox_status: 'RUNNING', message: null });
}

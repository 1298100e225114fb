// Sandboxes ([api: rate-limits], [api: auto-pause]) and GET /users/me.
import { detail, json, paginate, route, unprocessable, type App, type Ctx, type Reply, type Route } from '../http.ts';
import { Errors } from '../validation.ts';
import { queryLimit } from '../query.ts';

export function sandboxRoutes(app: App): Route[] {
  return [
    route('GET', '/sandboxes', (c) => batch(app, c)),
    route('GET', '/sandboxes/search', (c) => search(app, c)),
    route('POST', '/sandboxes/{id}/pause', (c) => action(app, c, 'pause')),
    route('POST', '/sandboxes/{id}/resume', (c) => action(app, c, 'resume')),
    route('GET', '/users/me', (c) => me(app, c)),
  ];
}

/** GET /sandboxes?id= (the 400 text is a guess). */
function batch(app: App, ctx: Ctx): Reply {
  const ids = ctx.query.getAll('id');
  if (ids.length === 0) {
    const errors = new Errors();
    errors.missing(['query', 'id']);
    return unprocessable(errors);
  }
  if (ids.length > 100) return detail(400, `Cannot request more than 100 sandboxes at once, got ${ids.length}`);
  return json(
    200,
    ids.map((i) => {
      const sb = app.engine.sandboxes.get(i);
      return sb && sb.user === ctx.user ? app.engine.sandboxJson(sb, true) : null;
    }),
  );
}

function search(app: App, ctx: Ctx): Reply {
  const errors = new Errors();
  const limit = queryLimit(ctx.query, errors);
  if (!errors.ok) return unprocessable(errors);
  const list = [...app.engine.sandboxes.values()].filter((s) => s.user === ctx.user).sort((a, b) => b.createdAt - a.createdAt);
  return json(200, paginate(list.map((s) => app.engine.sandboxJson(s, true)), ctx.query, limit));
}

/**
 * pause / resume; a resume first pauses the user's oldest RUNNING sandboxes beyond maxSandboxes
 * ([api: auto-pause]). The service answers False with a bare HTTPException(404) (`{"detail":"Not Found"}`),
 * for an unknown sandbox and for any failed runtime call alike ([api: pause-resume], sandbox_router.py L84-105).
 */
function action(app: App, ctx: Ctx, which: 'pause' | 'resume'): Reply {
  const sb = app.engine.sandboxes.get(ctx.params[0]!);
  if (!sb || sb.user !== ctx.user) return detail(404, 'Not Found');
  const ok = which === 'pause' ? app.engine.pauseSandbox(sb.id, 'api') : app.engine.resumeSandbox(sb.id, 'api');
  return ok ? json(200, { success: true }) : detail(404, 'Not Found');
}

/** Content invented but plausible ([api: rate-limits] lists the fields). */
function me(app: App, ctx: Ctx): Reply {
  const n = [...app.users.values()].indexOf(ctx.user) + 1;
  return json(200, {
    id: ctx.user,
    email: `user${n}@example.com`,
    email_verified: true,
    org_id: '0000aaaa-0000-4000-8000-000000000001',
    org_name: `user${n}`,
    role: 'owner',
    permissions: ['manage_conversations', 'manage_api_keys', 'manage_settings'],
    language: 'en',
    agent: 'CodeActAgent',
    llm_model: app.options.llmModel ?? DEFAULT_LLM_MODEL,
    llm_base_url: null,
    llm_api_key_set: true,
    confirmation_mode: false,
    enable_default_condenser: true,
    mcp_config: null,
  });
}

export const DEFAULT_LLM_MODEL = 'litellm_proxy/claude-sonnet-4-5-20250929';

// The app-server copy of the events ([api: events]): only delivered webhook batches are visible ([api: events]).
// A legacy server ([api: ids]) has only GET /api/v1/events/search?conversation_id__eq=.
import { deliveredEvents } from '../events.ts';
import { detail, json, paginate, route, unprocessable, type App, type Ctx, type Reply, type Route } from '../http.ts';
import type { Json } from '../types.ts';
import { parseUuid } from '../util.ts';
import { enumError, Errors } from '../validation.ts';
import { pathUuid, queryDatetime, queryEnum, queryLimit, queryUuid } from '../query.ts';
import { ownConversation } from './conversations.ts';

export const EVENT_KINDS = [
  'ServerErrorEvent', 'ACPToolCallEvent', 'Condensation', 'CondensationRequest', 'CondensationSummaryEvent',
  'ConversationErrorEvent', 'ConversationStateUpdateEvent', 'HookExecutionEvent', 'LLMCompletionLogEvent',
  'ActionEvent', 'MessageEvent', 'AgentErrorEvent', 'ObservationEvent', 'UserRejectObservation',
  'SystemPromptEvent', 'StreamingDeltaEvent', 'TokenEvent', 'InterruptEvent', 'PauseEvent',
] as const;

export function eventRoutes(app: App): Route[] {
  if (app.options.legacy) return [route('GET', '/events/search', (c) => legacySearch(app, c))];
  return [
    route('GET', '/conversation/{id}/events/search', (c) => search(app, c, false)),
    route('GET', '/conversation/{id}/events/count', (c) => search(app, c, true)),
    route('GET', '/conversation/{id}/events', (c) => batch(app, c)),
  ];
}

function visible(app: App, ctx: Ctx, hex: string): Json[] {
  const conv = ownConversation(app, ctx, hex);
  return conv ? deliveredEvents(conv) : [];
}

/** Filters, sorting and paging shared by both search routes; timestamps compare as strings ([api: events]). */
function filtered(ctx: Ctx, events: Json[], count: boolean, errors: Errors): Reply {
  const q = ctx.query;
  const kind = q.get('kind__eq');
  if (kind !== null && !(EVENT_KINDS as readonly string[]).includes(kind)) enumError(errors, ['query', 'kind__eq'], EVENT_KINDS, kind);
  const gte = queryDatetime(q, 'timestamp__gte', errors);
  const lt = queryDatetime(q, 'timestamp__lt', errors);
  const order = count ? 'TIMESTAMP' : queryEnum(q, 'sort_order', ['TIMESTAMP', 'TIMESTAMP_DESC'] as const, 'TIMESTAMP', errors);
  const limit = count ? 100 : queryLimit(q, errors);
  if (!errors.ok) return unprocessable(errors);
  const list = events.filter((e) => {
    const ts = String(e.timestamp);
    return (!kind || e.kind === kind) && (!gte || ts >= gte.py) && (!lt || ts < lt.py);
  });
  if (count) return json(200, list.length);
  list.sort((a, b) => (String(a.timestamp) < String(b.timestamp) ? -1 : 1) * (order === 'TIMESTAMP_DESC' ? -1 : 1));
  return json(200, paginate(list, q, limit));
}

/** GET /conversation/{id}/events/search and /count. */
function search(app: App, ctx: Ctx, count: boolean): Reply {
  const errors = new Errors();
  const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
  return filtered(ctx, errors.ok ? visible(app, ctx, hex) : [], count, errors);
}

/** GET /api/v1/events/search?conversation_id__eq= (legacy). The emulator requires the filter (not verified). */
function legacySearch(app: App, ctx: Ctx): Reply {
  const errors = new Errors();
  const hex = queryUuid(ctx.query, 'conversation_id__eq', errors);
  if (errors.ok && !hex) errors.missing(['query', 'conversation_id__eq']);
  return filtered(ctx, hex ? visible(app, ctx, hex) : [], false, errors);
}

/** GET /conversation/{id}/events?id= (the 400 text is a guess). */
function batch(app: App, ctx: Ctx): Reply {
  const errors = new Errors();
  const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
  const ids = ctx.query.getAll('id');
  if (ids.length === 0) errors.missing(['query', 'id']);
  if (!errors.ok) return unprocessable(errors);
  if (ids.length > 100) return detail(400, `Cannot request more than 100 events at once, got ${ids.length}`);
  const byId = new Map(visible(app, ctx, hex).map((e) => [parseUuid(e.id), e]));
  return json(200, ids.map((i) => byId.get(parseUuid(i)) ?? null));
}

// POST /app-conversations, /stream-start and the start-task reads ([api: start], [api: start-task], [api: ids], [api: errors]).
import { StartRejected, type Task } from '../engine.ts';
import { detail, internalError, json, jsonBodyError, paginate, route, unprocessable, type App, type Ctx, type Reply, type Route, type StreamSink } from '../http.ts';
import type { Json } from '../types.ts';
import { Errors, validateStartRequest } from '../validation.ts';
import { queryDatetime, queryEnum, queryLimit, queryUuid, queryUuidList } from '../query.ts';

export const DUPLICATE_DETAIL = 'emulator: duplicate conversation_id is not modelled (not verified upstream)';

export function startRoutes(app: App): Route[] {
  const routes = [
    route('POST', '/app-conversations', (c) => start(app, c, false)),
    route('GET', '/app-conversations/start-tasks', (c) => batchTasks(app, c)),
    route('GET', '/app-conversations/start-tasks/search', (c) => searchTasks(app, c, false)),
    route('GET', '/app-conversations/start-tasks/count', (c) => searchTasks(app, c, true)),
  ];
  if (app.options.streamStart !== false) routes.push(route('POST', '/app-conversations/stream-start', (c) => start(app, c, true)));
  return routes;
}

function start(app: App, ctx: Ctx, stream: boolean): Reply {
  const bad = jsonBodyError(ctx);
  if (bad) return bad;
  const errors = new Errors();
  // An older server has no conversation_id field: extra='ignore' drops it unread ([api: ids]).
  const body = app.options.legacy && ctx.body && typeof ctx.body === 'object' ? { ...(ctx.body as Json), conversation_id: undefined } : ctx.body;
  const request = validateStartRequest(body, errors);
  if (!request) return unprocessable(errors);
  if (app.options.legacy) delete request.echo.conversation_id;
  if (app.engine.isDuplicate(request)) return detail(500, DUPLICATE_DETAIL);
  const { scenario, partial } = app.takeScenario();
  let task: Task;
  try {
    task = app.engine.startTask(ctx.user, request, scenario);
  } catch (err) {
    if (!(err instanceof StartRejected)) throw err;
    if (partial) app.requeue(partial);
    // POST: the exception leaves the handler (500). stream-start: it happens inside the generator,
    // after the 200 and "[\n" were sent, so the connection just drops ([api: start]).
    return stream ? { abandon: () => {}, stream: (s) => (s.begin(), s.drop()) } : internalError();
  }
  // POST hands the rest of the start to a background task: it goes on whatever the client does.
  if (!stream) return json(200, app.engine.taskJson(task));
  return streamTask(app, task);
}

/** stream-start runs the start inside the response: when the connection closes early, the start is cancelled. */
function streamTask(app: App, task: Task): Reply {
  // Subscribe now so that no state is missed even if the answer is delayed by a fault.
  const pending: Json[] = [app.engine.taskJson(task)];
  let sink: StreamSink | null = null;
  const deliver = (t: Json): void => {
    if (!sink) return void pending.push(t);
    sink.item(t);
    if (t.status === 'READY' || t.status === 'ERROR') {
      sink.end();
      task.listeners.delete(deliver);
    }
  };
  task.listeners.add(deliver);
  return {
    abandon: () => app.engine.cancelStart(task),
    stream: (s) => {
      sink = s;
      s.onClose(() => app.engine.cancelStart(task));
      s.begin();
      for (const t of pending.splice(0)) deliver(t);
    },
  };
}

function ownTask(app: App, ctx: Ctx, hex: string): Task | null {
  const t = app.engine.tasks.get(hex);
  return t && t.user === ctx.user ? t : null;
}

/** GET /app-conversations/start-tasks?ids= ([api: start-task]). */
function batchTasks(app: App, ctx: Ctx): Reply {
  const errors = new Errors();
  const ids = queryUuidList(ctx.query, 'ids', errors);
  if (!errors.ok) return unprocessable(errors);
  if (ids.length > 100) return detail(400, `Cannot request more than 100 start tasks at once, got ${ids.length}`);
  return json(
    200,
    ids.map((hex) => {
      const t = ownTask(app, ctx, hex);
      return t ? app.engine.taskJson(t) : null;
    }),
  );
}

/** GET /app-conversations/start-tasks/search and /count ([api: start-task]). */
function searchTasks(app: App, ctx: Ctx, count: boolean): Reply {
  const q = ctx.query;
  const errors = new Errors();
  const convEq = queryUuid(q, 'conversation_id__eq', errors);
  const createdGte = queryDatetime(q, 'created_at__gte', errors);
  const order = count ? 'CREATED_AT_DESC' : queryEnum(q, 'sort_order', ['CREATED_AT', 'CREATED_AT_DESC', 'UPDATED_AT', 'UPDATED_AT_DESC'] as const, 'CREATED_AT_DESC', errors);
  const limit = count ? 100 : queryLimit(q, errors);
  if (!errors.ok) return unprocessable(errors);
  const tasks = [...app.engine.tasks.values()].filter(
    (t) => t.user === ctx.user && (!convEq || t.appConversationId === convEq) && (!createdGte || t.createdAt >= createdGte.ms),
  );
  if (count) return json(200, tasks.length);
  const key = order.startsWith('UPDATED') ? 'updatedAt' : 'createdAt';
  const dir = order.endsWith('_DESC') ? -1 : 1;
  tasks.sort((a, b) => (a[key] - b[key]) * dir);
  return json(200, paginate(tasks.map((t) => app.engine.taskJson(t)), q, limit));
}

/**
 * The GitHub fake's check runs: create, update, get, and the list for a commit. A token without
 * `checks: write` (the `checks: 'none'` seed option) gets GitHub's 403 on create and update.
 */
import { HttpError, R, notFound, type Ctx, type Helpers, type Route } from './http.ts';
import { DOCS, iso, type FakeCheckRun } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

const STATUSES = ['queued', 'in_progress', 'completed'];
const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];

export function checkRoutes(s: Store, r: Render, h: Helpers): Route[] {
  const { state, now } = s;
  const { checkRunJson } = r;
  const { repoOf, bodyObject } = h;

  function mayWrite(): void {
    if (state.checks !== 'write') {
      throw new HttpError(403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run',
        status: '403',
      });
    }
  }
  const invalid = (message: string) => new HttpError(422, { message, documentation_url: DOCS });
  function checkOf(ctx: Ctx): FakeCheckRun {
    const repo = repoOf(ctx);
    const c = state.checkRuns.find((x) => x.repo === repo.full_name && x.id === Number(ctx.params[2]));
    if (!c) throw notFound();
    return c;
  }
  /** status, conclusion, details_url, external_id, output: as GitHub checks them. */
  function apply(c: FakeCheckRun, b: Record<string, unknown>): void {
    if (b['status'] !== undefined) {
      if (!STATUSES.includes(String(b['status']))) throw invalid(`Invalid request.\n\n${JSON.stringify(b['status'])} is not a valid status.`);
      c.status = b['status'] as FakeCheckRun['status'];
    }
    if (b['conclusion'] !== undefined) {
      if (!CONCLUSIONS.includes(String(b['conclusion']))) throw invalid(`Invalid request.\n\n${JSON.stringify(b['conclusion'])} is not a valid conclusion.`);
      c.conclusion = String(b['conclusion']);
      c.status = 'completed';
    }
    if (c.status === 'completed') {
      if (!c.conclusion) throw invalid('Invalid request.\n\nNo subschema in "anyOf" matched: "conclusion" wasn\'t supplied.');
      c.completed_at ??= iso(now());
    }
    if (typeof b['details_url'] === 'string') c.details_url = b['details_url'];
    if (typeof b['external_id'] === 'string') c.external_id = b['external_id'];
    const o = b['output'] as Record<string, unknown> | undefined;
    if (o !== undefined) {
      if (typeof o?.['title'] !== 'string' || typeof o['summary'] !== 'string') throw invalid('Invalid request.\n\n"title" and "summary" are required in output.');
      if (o['summary'].length > 65535) throw invalid('Invalid request.\n\nOnly 65535 characters are allowed in output.summary.');
      c.output = { title: o['title'], summary: o['summary'], text: typeof o['text'] === 'string' ? o['text'] : null };
    }
  }

  return [
    [
      'POST',
      new RegExp(`^${R}/check-runs$`),
      (ctx) => {
        const repo = repoOf(ctx);
        mayWrite();
        const b = bodyObject(ctx);
        if (typeof b['name'] !== 'string' || !b['name']) throw invalid('Invalid request.\n\n"name" wasn\'t supplied.');
        if (typeof b['head_sha'] !== 'string' || !/^[0-9a-f]{40}$/.test(b['head_sha'])) throw invalid('Invalid request.\n\n"head_sha" wasn\'t supplied.');
        const c: FakeCheckRun = {
          id: state.nextCheckRunId++,
          repo: repo.full_name,
          name: b['name'],
          head_sha: b['head_sha'],
          status: 'queued',
          conclusion: null,
          details_url: null,
          external_id: null,
          output: { title: null, summary: null, text: null },
          started_at: iso(now()),
          completed_at: null,
        };
        apply(c, b);
        state.checkRuns.push(c);
        return { status: 201, body: checkRunJson(c, ctx.apiBase) };
      },
    ],
    [
      'PATCH',
      new RegExp(`^${R}/check-runs/(\\d+)$`),
      (ctx) => {
        const c = checkOf(ctx);
        mayWrite();
        apply(c, bodyObject(ctx));
        return { status: 200, body: checkRunJson(c, ctx.apiBase) };
      },
    ],
    ['GET', new RegExp(`^${R}/check-runs/(\\d+)$`), (ctx) => ({ status: 200, body: checkRunJson(checkOf(ctx), ctx.apiBase) })],
    [
      'GET',
      new RegExp(`^${R}/commits/([^/]+)/check-runs$`),
      (ctx) => {
        const repo = repoOf(ctx);
        const name = ctx.query.get('check_name');
        const st = ctx.query.get('status');
        const runs = state.checkRuns
          .filter((c) => c.repo === repo.full_name && c.head_sha === ctx.params[2])
          .filter((c) => (!name || c.name === name) && (!st || c.status === st))
          .reverse();
        return { status: 200, body: { total_count: runs.length, check_runs: runs.map((c) => checkRunJson(c, ctx.apiBase)) } };
      },
    ],
  ];
}

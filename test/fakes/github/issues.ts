/**
 * The GitHub fake's repositories, issues and pull requests: `GET /repos/{o}/{r}/issues` also
 * lists pull requests (with `pull_request`), as GitHub does; the pulls list filters by state,
 * head and base; the timeline derives `commented` and `cross-referenced` events.
 */
import { HttpError, R, notFound, notSupplied, type Helpers, type Route } from './http.ts';
import { DOCS, iso, type FakeIssue } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export function issueRoutes(s: Store, r: Render, h: Helpers): Route[] {
  const { state, now, tokenUser, addIssue, touch } = s;
  const { repoJson, issueJson, pullJson, labelJson, userJson } = r;
  const { repoOf, issueOf, bodyObject, paginate, labelNames } = h;
  return [
    ['GET', new RegExp(`^${R}$`), (ctx) => ({ status: 200, body: repoJson(repoOf(ctx).full_name, ctx.apiBase) })],

    [
      'GET',
      new RegExp(`^${R}/issues$`),
      (ctx) => {
        const repo = repoOf(ctx);
        const st = ctx.query.get('state') ?? 'open';
        const labels = (ctx.query.get('labels') ?? '')
          .split(',')
          .map((l) => l.trim().toLowerCase())
          .filter(Boolean);
        const creator = ctx.query.get('creator')?.toLowerCase();
        const since = ctx.query.get('since');
        const sinceMs = since ? Date.parse(since) : undefined;
        const sort = ctx.query.get('sort') ?? 'created';
        const dir = ctx.query.get('direction') === 'asc' ? 1 : -1;
        const commentCount = (i: FakeIssue) => state.comments.filter((c) => c.repo === i.repo && c.issue_number === i.number).length;
        const items = state.issues
          .filter((i) => i.repo === repo.full_name)
          .filter((i) => st === 'all' || i.state === st)
          .filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l)))
          .filter((i) => !creator || i.user.login.toLowerCase() === creator)
          .filter((i) => sinceMs === undefined || Date.parse(i.updated_at) >= sinceMs)
          .sort((a, b) => {
            const key = (i: FakeIssue) =>
              sort === 'updated' ? Date.parse(i.updated_at) : sort === 'comments' ? commentCount(i) : Date.parse(i.created_at);
            return (key(a) - key(b) || a.number - b.number) * dir;
          });
        const { page, headers } = paginate(items, ctx);
        return { status: 200, body: page.map((i) => issueJson(i, ctx.apiBase)), headers };
      },
    ],

    [
      'POST',
      new RegExp(`^${R}/issues$`),
      (ctx) => {
        const repo = repoOf(ctx);
        const b = bodyObject(ctx);
        if (b['title'] === undefined || b['title'] === null || b['title'] === '') throw notSupplied('title');
        const number = Math.max(0, ...state.issues.filter((i) => i.repo === repo.full_name).map((i) => i.number)) + 1;
        const issue = addIssue({
          repo: repo.full_name,
          number,
          title: String(b['title']),
          body: typeof b['body'] === 'string' ? b['body'] : null,
          labels: b['labels'] === undefined ? [] : labelNames(b['labels']),
          user: tokenUser,
        });
        return { status: 201, body: issueJson(issue, ctx.apiBase), headers: { location: `${ctx.apiBase}/repos/${repo.full_name}/issues/${number}` } };
      },
    ],


    ['GET', new RegExp(`^${R}/issues/(\\d+)$`), (ctx) => ({ status: 200, body: issueJson(issueOf(ctx), ctx.apiBase) })],
    [
      'PATCH',
      new RegExp(`^${R}/issues/(\\d+)$`),
      (ctx) => {
        const issue = issueOf(ctx);
        const b = bodyObject(ctx);
        if (typeof b['title'] === 'string') issue.title = b['title'];
        if (typeof b['body'] === 'string' || b['body'] === null) issue.body = b['body'];
        if (b['labels'] !== undefined) issue.labels = labelNames(b['labels']);
        if (b['state'] === 'open' || b['state'] === 'closed') {
          issue.state = b['state'];
          issue.closed_at = b['state'] === 'closed' ? iso(now()) : null;
        }
        touch(issue);
        return { status: 200, body: issueJson(issue, ctx.apiBase) };
      },
    ],
    [
      'POST',
      new RegExp(`^${R}/issues/(\\d+)/labels$`),
      (ctx) => {
        const issue = issueOf(ctx);
        const b = ctx.body;
        const names = labelNames(Array.isArray(b) ? b : bodyObject(ctx)['labels']);
        for (const n of names) if (!issue.labels.includes(n)) issue.labels.push(n);
        touch(issue);
        return { status: 200, body: issue.labels.map((l) => labelJson(issue.repo, l, ctx.apiBase)) };
      },
    ],
    [
      'DELETE',
      new RegExp(`^${R}/issues/(\\d+)/labels/([^/]+)$`),
      (ctx) => {
        const issue = issueOf(ctx);
        const name = decodeURIComponent(ctx.params[3] ?? '');
        if (!issue.labels.includes(name)) throw new HttpError(404, { message: 'Label does not exist', documentation_url: DOCS });
        issue.labels = issue.labels.filter((l) => l !== name);
        touch(issue);
        return { status: 200, body: issue.labels.map((l) => labelJson(issue.repo, l, ctx.apiBase)) };
      },
    ],

    [
      'GET',
      new RegExp(`^${R}/pulls/(\\d+)$`),
      (ctx) => {
        const issue = issueOf(ctx);
        if (!issue.pull_request) throw notFound();
        return { status: 200, body: pullJson(issue, ctx.apiBase) };
      },
    ],
    [
      'GET',
      new RegExp(`^${R}/pulls$`),
      (ctx) => {
        const repo = repoOf(ctx);
        const st = ctx.query.get('state') ?? 'open';
        const head = ctx.query.get('head');
        const base = ctx.query.get('base');
        const sort = ctx.query.get('sort') ?? 'created';
        // GitHub: newest first when sorting by creation (or not at all), else oldest first.
        const dir = (ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc')) === 'asc' ? 1 : -1;
        const items = state.issues
          .filter((i) => i.repo === repo.full_name && i.pull_request)
          .filter((i) => st === 'all' || i.state === st)
          .filter((i) => !head || `${i.pull_request?.head.repo.split('/')[0]}:${i.pull_request?.head.ref}`.toLowerCase() === head.toLowerCase())
          .filter((i) => !base || i.pull_request?.base.ref === base)
          .sort((a, b) => {
            const key = (i: FakeIssue) => Date.parse(sort === 'updated' ? i.updated_at : i.created_at);
            return (key(a) - key(b) || a.number - b.number) * dir;
          });
        const { page, headers } = paginate(items, ctx);
        return { status: 200, body: page.map((i) => pullJson(i, ctx.apiBase)), headers };
      },
    ],
    [
      'GET',
      new RegExp(`^${R}/issues/(\\d+)/timeline$`),
      (ctx) => {
        const issue = issueOf(ctx);
        // Derived: comments, and issues/PRs of the repository whose title or body mention #n.
        const mention = new RegExp(`(^|[^\\w&]|[\\w.-]+/[\\w.-]+)#${issue.number}(?!\\d)`);
        const events = [
          ...state.comments
            .filter((c) => c.repo === issue.repo && c.issue_number === issue.number)
            .map((c) => ({ event: 'commented', id: c.id, created_at: c.created_at, body: c.body, user: userJson(c.user, ctx.apiBase), actor: userJson(c.user, ctx.apiBase) })),
          ...state.issues
            .filter((i) => i.repo === issue.repo && i !== issue && mention.test(`${i.title}\n${i.body ?? ''}`))
            .map((i) => ({
              event: 'cross-referenced',
              created_at: i.created_at,
              updated_at: i.created_at,
              actor: userJson(i.user, ctx.apiBase),
              source: { type: 'issue', issue: { ...issueJson(i, ctx.apiBase), repository: repoJson(i.repo, ctx.apiBase) } },
            })),
        ].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
        const { page, headers } = paginate(events, ctx);
        return { status: 200, body: page, headers };
      },
    ],
  ];
}

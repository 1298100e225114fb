/**
 * The GitHub fake's issue comments: list (paginated, `since`), create, get, edit, delete. Bodies
 * over 65536 characters are refused with 422; a locked issue refuses a token without write.
 */
import { HttpError, R, type Helpers, type Route } from './http.ts';
import { DOCS, RANK, iso } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export function commentRoutes(s: Store, r: Render, h: Helpers): Route[] {
  const { state, now, tokenUser, addComment, touch } = s;
  const { commentJson } = r;
  const { commentOf, commentBody, issueOf, paginate } = h;
  return [
    [
      // The repository's issue comments (issues and PRs), per GitHub's OpenAPI description:
      // `sort` created (default) | updated, `direction` asc | desc and ignored without `sort`
      // (GitHub does not document the default then; ascending here), `since` = updated at or after.
      'GET',
      new RegExp(`^${R}/issues/comments$`),
      (ctx) => {
        const repo = h.repoOf(ctx);
        const sort = ctx.query.get('sort');
        const direction = ctx.query.get('direction');
        if (sort !== null && sort !== 'created' && sort !== 'updated') throw new HttpError(422, { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'sort', code: 'invalid' }], documentation_url: DOCS });
        if (direction !== null && direction !== 'asc' && direction !== 'desc') throw new HttpError(422, { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'direction', code: 'invalid' }], documentation_url: DOCS });
        const since = ctx.query.get('since');
        const sinceMs = since ? Date.parse(since) : undefined;
        const key = (c: (typeof state.comments)[number]) => Date.parse(sort === 'updated' ? c.updated_at : c.created_at);
        const dir = sort !== null && direction === 'desc' ? -1 : 1;
        const items = state.comments
          .filter((c) => c.repo === repo.full_name)
          .filter((c) => sinceMs === undefined || Date.parse(c.updated_at) >= sinceMs)
          .sort((a, b) => (key(a) - key(b) || a.id - b.id) * dir);
        const { page, headers } = paginate(items, ctx);
        return { status: 200, body: page.map((c) => commentJson(c, ctx.apiBase)), headers };
      },
    ],
    // Comment-by-id routes come before /issues/{n} routes ("comments" is not a number anyway).
    ['GET', new RegExp(`^${R}/issues/comments/(\\d+)$`), (ctx) => ({ status: 200, body: commentJson(commentOf(ctx), ctx.apiBase) })],
    [
      'PATCH',
      new RegExp(`^${R}/issues/comments/(\\d+)$`),
      (ctx) => {
        const c = commentOf(ctx);
        c.body = commentBody(ctx);
        c.updated_at = iso(now());
        return { status: 200, body: commentJson(c, ctx.apiBase) };
      },
    ],
    [
      'DELETE',
      new RegExp(`^${R}/issues/comments/(\\d+)$`),
      (ctx) => {
        const c = commentOf(ctx);
        state.comments = state.comments.filter((x) => x !== c);
        state.reactions = state.reactions.filter((r) => !(r.subject === 'issue_comment' && r.subject_id === c.id && r.repo === c.repo));
        return { status: 204 };
      },
    ],
    [
      'GET',
      new RegExp(`^${R}/issues/(\\d+)/comments$`),
      (ctx) => {
        const issue = issueOf(ctx);
        const since = ctx.query.get('since');
        const sinceMs = since ? Date.parse(since) : undefined;
        const items = state.comments
          .filter((c) => c.repo === issue.repo && c.issue_number === issue.number)
          .filter((c) => sinceMs === undefined || Date.parse(c.updated_at) >= sinceMs)
          .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
        const { page, headers } = paginate(items, ctx);
        return { status: 200, body: page.map((c) => commentJson(c, ctx.apiBase)), headers };
      },
    ],
    [
      'POST',
      new RegExp(`^${R}/issues/(\\d+)/comments$`),
      (ctx) => {
        const issue = issueOf(ctx);
        if (issue.locked && RANK[state.permissions.get(tokenUser.login.toLowerCase()) ?? 'write'] < RANK.write) {
          throw new HttpError(403, { message: 'Unable to create comment because issue is locked.', documentation_url: DOCS });
        }
        const body = commentBody(ctx);
        const c = addComment({ repo: issue.repo, issue_number: issue.number, body, user: tokenUser });
        touch(issue);
        return {
          status: 201,
          body: commentJson(c, ctx.apiBase),
          headers: { location: `${ctx.apiBase}/repos/${c.repo}/issues/comments/${c.id}` },
        };
      },
    ],
  ];
}

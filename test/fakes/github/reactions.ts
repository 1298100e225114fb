/** The GitHub fake's reactions on issues, issue comments and review comments (201 new, 200 existing). */
import { HttpError, R, notSupplied, type Ctx, type Helpers, type Reply, type Route } from './http.ts';
import { DOCS, REACTION_CONTENTS, iso, nodeId, type FakeReaction, type ReactionContent, type ReactionSubject } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export function reactionRoutes(s: Store, r: Render, h: Helpers): Route[] {
  const { state, now, tokenUser } = s;
  const { reactionJson } = r;
  const { repoOf, commentOf, issueOf, bodyObject, paginate } = h;

  function addReaction(ctx: Ctx, subject: ReactionSubject, subjectId: number): Reply {
    const repo = repoOf(ctx);
    const content = bodyObject(ctx)['content'];
    if (content === undefined) throw notSupplied('content');
    if (typeof content !== 'string' || !(REACTION_CONTENTS as readonly string[]).includes(content)) {
      throw new HttpError(422, {
        message: `Invalid request.\n\n${JSON.stringify(content)} is not a member of ${JSON.stringify(REACTION_CONTENTS)}.`,
        documentation_url: DOCS,
      });
    }
    const existing = state.reactions.find(
      (r) =>
        r.repo === repo.full_name &&
        r.subject === subject &&
        r.subject_id === subjectId &&
        r.content === content &&
        r.user.login === tokenUser.login,
    );
    if (existing) return { status: 200, body: reactionJson(existing, ctx.apiBase) };
    const id = state.nextReactionId++;
    const reaction: FakeReaction = {
      id,
      node_id: nodeId('REA', id),
      repo: repo.full_name,
      subject,
      subject_id: subjectId,
      content: content as ReactionContent,
      user: { ...tokenUser },
      created_at: iso(now()),
    };
    state.reactions.push(reaction);
    return { status: 201, body: reactionJson(reaction, ctx.apiBase) };
  }
  function listReactions(ctx: Ctx, subject: ReactionSubject, subjectId: number): Reply {
    const repo = repoOf(ctx);
    const content = ctx.query.get('content');
    const items = state.reactions.filter(
      (r) => r.repo === repo.full_name && r.subject === subject && r.subject_id === subjectId && (!content || r.content === content),
    );
    const { page, headers } = paginate(items, ctx);
    return { status: 200, body: page.map((r) => reactionJson(r, ctx.apiBase)), headers };
  }
  function deleteReaction(ctx: Ctx, subject: ReactionSubject, subjectId: number, reactionId: number): Reply {
    const repo = repoOf(ctx);
    const idx = state.reactions.findIndex(
      (r) => r.repo === repo.full_name && r.subject === subject && r.subject_id === subjectId && r.id === reactionId,
    );
    if (idx >= 0) state.reactions.splice(idx, 1);
    return { status: 204 };
  }

  return [
    ['GET', new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'issue_comment', commentOf(ctx).id)],
    ['POST', new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'issue_comment', commentOf(ctx).id)],
    [
      'DELETE',
      new RegExp(`^${R}/issues/comments/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'issue_comment', commentOf(ctx).id, Number(ctx.params[3])),
    ],

    ['GET', new RegExp(`^${R}/issues/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'issue', issueOf(ctx).number)],
    ['POST', new RegExp(`^${R}/issues/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'issue', issueOf(ctx).number)],
    [
      'DELETE',
      new RegExp(`^${R}/issues/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'issue', issueOf(ctx).number, Number(ctx.params[3])),
    ],
    // Review comments are not stored: any id is accepted for reactions.
    ['POST', new RegExp(`^${R}/pulls/comments/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'pull_request_review_comment', Number(ctx.params[2]))],
    ['GET', new RegExp(`^${R}/pulls/comments/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'pull_request_review_comment', Number(ctx.params[2]))],
    [
      'DELETE',
      new RegExp(`^${R}/pulls/comments/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'pull_request_review_comment', Number(ctx.params[2]), Number(ctx.params[3])),
    ],
  ];
}

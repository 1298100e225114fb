/**
 * The one sticky comment per issue/PR and comment-key: found again through its hidden marker,
 * created once, then edited in place.
 */
import type { Octokit } from './octokit.js';
import { markerFor, parseMarker, type MarkerState } from '../render/comment.js';

export interface CommentTarget {
  readonly owner: string;
  readonly repo: string;
  readonly issueNumber: number;
}

export interface StickyComment {
  readonly id: number;
  readonly url: string;
  readonly state: MarkerState | undefined;
}

/**
 * The newest comment holding this key's marker and written by a trusted author: a bot (the
 * GITHUB_TOKEN writes as github-actions[bot]) or the token's own user. Anyone can paste a
 * marker into a comment; such a copy is ignored.
 */
export async function findStickyComment(
  octokit: Octokit,
  t: CommentTarget,
  key: string,
): Promise<StickyComment | undefined> {
  const marker = markerFor(key) + ' ';
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.issueNumber,
    per_page: 100,
  });
  const candidates = comments.filter((c) => c.body?.startsWith(marker)).reverse();
  let self: string | null | undefined;
  for (const c of candidates) {
    if (c.user?.type !== 'Bot') {
      self ??= await tokenLogin(octokit);
      if (!self || c.user?.login !== self) continue;
    }
    return { id: c.id, url: c.html_url, state: parseMarker(c.body ?? '', key) };
  }
  return undefined;
}

/** The token's own login, or null for installation tokens (which have no /user). */
async function tokenLogin(octokit: Octokit): Promise<string | null> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch {
    return null;
  }
}

export async function createComment(octokit: Octokit, t: CommentTarget, body: string): Promise<{ id: number; url: string }> {
  const { data } = await octokit.rest.issues.createComment({
    owner: t.owner,
    repo: t.repo,
    issue_number: t.issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url };
}

export async function updateComment(octokit: Octokit, t: Omit<CommentTarget, 'issueNumber'>, id: number, body: string): Promise<void> {
  await octokit.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: id, body });
}

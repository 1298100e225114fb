/**
 * The one sticky comment per issue/PR and comment-key: found again through its hidden marker,
 * created once, then edited in place. Creating is the one write that is not safe to repeat
 * blindly (a create GitHub applied but answered with 500 would leave two comments), so after
 * an unclear failure the comments are read before trying again.
 */
import { GitHubApiError } from '../errors.js';
import { markerFor, markerKeyOf, parseMarker, type MarkerState } from '../marker.js';
import { NO_BLIND_RETRY, github } from './errors.js';
import type { Octokit } from './octokit.js';

export interface CommentTarget {
  readonly owner: string;
  readonly repo: string;
  readonly issueNumber: number;
}

export interface StickyComment {
  readonly id: number;
  readonly url: string;
  readonly state: MarkerState | undefined;
  /** the body as GitHub holds it */
  readonly body: string;
}

const where = (t: CommentTarget): string => `${t.owner}/${t.repo}#${t.issueNumber}`;

/**
 * The newest comment holding this key's marker and written by a trusted author: a bot (the
 * GITHUB_TOKEN writes as github-actions[bot]) or the token's own user. Anyone can paste a
 * marker into a comment; such a copy is ignored. Reads every page: a busy issue has hundreds.
 */
export async function findStickyComment(octokit: Octokit, t: CommentTarget, key: string): Promise<StickyComment | undefined> {
  const marker = markerFor(key) + ' ';
  const comments = await github(`listing comments of ${where(t)}`, () =>
    octokit.paginate(octokit.rest.issues.listComments, { owner: t.owner, repo: t.repo, issue_number: t.issueNumber, per_page: 100 }),
  );
  const candidates = comments.filter((c) => c.body?.startsWith(marker)).reverse();
  const trusted = markerTrust(octokit);
  for (const c of candidates) {
    if (!(await trusted(c.user))) continue;
    return { id: c.id, url: c.html_url, state: parseMarker(c.body ?? '', key), body: c.body ?? '' };
  }
  return undefined;
}

type Author = { readonly login?: string; readonly type?: string } | null | undefined;

/**
 * The one trust rule for a comment holding a marker, as a check that asks GitHub at most once
 * who the token is: a bot, or the token's own user.
 */
export function markerTrust(octokit: Octokit): (author: Author) => Promise<boolean> {
  let self: Promise<string | null> | undefined;
  return async (author) => {
    if (author?.type === 'Bot') return true;
    const login = await (self ??= tokenLogin(octokit));
    return Boolean(login && author?.login === login);
  };
}

/** A trusted sticky comment found anywhere in the repository, with the key its marker names. */
export interface RepoStickyComment extends StickyComment {
  readonly key: string;
  readonly issueNumber: number;
  readonly updatedAt: string;
}

/**
 * Every trusted sticky comment of the repository (any key) updated since `since`, newest first:
 * one listing of the repository's issue comments instead of one per issue.
 */
export async function listRepoStickyComments(octokit: Octokit, owner: string, repo: string, since: Date): Promise<RepoStickyComment[]> {
  const comments = await github(`listing the comments of ${owner}/${repo}`, () =>
    octokit.paginate(octokit.rest.issues.listCommentsForRepo, { owner, repo, since: since.toISOString(), sort: 'updated', direction: 'desc', per_page: 100 }),
  );
  const trusted = markerTrust(octokit);
  const found: RepoStickyComment[] = [];
  for (const c of comments) {
    const key = markerKeyOf(c.body ?? '');
    const issueNumber = Number(/\/issues\/(\d+)$/.exec(c.issue_url)?.[1]);
    if (key === undefined || !Number.isInteger(issueNumber) || !(await trusted(c.user))) continue;
    found.push({ id: c.id, url: c.html_url, key, issueNumber, updatedAt: c.updated_at, state: parseMarker(c.body ?? '', key), body: c.body ?? '' });
  }
  return found;
}

/** One comment's body as GitHub holds it now (undefined when it was deleted). */
export async function getCommentBody(octokit: Octokit, owner: string, repo: string, id: number): Promise<string | undefined> {
  try {
    const { data } = await github(`reading comment ${id} on ${owner}/${repo}`, () => octokit.rest.issues.getComment({ owner, repo, comment_id: id }));
    return data.body ?? '';
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** The token's own login, or null for installation tokens (which have no /user). */
async function tokenLogin(octokit: Octokit): Promise<string | null> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch {
    return null;
  }
}

/** One plain create, not repeated by the retry plugin (see createStickyComment). */
export async function createComment(octokit: Octokit, t: CommentTarget, body: string): Promise<{ id: number; url: string }> {
  const { data } = await github(`creating a comment on ${where(t)}`, () =>
    octokit.rest.issues.createComment({ owner: t.owner, repo: t.repo, issue_number: t.issueNumber, body, ...NO_BLIND_RETRY }),
  );
  return { id: data.id, url: data.html_url };
}

/** Edits are safe to repeat (same body, same result): the retry plugin may resend them. */
export async function updateComment(octokit: Octokit, t: Omit<CommentTarget, 'issueNumber'>, id: number, body: string): Promise<void> {
  await github(`updating comment ${id} on ${t.owner}/${t.repo}`, () =>
    octokit.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: id, body }),
  );
}

/** Tries of a create whose outcome stays unclear (each try is preceded by a look). */
const CREATE_TRIES = 3;

/**
 * Creates this key's sticky comment exactly once. After an unclear failure (5xx, reset,
 * timeout) it lists the comments and adopts ours if GitHub applied the create after all
 * (bringing its body up to date), and creates again only if it is not there. A clear failure
 * (403, 404, 422) is thrown as it is. `lookFirst`: an earlier call may have created it (its
 * outcome was never learned), so look before the first create too.
 */
export async function createStickyComment(
  octokit: Octokit,
  t: CommentTarget,
  key: string,
  body: string,
  opts: { lookFirst?: boolean } = {},
): Promise<{ id: number; url: string }> {
  if (opts.lookFirst) {
    const found = await findStickyComment(octokit, t, key);
    if (found) {
      if (found.body !== body) await updateComment(octokit, t, found.id, body);
      return { id: found.id, url: found.url };
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await createComment(octokit, t, body);
    } catch (error) {
      if (!(error instanceof GitHubApiError) || !error.ambiguous || attempt >= CREATE_TRIES) throw error;
      const found = await findStickyComment(octokit, t, key);
      if (found) {
        if (found.body !== body) await updateComment(octokit, t, found.id, body);
        return { id: found.id, url: found.url };
      }
    }
  }
}

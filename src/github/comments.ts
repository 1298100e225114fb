/**
 * The one sticky comment per issue/PR and comment-key: found again through its hidden marker,
 * created once, then edited in place. Creating is the one write that is not safe to repeat
 * blindly (a create GitHub applied but answered with 500 would leave two comments), so after
 * an unclear failure the comments are read before trying again.
 */
import { GitHubApiError } from '../errors.js';
import { isForThread, markerFor, markerKeyOf, parseMarker, threadOf, type MarkerState } from '../marker.js';
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
  /** GitHub's time of its last edit (what it shows was written by then) */
  readonly updatedAt?: string;
}

const where = (t: CommentTarget): string => `${t.owner}/${t.repo}#${t.issueNumber}`;

/**
 * The newest comment holding this key's marker and written by the token's own account
 * (markerTrust). Anyone can paste a marker into a comment; such a copy is ignored. So is one
 * whose marker names another issue or PR (isForThread): `onForeign` hears of it, so the run can
 * say why it does not follow up there. Reads every page: a busy issue has hundreds.
 */
export async function findStickyComment(
  octokit: Octokit,
  t: CommentTarget,
  key: string,
  onForeign?: (comment: { readonly url: string; readonly subject: string }) => void,
): Promise<StickyComment | undefined> {
  const marker = markerFor(key) + ' ';
  const comments = await github(`listing comments of ${where(t)}`, () =>
    octokit.paginate(octokit.rest.issues.listComments, { owner: t.owner, repo: t.repo, issue_number: t.issueNumber, per_page: 100 }),
  );
  const candidates = comments.filter((c) => c.body?.startsWith(marker)).reverse();
  const trusted = markerTrust(octokit);
  const thread = threadOf(`${t.owner}/${t.repo}`, t.issueNumber);
  for (const c of candidates) {
    if (!(await trusted(c.user))) continue;
    const state = parseMarker(c.body ?? '', key);
    if (state?.subject !== undefined && !isForThread(state, thread)) {
      onForeign?.({ url: c.html_url, subject: state.subject });
      continue;
    }
    return { id: c.id, url: c.html_url, state, body: c.body ?? '', updatedAt: c.updated_at };
  }
  return undefined;
}

type Author = { readonly login?: string; readonly type?: string } | null | undefined;

/**
 * THE trust rule for a comment holding a marker (sticky state): it was written by the identity
 * this action writes as, the token's own account, and by nothing else. Not "any bot": another
 * app, another workflow's token or an agent commenting as a bot could otherwise plant state
 * (a conversation to follow up into, a forged held request). Asks GitHub who the token is at
 * most once per check (see tokenIdentity).
 */
export function markerTrust(octokit: Octokit): (author: Author) => Promise<boolean> {
  let self: Promise<string> | undefined;
  return async (author) => {
    if (!author?.login) return false;
    const login = await (self ??= tokenIdentity(octokit));
    return author.login.toLowerCase() === login.toLowerCase();
  };
}

/**
 * The login the token comments as. GraphQL's `viewer` answers for every kind of token: a PAT
 * (its user), the GITHUB_TOKEN (`github-actions[bot]`) and a GitHub App installation token
 * (`<app-slug>[bot]`); REST `GET /user` answers only for user tokens, so it is the fallback.
 * Neither answering is an error: trusting no marker would post a second status comment, and
 * trusting any would let others write our state.
 */
export async function tokenIdentity(octokit: Octokit): Promise<string> {
  let viewerError: unknown;
  try {
    const res = await octokit.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }');
    if (typeof res.viewer?.login === 'string' && res.viewer.login) return res.viewer.login;
  } catch (error) {
    viewerError = error;
  }
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));
    throw new Error(
      `could not learn which account the GitHub token writes as (GraphQL viewer: ${viewerError ? why(viewerError) : 'no login'}; GET /user: ${why(error)}), so no status comment can be trusted`,
      { cause: error },
    );
  }
}

/** A trusted sticky comment found anywhere in the repository, with the key its marker names. */
export interface RepoStickyComment extends StickyComment {
  readonly key: string;
  readonly issueNumber: number;
  readonly updatedAt: string;
}

/**
 * Every trusted sticky comment of the repository (any key) updated since `since`, newest first:
 * one listing of the repository's issue comments instead of one per issue. A marker is acted on
 * only for the issue its comment is on: one naming another issue or PR (isForThread) is left out.
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
    const state = parseMarker(c.body ?? '', key);
    if (state && !isForThread(state, threadOf(`${owner}/${repo}`, issueNumber))) continue;
    found.push({ id: c.id, url: c.html_url, key, issueNumber, updatedAt: c.updated_at, state, body: c.body ?? '' });
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

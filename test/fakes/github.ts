/**
 * A GitHub REST API fake over real HTTP (node:http), good enough for Octokit
 * (`@actions/github` `getOctokit`) to be pointed at it unchanged, either as
 * `GITHUB_API_URL=<fake.url>` (github.com style) or `<fake.url>/api/v3`
 * (GHES style). State lives in memory, seeded by the options; `reset()` goes
 * back to the seed.
 *
 * Fidelity notes (things the real API does that this fake copies on purpose):
 * - `permission` in the collaborator-permission answer is the LEGACY role:
 *   maintain is reported as `write` and triage as `read`; the real role is in
 *   `role_name`.
 * - `Link` headers point at `/repositories/{id}/...` (as github.com does), not
 *   at `/repos/{owner}/{repo}/...`; both forms are routed.
 * - Comment ids are above 2^31 (as they are on github.com today).
 * - Timestamps are ISO 8601 with second precision (`2024-01-01T00:00:00Z`).
 * - `GET /repos/{o}/{r}/issues` also lists pull requests (with `pull_request`).
 * - Comment bodies longer than 65536 characters (code points) are refused
 *   with 422.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
export const REACTION_CONTENTS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'] as const;
export type ReactionContent = (typeof REACTION_CONTENTS)[number];
export const MAX_COMMENT_LENGTH = 65536;
export const DEFAULT_TOKEN = 'ghs_test_token';
export const DEFAULT_FAKE_REPO = 'octo-org/octo-repo';
const DOCS = 'https://docs.github.com/rest';

export interface FakeUser {
  login: string;
  type: 'User' | 'Bot' | 'Organization';
  id: number;
}
/** A login (type and id derived: `x[bot]` is a Bot) or a full user. */
export type UserSeed = string | { login: string; type?: FakeUser['type']; id?: number };

export const GITHUB_ACTIONS_BOT: FakeUser = { login: 'github-actions[bot]', type: 'Bot', id: 41898282 };

export interface RepoSeed {
  default_branch?: string;
  private?: boolean;
  id?: number;
}

export interface PullRequestSeed {
  head?: { ref?: string; sha?: string; /** owner/name of the head repository (a fork when it differs) */ repo?: string };
  base?: { ref?: string; sha?: string };
  draft?: boolean;
  merged?: boolean;
}

export interface IssueSeed {
  /** owner/name; default: the first seeded repository */
  repo?: string;
  number: number;
  title?: string;
  body?: string | null;
  labels?: string[];
  state?: 'open' | 'closed';
  user?: UserSeed;
  locked?: boolean;
  created_at?: string | number | Date;
  /** Makes it a pull request. */
  pull_request?: PullRequestSeed;
}

export interface CommentSeed {
  repo?: string;
  issue_number: number;
  body: string;
  /** default: the token's user */
  user?: UserSeed;
  id?: number;
  created_at?: string | number | Date;
  updated_at?: string | number | Date;
  author_association?: string;
}

export interface GitHubFakeOptions {
  /** owner/name → settings. Default: `{ 'octo-org/octo-repo': { default_branch: 'main' } }`. */
  repos?: Record<string, RepoSeed>;
  issues?: IssueSeed[];
  comments?: CommentSeed[];
  /** login → level, for every repository. Unknown users: see `unknownPermission`. */
  permissions?: Record<string, PermissionLevel>;
  /** What the permission endpoint answers for a user not in `permissions`. Default 'none'. */
  unknownPermission?: 'none' | 404 | 500;
  /** The one valid token. Default 'ghs_test_token'. */
  token?: string;
  /** Who the token is. Default github-actions[bot] (id 41898282). */
  tokenUser?: UserSeed;
  /**
   * 'installation' (a GITHUB_TOKEN / app token: `GET /user` answers 403
   * "Resource not accessible by integration", as on GitHub) or 'user' (a PAT:
   * `GET /user` answers the token user). Default: installation for a Bot
   * token user, else user.
   */
  tokenKind?: 'installation' | 'user';
  /** Base of `html_url`s. Default https://github.com. */
  serverUrl?: string;
  /** Clock (epoch ms), for deterministic timestamps. Default Date.now. */
  now?: () => number;
  port?: number;
}

export interface FakeComment {
  id: number;
  node_id: string;
  repo: string;
  issue_number: number;
  body: string;
  user: FakeUser;
  created_at: string;
  updated_at: string;
  author_association: string;
}

export interface FakeIssue {
  id: number;
  node_id: string;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  user: FakeUser;
  locked: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  pull_request?: {
    head: { ref: string; sha: string; repo: string };
    base: { ref: string; sha: string };
    draft: boolean;
    merged: boolean;
  };
}

export type ReactionSubject = 'issue' | 'issue_comment' | 'pull_request_review_comment';
export interface FakeReaction {
  id: number;
  node_id: string;
  repo: string;
  subject: ReactionSubject;
  /** issue number for 'issue', comment id otherwise */
  subject_id: number;
  content: ReactionContent;
  user: FakeUser;
  created_at: string;
}

export interface RecordedRequest {
  method: string;
  /** Canonical path: no `/api/v3` prefix, `/repositories/{id}` rewritten to `/repos/{o}/{r}`, no query. */
  path: string;
  /** The request target as received. */
  url: string;
  query: Record<string, string>;
  /** Parsed JSON, the raw text if it was not JSON, undefined if empty. */
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** performance.timeOrigin + performance.now() when the request arrived. */
  at: number;
  /** Filled in when the answer is sent. */
  status?: number;
  /** Set when a fault answered this request. */
  fault?: 'status' | 'reset';
}

interface FaultMatch {
  method?: string;
  /** Prefix of the canonical path (string) or a RegExp tested against it. */
  path?: string | RegExp;
  /** How many matching requests it hits. Default 1; Infinity for always. */
  times?: number;
}
export type FaultSpec =
  | (FaultMatch & {
      kind?: 'status';
      status: number;
      body?: unknown;
      /** Seconds, sent as a Retry-After header. */
      retryAfter?: number;
      headers?: Record<string, string>;
    })
  | (FaultMatch & { kind: 'reset' })
  /** Answers normally, after a delay. */
  | (FaultMatch & { kind: 'delay'; ms: number });

export interface GitHubFake {
  /** e.g. http://127.0.0.1:41234 (append /api/v3 for GHES style). */
  readonly url: string;
  readonly token: string;
  readonly tokenUser: FakeUser;
  readonly requests: RecordedRequest[];
  /** Current comments (deleted ones gone), oldest first. */
  readonly comments: FakeComment[];
  readonly reactions: FakeReaction[];
  /** Issues and pull requests. */
  readonly issues: FakeIssue[];
  /** Comments on one issue/PR (default repo: the first one). */
  commentsOn(issueNumber: number, repo?: string): FakeComment[];
  setPermission(login: string, level: PermissionLevel): void;
  setUnknownPermission(mode: 'none' | 404 | 500): void;
  addComment(seed: CommentSeed): FakeComment;
  addIssue(seed: IssueSeed): FakeIssue;
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Back to the seeded state; clears requests and faults. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------

class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
const notFound = () => new HttpError(404, { message: 'Not Found', documentation_url: DOCS });
const validationFailed = (resource: string, field: string, code: string, message?: string) =>
  new HttpError(422, {
    message: 'Validation Failed',
    errors: [{ resource, code, field, ...(message === undefined ? {} : { message }) }],
    documentation_url: DOCS,
  });
const notSupplied = (field: string) =>
  new HttpError(422, { message: `Invalid request.\n\n"${field}" wasn't supplied.`, documentation_url: DOCS });

function hashId(s: string, mod = 90_000_000): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 10_000_000 + (h % mod);
}
const nodeId = (prefix: string, id: number) => `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
function toIso(t: string | number | Date | undefined, fallback: number): string {
  if (t === undefined) return iso(fallback);
  return iso(t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t));
}
/** The id the fake gives a login (stable; github-actions[bot] is 41898282). Payload builders use it too. */
export function fakeUserId(login: string): number {
  return login === GITHUB_ACTIONS_BOT.login ? GITHUB_ACTIONS_BOT.id : hashId(`user:${login.toLowerCase()}`);
}
/** The id the fake gives a repository unless seeded with one. Payload builders use it too. */
export function fakeRepoId(fullName: string): number {
  return hashId(`repo:${fullName.toLowerCase()}`, 900_000_000);
}
function toUser(seed: UserSeed | undefined, fallback: FakeUser): FakeUser {
  if (seed === undefined) return { ...fallback };
  const login = typeof seed === 'string' ? seed : seed.login;
  if (login === GITHUB_ACTIONS_BOT.login && typeof seed === 'string') return { ...GITHUB_ACTIONS_BOT };
  const type = (typeof seed === 'object' ? seed.type : undefined) ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
  const id = (typeof seed === 'object' ? seed.id : undefined) ?? fakeUserId(login);
  return { login, type, id };
}
/** GitHub counts characters (code points), not UTF-16 units or bytes. */
const codePoints = (s: string) => s.length - (s.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
const LEGACY_PERMISSION: Record<PermissionLevel, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};
const RANK: Record<PermissionLevel, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

interface RepoState {
  full_name: string;
  id: number;
  default_branch: string;
  private: boolean;
}
interface State {
  repos: Map<string, RepoState>;
  issues: FakeIssue[];
  comments: FakeComment[];
  reactions: FakeReaction[];
  permissions: Map<string, PermissionLevel>;
  unknownPermission: 'none' | 404 | 500;
  nextCommentId: number;
  nextIssueId: number;
  nextReactionId: number;
}

interface Ctx {
  method: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  /** API base as the client sees it (scheme://host[/api/v3]). */
  apiBase: string;
  rec: RecordedRequest;
}
interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Handler = (ctx: Ctx) => Reply;

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const token = options.token ?? DEFAULT_TOKEN;
  const tokenUser = toUser(options.tokenUser, GITHUB_ACTIONS_BOT);
  const serverUrl = (options.serverUrl ?? 'https://github.com').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];
  let faults: Array<FaultSpec & { left: number }> = [];
  let state: State;

  // ----- state -------------------------------------------------------------
  function ensureRepo(fullName: string, seed: RepoSeed = {}): RepoState {
    const existing = state.repos.get(fullName.toLowerCase());
    if (existing) return existing;
    const repo: RepoState = {
      full_name: fullName,
      id: seed.id ?? fakeRepoId(fullName),
      default_branch: seed.default_branch ?? 'main',
      private: seed.private ?? false,
    };
    state.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }
  const firstRepo = () => [...state.repos.values()][0]?.full_name ?? DEFAULT_FAKE_REPO;

  function addIssue(seed: IssueSeed): FakeIssue {
    const repo = ensureRepo(seed.repo ?? firstRepo());
    if (state.issues.some((i) => i.repo === repo.full_name && i.number === seed.number)) {
      throw new Error(`GitHub fake: ${repo.full_name}#${seed.number} already exists`);
    }
    const created = toIso(seed.created_at, now());
    const id = state.nextIssueId++;
    const issue: FakeIssue = {
      id,
      node_id: nodeId(seed.pull_request ? 'PR' : 'I', id),
      repo: repo.full_name,
      number: seed.number,
      title: seed.title ?? `Issue ${seed.number}`,
      body: seed.body === undefined ? '' : seed.body,
      labels: [...(seed.labels ?? [])],
      state: seed.state ?? 'open',
      user: toUser(seed.user, { login: 'octocat', type: 'User', id: 583231 }),
      locked: seed.locked ?? false,
      created_at: created,
      updated_at: created,
      closed_at: seed.state === 'closed' ? created : null,
    };
    if (seed.pull_request) {
      const pr = seed.pull_request;
      issue.pull_request = {
        head: {
          ref: pr.head?.ref ?? `feature-${seed.number}`,
          sha: pr.head?.sha ?? sha40(`head:${repo.full_name}#${seed.number}`),
          repo: pr.head?.repo ?? repo.full_name,
        },
        base: {
          ref: pr.base?.ref ?? repo.default_branch,
          sha: pr.base?.sha ?? sha40(`base:${repo.full_name}#${seed.number}`),
        },
        draft: pr.draft ?? false,
        merged: pr.merged ?? false,
      };
    }
    state.issues.push(issue);
    return issue;
  }

  function addComment(seed: CommentSeed): FakeComment {
    const repo = ensureRepo(seed.repo ?? firstRepo());
    const created = toIso(seed.created_at, now());
    const id = seed.id ?? state.nextCommentId++;
    if (seed.id !== undefined && seed.id >= state.nextCommentId) state.nextCommentId = seed.id + 1;
    const user = toUser(seed.user, tokenUser);
    const comment: FakeComment = {
      id,
      node_id: nodeId('IC', id),
      repo: repo.full_name,
      issue_number: seed.issue_number,
      body: seed.body,
      user,
      created_at: created,
      updated_at: seed.updated_at === undefined ? created : toIso(seed.updated_at, now()),
      author_association: seed.author_association ?? associationOf(repo.full_name, user.login),
    };
    state.comments.push(comment);
    return comment;
  }

  function associationOf(repo: string, login: string): string {
    if (repo.split('/')[0]?.toLowerCase() === login.toLowerCase()) return 'OWNER';
    const level = state.permissions.get(login.toLowerCase());
    if (level && RANK[level] >= RANK.triage) return 'MEMBER';
    if (level === 'read') return 'COLLABORATOR';
    return 'NONE';
  }

  function seed(): void {
    state = {
      repos: new Map(),
      issues: [],
      comments: [],
      reactions: [],
      permissions: new Map(),
      unknownPermission: options.unknownPermission ?? 'none',
      nextCommentId: 3_100_000_001,
      nextIssueId: 2_900_000_001,
      nextReactionId: 310_000_001,
    };
    const repos = options.repos ?? { [DEFAULT_FAKE_REPO]: { default_branch: 'main' } };
    for (const [name, r] of Object.entries(repos)) ensureRepo(name, r);
    for (const [login, level] of Object.entries(options.permissions ?? {})) state.permissions.set(login.toLowerCase(), level);
    for (const i of options.issues ?? []) addIssue(i);
    for (const c of options.comments ?? []) addComment(c);
    requests.length = 0;
    faults = [];
  }
  seed();

  // ----- rendering ---------------------------------------------------------
  const userJson = (u: FakeUser, apiBase: string) => ({
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === 'Bot' ? 'BOT' : u.type === 'Organization' ? 'O' : 'U', u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url: `${apiBase}/users/${encodeURIComponent(u.login)}`,
    html_url: `${serverUrl}/${u.type === 'Bot' ? 'apps/' + u.login.replace(/\[bot\]$/, '') : u.login}`,
    type: u.type,
    user_view_type: 'public',
    site_admin: false,
  });

  function repoJson(fullName: string, apiBase: string) {
    const r = state.repos.get(fullName.toLowerCase()) ?? {
      full_name: fullName,
      id: fakeRepoId(fullName),
      default_branch: 'main',
      private: false,
    };
    const [owner = '', name = ''] = r.full_name.split('/');
    const api = `${apiBase}/repos/${r.full_name}`;
    return {
      id: r.id,
      node_id: nodeId('R', r.id),
      name,
      full_name: r.full_name,
      private: r.private,
      owner: userJson(toUser(owner, GITHUB_ACTIONS_BOT), apiBase),
      html_url: `${serverUrl}/${r.full_name}`,
      description: null,
      fork: false,
      url: api,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      comments_url: `${api}/comments{/number}`,
      clone_url: `${serverUrl}/${r.full_name}.git`,
      default_branch: r.default_branch,
      visibility: r.private ? 'private' : 'public',
      archived: false,
      disabled: false,
      has_issues: true,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      pushed_at: '2024-01-01T00:00:00Z',
    };
  }

  const labelJson = (repo: string, name: string, apiBase: string) => {
    const id = hashId(`label:${repo}:${name}`, 900_000_000);
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${apiBase}/repos/${repo}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    };
  };

  function reactionRollup(url: string, subject: ReactionSubject, subjectId: number, repo: string) {
    const counts: Record<string, number> = {};
    for (const c of REACTION_CONTENTS) counts[c] = 0;
    let total = 0;
    for (const r of state.reactions) {
      if (r.subject === subject && r.subject_id === subjectId && r.repo === repo) {
        counts[r.content] = (counts[r.content] ?? 0) + 1;
        total++;
      }
    }
    return { url: `${url}/reactions`, total_count: total, ...counts };
  }

  function issueHtmlUrl(repo: string, number: number): string {
    const issue = findIssue(repo, number);
    return `${serverUrl}/${repo}/${issue?.pull_request ? 'pull' : 'issues'}/${number}`;
  }

  function commentJson(c: FakeComment, apiBase: string) {
    const url = `${apiBase}/repos/${c.repo}/issues/comments/${c.id}`;
    return {
      url,
      html_url: `${issueHtmlUrl(c.repo, c.issue_number)}#issuecomment-${c.id}`,
      issue_url: `${apiBase}/repos/${c.repo}/issues/${c.issue_number}`,
      id: c.id,
      node_id: c.node_id,
      user: userJson(c.user, apiBase),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: c.author_association,
      body: c.body,
      reactions: reactionRollup(url, 'issue_comment', c.id, c.repo),
      performed_via_github_app: null,
    };
  }

  function issueJson(i: FakeIssue, apiBase: string) {
    const url = `${apiBase}/repos/${i.repo}/issues/${i.number}`;
    const json: Record<string, unknown> = {
      url,
      repository_url: `${apiBase}/repos/${i.repo}`,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: issueHtmlUrl(i.repo, i.number),
      id: i.id,
      node_id: i.node_id,
      number: i.number,
      title: i.title,
      user: userJson(i.user, apiBase),
      labels: i.labels.map((l) => labelJson(i.repo, l, apiBase)),
      state: i.state,
      state_reason: i.state === 'closed' ? 'completed' : null,
      locked: i.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: state.comments.filter((c) => c.repo === i.repo && c.issue_number === i.number).length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: associationOf(i.repo, i.user.login),
      active_lock_reason: null,
      body: i.body,
      reactions: reactionRollup(url, 'issue', i.number, i.repo),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
    };
    if (i.pull_request) {
      json['draft'] = i.pull_request.draft;
      json['pull_request'] = {
        url: `${apiBase}/repos/${i.repo}/pulls/${i.number}`,
        html_url: `${serverUrl}/${i.repo}/pull/${i.number}`,
        diff_url: `${serverUrl}/${i.repo}/pull/${i.number}.diff`,
        patch_url: `${serverUrl}/${i.repo}/pull/${i.number}.patch`,
        merged_at: i.pull_request.merged ? i.updated_at : null,
      };
    }
    return json;
  }

  function pullJson(i: FakeIssue, apiBase: string) {
    const pr = i.pull_request;
    if (!pr) throw notFound();
    const url = `${apiBase}/repos/${i.repo}/pulls/${i.number}`;
    const headRepo = repoJson(pr.head.repo, apiBase);
    const baseRepo = repoJson(i.repo, apiBase);
    const isFork = pr.head.repo.toLowerCase() !== i.repo.toLowerCase();
    const headOwner = pr.head.repo.split('/')[0] ?? '';
    const baseOwner = i.repo.split('/')[0] ?? '';
    return {
      url,
      id: i.id,
      node_id: i.node_id,
      html_url: `${serverUrl}/${i.repo}/pull/${i.number}`,
      diff_url: `${serverUrl}/${i.repo}/pull/${i.number}.diff`,
      patch_url: `${serverUrl}/${i.repo}/pull/${i.number}.patch`,
      issue_url: `${apiBase}/repos/${i.repo}/issues/${i.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      comments_url: `${apiBase}/repos/${i.repo}/issues/${i.number}/comments`,
      number: i.number,
      state: i.state,
      locked: i.locked,
      title: i.title,
      user: userJson(i.user, apiBase),
      body: i.body,
      labels: i.labels.map((l) => labelJson(i.repo, l, apiBase)),
      milestone: null,
      active_lock_reason: null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      merged_at: pr.merged ? i.updated_at : null,
      merge_commit_sha: sha40(`merge:${i.repo}#${i.number}`),
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${headOwner}:${pr.head.ref}`,
        ref: pr.head.ref,
        sha: pr.head.sha,
        user: userJson(toUser(headOwner, GITHUB_ACTIONS_BOT), apiBase),
        repo: { ...headRepo, fork: isFork },
      },
      base: {
        label: `${baseOwner}:${pr.base.ref}`,
        ref: pr.base.ref,
        sha: pr.base.sha,
        user: userJson(toUser(baseOwner, GITHUB_ACTIONS_BOT), apiBase),
        repo: baseRepo,
      },
      author_association: associationOf(i.repo, i.user.login),
      auto_merge: null,
      draft: pr.draft,
      merged: pr.merged,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      comments: state.comments.filter((c) => c.repo === i.repo && c.issue_number === i.number).length,
      review_comments: 0,
      maintainer_can_modify: isFork,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    };
  }

  function reactionJson(r: FakeReaction, apiBase: string) {
    return { id: r.id, node_id: r.node_id, user: userJson(r.user, apiBase), content: r.content, created_at: r.created_at };
  }

  // ----- helpers -----------------------------------------------------------
  function repoOf(ctx: Ctx): RepoState {
    const r = state.repos.get(`${ctx.params[0]}/${ctx.params[1]}`.toLowerCase());
    if (!r) throw notFound();
    return r;
  }
  function findIssue(repo: string, number: number): FakeIssue | undefined {
    return state.issues.find((i) => i.repo === repo && i.number === number);
  }
  function issueOf(ctx: Ctx, index = 2): FakeIssue {
    const repo = repoOf(ctx);
    const issue = findIssue(repo.full_name, Number(ctx.params[index]));
    if (!issue) throw notFound();
    return issue;
  }
  function commentOf(ctx: Ctx, index = 2): FakeComment {
    const repo = repoOf(ctx);
    const id = Number(ctx.params[index]);
    const c = state.comments.find((x) => x.repo === repo.full_name && x.id === id);
    if (!c) throw notFound();
    return c;
  }
  function bodyObject(ctx: Ctx): Record<string, unknown> {
    const b = ctx.body;
    if (b === undefined) return {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) {
      throw new HttpError(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    return b as Record<string, unknown>;
  }
  function commentBody(ctx: Ctx): string {
    const body = bodyObject(ctx)['body'];
    if (body === undefined || body === null) throw notSupplied('body');
    if (typeof body !== 'string') {
      throw new HttpError(422, {
        message: `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`,
        documentation_url: DOCS,
      });
    }
    if (codePoints(body) > MAX_COMMENT_LENGTH) {
      throw validationFailed('IssueComment', 'body', 'custom', `body is too long (maximum is ${MAX_COMMENT_LENGTH} characters)`);
    }
    return body;
  }

  function paginate<T>(items: T[], ctx: Ctx): { page: T[]; headers: Record<string, string> } {
    const rawPer = Number.parseInt(ctx.query.get('per_page') ?? '', 10);
    const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, 100) : 30;
    const rawPage = Number.parseInt(ctx.query.get('page') ?? '', 10);
    const page = Number.isFinite(rawPage) && rawPage > 0 ? rawPage : 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    if (last === 1 && page === 1) return { page: slice, headers: {} };
    // github.com links to /repositories/{id}/... (Octokit follows them as they are).
    const repo = repoOf(ctx);
    const rest = ctx.rec.path.replace(/^\/repos\/[^/]+\/[^/]+/, '');
    const link = (p: number) => {
      const q = new URLSearchParams(ctx.query);
      q.set('page', String(p));
      if (ctx.query.has('per_page')) q.set('per_page', String(perPage));
      return `<${ctx.apiBase}/repositories/${repo.id}${rest}?${q.toString()}>`;
    };
    const parts: string[] = [];
    if (page > 1) parts.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
    if (page < last) parts.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) parts.push(`${link(1)}; rel="first"`);
    return { page: slice, headers: parts.length ? { link: parts.join(', ') } : {} };
  }

  function touch(issue: FakeIssue | undefined) {
    if (issue) issue.updated_at = iso(now());
  }

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

  function labelNames(v: unknown): string[] {
    if (!Array.isArray(v)) throw validationFailed('Issue', 'labels', 'invalid');
    return v.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown })?.name ?? '')));
  }

  // ----- routes ------------------------------------------------------------
  const R = '/repos/([^/]+)/([^/]+)';
  const tokenKind = options.tokenKind ?? (tokenUser.type === 'Bot' ? 'installation' : 'user');
  const routes: Array<[string, RegExp, Handler]> = [
    [
      'GET',
      /^\/user$/,
      (ctx) => {
        if (tokenKind === 'installation') {
          throw new HttpError(403, {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          });
        }
        return { status: 200, body: userJson(tokenUser, ctx.apiBase) };
      },
    ],

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
    ['GET', new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'issue_comment', commentOf(ctx).id)],
    ['POST', new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'issue_comment', commentOf(ctx).id)],
    [
      'DELETE',
      new RegExp(`^${R}/issues/comments/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'issue_comment', commentOf(ctx).id, Number(ctx.params[3])),
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
    ['GET', new RegExp(`^${R}/issues/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'issue', issueOf(ctx).number)],
    ['POST', new RegExp(`^${R}/issues/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'issue', issueOf(ctx).number)],
    [
      'DELETE',
      new RegExp(`^${R}/issues/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'issue', issueOf(ctx).number, Number(ctx.params[3])),
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
    // Review comments are not stored: any id is accepted for reactions.
    ['POST', new RegExp(`^${R}/pulls/comments/(\\d+)/reactions$`), (ctx) => addReaction(ctx, 'pull_request_review_comment', Number(ctx.params[2]))],
    ['GET', new RegExp(`^${R}/pulls/comments/(\\d+)/reactions$`), (ctx) => listReactions(ctx, 'pull_request_review_comment', Number(ctx.params[2]))],
    [
      'DELETE',
      new RegExp(`^${R}/pulls/comments/(\\d+)/reactions/(\\d+)$`),
      (ctx) => deleteReaction(ctx, 'pull_request_review_comment', Number(ctx.params[2]), Number(ctx.params[3])),
    ],

    [
      'GET',
      new RegExp(`^${R}/collaborators/([^/]+)/permission$`),
      (ctx) => {
        repoOf(ctx);
        const login = decodeURIComponent(ctx.params[2] ?? '');
        let level = state.permissions.get(login.toLowerCase());
        if (level === undefined) {
          if (state.unknownPermission === 404) throw new HttpError(404, { message: `${login} is not a user`, documentation_url: DOCS });
          if (state.unknownPermission === 500) throw new HttpError(500, { message: 'Server Error' });
          level = 'none';
        }
        const user = toUser(login, GITHUB_ACTIONS_BOT);
        return {
          status: 200,
          body: {
            permission: LEGACY_PERMISSION[level],
            role_name: level,
            user: {
              ...userJson(user, ctx.apiBase),
              permissions: {
                admin: RANK[level] >= RANK.admin,
                maintain: RANK[level] >= RANK.maintain,
                push: RANK[level] >= RANK.write,
                triage: RANK[level] >= RANK.triage,
                pull: RANK[level] >= RANK.read,
              },
              role_name: level,
            },
          },
        };
      },
    ],
  ];

  // ----- server ------------------------------------------------------------
  function send(res: http.ServerResponse, rec: RecordedRequest, reply: Reply): void {
    rec.status = reply.status;
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${requests.length.toString(16).toUpperCase()}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(now() / 1000) + 3600),
      ...reply.headers,
    };
    if (reply.status === 204 || reply.status === 304 || reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  function takeFault(method: string, path: string): (FaultSpec & { left: number }) | undefined {
    const f = faults.find(
      (x) =>
        x.left > 0 &&
        (!x.method || x.method.toUpperCase() === method) &&
        (x.path === undefined || (typeof x.path === 'string' ? path.startsWith(x.path) : x.path.test(path))),
    );
    if (f) f.left--;
    return f;
  }

  function canonicalPath(raw: string): { path: string; prefix: string } {
    let path = raw;
    let prefix = '';
    if (path === '/api/v3' || path.startsWith('/api/v3/')) {
      prefix = '/api/v3';
      path = path.slice(prefix.length) || '/';
    }
    const m = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
    if (m) {
      const repo = [...state.repos.values()].find((r) => r.id === Number(m[1]));
      if (repo) path = `/repos/${repo.full_name}${m[2] ?? ''}`;
    }
    return { path: path.length > 1 ? path.replace(/\/+$/, '') : path, prefix };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = performance.timeOrigin + performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://fake.invalid');
    const { path, prefix } = canonicalPath(target.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    let badJson = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    const rec: RecordedRequest = {
      method,
      path,
      url: req.url ?? '/',
      query: Object.fromEntries(target.searchParams),
      body,
      headers: req.headers,
      at,
    };
    requests.push(rec);

    const fault = takeFault(method, path);
    if (fault?.kind === 'reset') {
      rec.fault = 'reset';
      rec.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    else if (fault) {
      rec.fault = 'status';
      const headers: Record<string, string> = { ...fault.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      send(res, rec, {
        status: fault.status,
        body: fault.body ?? { message: http.STATUS_CODES[fault.status] ?? 'Error', documentation_url: DOCS },
        headers,
      });
      return;
    }

    const auth = req.headers.authorization;
    if (!auth) {
      send(res, rec, { status: 401, body: { message: 'Requires authentication', documentation_url: DOCS } });
      return;
    }
    const presented = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1]?.trim();
    if (presented !== token) {
      send(res, rec, { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } });
      return;
    }
    if (badJson) {
      send(res, rec, { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } });
      return;
    }

    const apiBase = `http://${req.headers.host ?? '127.0.0.1'}${prefix}`;
    for (const [m, re, handler] of routes) {
      if (m !== method) continue;
      const match = re.exec(path);
      if (!match) continue;
      const ctx: Ctx = { method, params: match.slice(1).map((p) => decodeURIComponent(p)), query: target.searchParams, body, apiBase, rec };
      try {
        send(res, rec, handler(ctx));
      } catch (e) {
        if (e instanceof HttpError) send(res, rec, { status: e.status, body: e.body });
        else send(res, rec, { status: 500, body: { message: `GitHub fake bug: ${String((e as Error)?.stack ?? e)}` } });
      }
      return;
    }
    send(res, rec, { status: 404, body: { message: 'Not Found', documentation_url: DOCS } });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `GitHub fake bug: ${String(e)}` }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const fake: GitHubFake = {
    url,
    token,
    tokenUser,
    get requests() {
      return requests;
    },
    get comments() {
      return [...state.comments].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
    },
    get reactions() {
      return [...state.reactions];
    },
    get issues() {
      return [...state.issues];
    },
    commentsOn(issueNumber, repo) {
      const r = (repo ?? firstRepo()).toLowerCase();
      return fake.comments.filter((c) => c.issue_number === issueNumber && c.repo.toLowerCase() === r);
    },
    setPermission(login, level) {
      state.permissions.set(login.toLowerCase(), level);
    },
    setUnknownPermission(mode) {
      state.unknownPermission = mode;
    },
    addComment,
    addIssue,
    addFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    reset: seed,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}

function sha40(seed: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${seed}:${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

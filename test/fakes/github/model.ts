/**
 * The GitHub fake's model: its public types (seeds, stored objects, recorded requests, faults)
 * and the pure helpers every resource uses (ids, timestamps, users).
 */
import type http from 'node:http';

export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
export const REACTION_CONTENTS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'] as const;
export type ReactionContent = (typeof REACTION_CONTENTS)[number];
export const MAX_COMMENT_LENGTH = 65536;
export const DEFAULT_TOKEN = 'ghs_test_token';
export const DEFAULT_FAKE_REPO = 'octo-org/octo-repo';
export const DOCS = 'https://docs.github.com/rest';

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
  /**
   * What the token may do with check runs: 'write' (a `checks: write`
   * workflow) or 'none' (creating or updating one answers 403 "Resource not
   * accessible by integration", as on GitHub). Default 'write'.
   */
  checks?: 'write' | 'none';
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
  /** Set when a fault answered this request (its kind). */
  fault?: FaultKind;
  /** A write the fake applied (also when a fault then hid the answer). */
  applied?: boolean;
}

export interface FaultMatch {
  method?: string;
  /** Prefix of the canonical path (string) or a RegExp tested against it. */
  path?: string | RegExp;
  /** How many matching requests it hits. Default 1; Infinity for always. */
  times?: number;
}
/** GitHub's own words for a secondary rate limit (Octokit's throttling plugin matches "secondary rate"). */
export const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE.';

export type FaultSpec =
  /** Answers this status (500/502/503, or anything) without applying the request. */
  | (FaultMatch & {
      kind?: 'status';
      status: number;
      body?: unknown;
      /** Seconds, sent as a Retry-After header. */
      retryAfter?: number;
      headers?: Record<string, string>;
    })
  /** 403 (or 429) with Retry-After and GitHub's secondary-rate-limit message; not applied. */
  | (FaultMatch & { kind: 'secondary'; status?: 403 | 429; /** seconds; default 1 */ retryAfter?: number })
  /** 403 (or 429) with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this many seconds ahead (default 1); not applied. */
  | (FaultMatch & { kind: 'primary'; status?: 403 | 429; resetIn?: number })
  /** The request is applied, then 500 (or `status`) is answered: the client cannot tell it landed. */
  | (FaultMatch & { kind: 'applied-then-500'; status?: number })
  /** The socket is destroyed before the request is applied (default) or after. */
  | (FaultMatch & { kind: 'reset'; when?: 'before' | 'after' })
  /** Answers normally, after a delay. */
  | (FaultMatch & { kind: 'delay'; ms: number });
export type FaultKind = NonNullable<FaultSpec['kind']>;

export interface FakeCheckRun {
  id: number;
  repo: string;
  name: string;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  details_url: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  started_at: string;
  completed_at: string | null;
}

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
  readonly checkRuns: FakeCheckRun[];
  /** Write requests (not GET/HEAD) received, of one method or all: "zero writes" for a dry run. */
  countWrites(method?: string): number;
  /** Comments on one issue/PR (default repo: the first one). */
  commentsOn(issueNumber: number, repo?: string): FakeComment[];
  setPermission(login: string, level: PermissionLevel): void;
  setUnknownPermission(mode: 'none' | 404 | 500): void;
  addComment(seed: CommentSeed): FakeComment;
  addIssue(seed: IssueSeed): FakeIssue;
  /** Pushes commits onto a pull request's head (see git.ts). Returns their shas, oldest first. */
  pushCommits(prNumber: number, commits: import('./git.ts').CommitSeed[], repo?: string): string[];
  /** Rewrites a pull request's commits on its base (a force-push). Returns their shas. */
  forcePush(prNumber: number, commits: import('./git.ts').CommitSeed[], repo?: string): string[];
  /** A workflow run's jobs, for the Actions jobs routes. */
  addWorkflowRun(seed: import('./git.ts').WorkflowRunSeed): void;
  /** Queues a fault: the first queued fault matching a request hits it (`times` times). */
  addFault(fault: FaultSpec): void;
  setChecksPermission(mode: 'write' | 'none'): void;
  clearFaults(): void;
  /** Back to the seeded state; clears requests and faults. */
  reset(): void;
  close(): Promise<void>;
}


export function hashId(s: string, mod = 90_000_000): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 10_000_000 + (h % mod);
}
export const nodeId = (prefix: string, id: number) => `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
export const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
export function toIso(t: string | number | Date | undefined, fallback: number): string {
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
export function toUser(seed: UserSeed | undefined, fallback: FakeUser): FakeUser {
  if (seed === undefined) return { ...fallback };
  const login = typeof seed === 'string' ? seed : seed.login;
  if (login === GITHUB_ACTIONS_BOT.login && typeof seed === 'string') return { ...GITHUB_ACTIONS_BOT };
  const type = (typeof seed === 'object' ? seed.type : undefined) ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
  const id = (typeof seed === 'object' ? seed.id : undefined) ?? fakeUserId(login);
  return { login, type, id };
}
/** GitHub counts characters (code points), not UTF-16 units or bytes. */
export const codePoints = (s: string) => s.length - (s.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
export const LEGACY_PERMISSION: Record<PermissionLevel, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};
export const RANK: Record<PermissionLevel, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

export interface RepoState {
  full_name: string;
  id: number;
  default_branch: string;
  private: boolean;
}
export interface State {
  repos: Map<string, RepoState>;
  issues: FakeIssue[];
  comments: FakeComment[];
  reactions: FakeReaction[];
  permissions: Map<string, PermissionLevel>;
  unknownPermission: 'none' | 404 | 500;
  nextCommentId: number;
  nextIssueId: number;
  nextReactionId: number;
  checkRuns: FakeCheckRun[];
  checks: 'write' | 'none';
  nextCheckRunId: number;
}


export function sha40(seed: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${seed}:${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

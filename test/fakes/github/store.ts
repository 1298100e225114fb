/** The GitHub fake's state: seeded from the options, reset in place, shared by every resource. */
import {
  DEFAULT_FAKE_REPO,
  DEFAULT_TOKEN,
  GITHUB_ACTIONS_BOT,
  RANK,
  fakeRepoId,
  iso,
  nodeId,
  sha40,
  toIso,
  toUser,
  type CommentSeed,
  type FakeComment,
  type FakeIssue,
  type FakeUser,
  type GitHubFakeOptions,
  type IssueSeed,
  type RepoSeed,
  type RepoState,
  type State,
} from './model.ts';

export interface Store {
  readonly options: GitHubFakeOptions;
  readonly token: string;
  readonly tokenUser: FakeUser;
  readonly tokenKind: 'installation' | 'user';
  /** Base of html_urls, no trailing slash. */
  readonly serverUrl: string;
  readonly now: () => number;
  /** Same object for the fake's life (reset() refills it). */
  readonly state: State;
  ensureRepo(fullName: string, seed?: RepoSeed): RepoState;
  firstRepo(): string;
  addIssue(seed: IssueSeed): FakeIssue;
  addComment(seed: CommentSeed): FakeComment;
  associationOf(repo: string, login: string): string;
  findIssue(repo: string, number: number): FakeIssue | undefined;
  touch(issue: FakeIssue | undefined): void;
  seed(): void;
}

export function createStore(options: GitHubFakeOptions): Store {
  const token = options.token ?? DEFAULT_TOKEN;
  const tokenUser = toUser(options.tokenUser, GITHUB_ACTIONS_BOT);
  const serverUrl = (options.serverUrl ?? 'https://github.com').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const tokenKind = options.tokenKind ?? (tokenUser.type === 'Bot' ? 'installation' : 'user');
  const state = {} as State;

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
    // In place: the resources hold on to this object.
    Object.assign(state, {
      repos: new Map(),
      issues: [],
      comments: [],
      reactions: [],
      permissions: new Map(),
      unknownPermission: options.unknownPermission ?? 'none',
      nextCommentId: 3_100_000_001,
      nextIssueId: 2_900_000_001,
      nextReactionId: 310_000_001,
      checkRuns: [],
      checks: options.checks ?? 'write',
      nextCheckRunId: 28_000_000_001,
    } satisfies State);
    const repos = options.repos ?? { [DEFAULT_FAKE_REPO]: { default_branch: 'main' } };
    for (const [name, r] of Object.entries(repos)) ensureRepo(name, r);
    for (const [login, level] of Object.entries(options.permissions ?? {})) state.permissions.set(login.toLowerCase(), level);
    for (const i of options.issues ?? []) addIssue(i);
    for (const c of options.comments ?? []) addComment(c);
  }

  function findIssue(repo: string, number: number): FakeIssue | undefined {
    return state.issues.find((i) => i.repo === repo && i.number === number);
  }
  function touch(issue: FakeIssue | undefined): void {
    if (issue) issue.updated_at = iso(now());
  }

  seed();
  return {
    options,
    token,
    tokenUser,
    tokenKind,
    serverUrl,
    now,
    state,
    ensureRepo,
    firstRepo,
    addIssue,
    addComment,
    associationOf,
    findIssue,
    touch,
    seed,
  };
}

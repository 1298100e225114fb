/**
 * A GitHub REST API fake over real HTTP (node:http), good enough for Octokit
 * (`@actions/github` `getOctokit`, or the action's `createOctokit`) to be pointed at it unchanged, either as
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
 *
 * Layout: model.ts (types, helpers), store.ts (state), render.ts (JSON shapes),
 * http.ts (recording, faults, auth, routing), and one file per resource:
 * comments, reactions, issues (with pulls and the timeline), checks,
 * permissions, users, git (commits, compare, Actions jobs). Faults (`addFault`) are queued per route: 5xx, GitHub's
 * secondary and primary rate limits, a write applied then answered 500, a
 * connection reset before or after applying, a delay.
 */
import { checkRoutes } from './checks.ts';
import { commentRoutes } from './comments.ts';
import { gitApi } from './git.ts';
import { createHelpers, serve } from './http.ts';
import { issueRoutes } from './issues.ts';
import type { GitHubFake, GitHubFakeOptions } from './model.ts';
import { permissionRoutes } from './permissions.ts';
import { reactionRoutes } from './reactions.ts';
import { createRender } from './render.ts';
import { createStore } from './store.ts';
import { userRoutes } from './users.ts';

export * from './model.ts';
export type { CommitSeed, FileChangeSeed, JobSeed, WorkflowRunSeed } from './git.ts';

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const s = createStore(options);
  const r = createRender(s);
  const h = createHelpers(s);
  const git = gitApi(s, r, h);
  const routes = [
    ...git.routes,
    ...userRoutes(s, r),
    ...issueRoutes(s, r, h),
    ...commentRoutes(s, r, h),
    ...reactionRoutes(s, r, h),
    ...checkRoutes(s, r, h),
    ...permissionRoutes(s, r, h),
  ];
  const pipe = await serve(s, routes, options.port);
  const { state } = s;

  const fake: GitHubFake = {
    url: pipe.url,
    token: s.token,
    tokenUser: s.tokenUser,
    get requests() {
      return pipe.requests;
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
    get checkRuns() {
      return [...state.checkRuns];
    },
    countWrites: pipe.countWrites,
    commentsOn(issueNumber, repo) {
      const name = (repo ?? s.firstRepo()).toLowerCase();
      return fake.comments.filter((c) => c.issue_number === issueNumber && c.repo.toLowerCase() === name);
    },
    setPermission(login, level) {
      state.permissions.set(login.toLowerCase(), level);
    },
    setUnknownPermission(mode) {
      state.unknownPermission = mode;
    },
    setChecksPermission(mode) {
      state.checks = mode;
    },
    addComment: s.addComment,
    addIssue: s.addIssue,
    pushCommits: git.pushCommits,
    forcePush: git.forcePush,
    addWorkflowRun: git.addWorkflowRun,
    addFault: pipe.addFault,
    clearFaults: pipe.clearFaults,
    reset() {
      s.seed();
      git.reset();
      pipe.requests.length = 0;
      pipe.clearFaults();
    },
    close: pipe.close,
  };
  return fake;
}

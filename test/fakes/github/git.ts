/**
 * The GitHub fake's commits and Actions runs: a small commit graph per repository (seeded by
 * tests with `pushCommits` / `forcePush` on a pull request), the compare API over it, the pull
 * requests associated with a commit, and the jobs of a workflow run.
 *
 * Fidelity notes (the REST API's documented behaviour this copies):
 * - `GET /compare/{base}...{head}`: `status` is `ahead` when base is an ancestor of head,
 *   `behind` when head is an ancestor of base, `identical`, else `diverged`; the commits are those
 *   reachable from head but not from the merge base, oldest first; without paging parameters at
 *   most 250 commits are listed (`total_commits` counts all), and the files (at most 300) come
 *   only with the first page. A commit the repository does not have answers 404.
 * - `GET /commits/{sha}/pulls`: the open and merged pull requests whose commits include it.
 * - `GET /actions/runs/{id}/jobs` (`filter=latest` by default) and
 *   `/actions/runs/{id}/attempts/{n}/jobs`: `{ total_count, jobs }`, paginated (30, at most 100).
 */
import { R, notFound, type Ctx, type Helpers, type Route } from './http.ts';
import { iso, nodeId, sha40, toUser, type FakeUser } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export type FileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
export interface FileChangeSeed {
  filename: string;
  /** default modified */
  status?: FileStatus;
  previous_filename?: string;
}
export interface CommitSeed {
  /** default: derived from the message and parents */
  sha?: string;
  message?: string;
  /** a login; default octocat */
  author?: string;
  files?: FileChangeSeed[];
}
export interface FakeCommit {
  repo: string;
  sha: string;
  parents: string[];
  message: string;
  author: FakeUser;
  date: string;
  files: Array<{ filename: string; status: FileStatus; previous_filename?: string }>;
}

export type JobConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required';
export interface JobSeed {
  name: string;
  conclusion: JobConclusion | null;
  /** default completed (in_progress when conclusion is null) */
  status?: 'queued' | 'in_progress' | 'completed';
  steps?: { name: string; conclusion: JobConclusion | null }[];
}
export interface WorkflowRunSeed {
  repo?: string;
  id: number;
  /** default 1 */
  run_attempt?: number;
  /** the workflow's name; default CI */
  name?: string;
  head_sha: string;
  head_branch?: string;
  jobs: JobSeed[];
}
interface FakeJob {
  id: number;
  repo: string;
  run_id: number;
  run_attempt: number;
  workflow_name: string;
  head_sha: string;
  head_branch: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: JobConclusion | null;
  steps: { name: string; conclusion: JobConclusion | null }[];
  at: string;
}

export interface GitApi {
  routes: Route[];
  /** Pushes commits onto a pull request's head (parents chained from the current head). Returns their shas. */
  pushCommits(prNumber: number, commits: CommitSeed[], repo?: string): string[];
  /**
   * Replaces a pull request's commits with new ones on its base (a force-push). Returns their
   * shas. The old commits stay known (GitHub keeps them a while): comparing from one says `diverged`.
   */
  forcePush(prNumber: number, commits: CommitSeed[], repo?: string): string[];
  addWorkflowRun(seed: WorkflowRunSeed): void;
  reset(): void;
}

export function gitApi(s: Store, r: Render, h: Helpers): GitApi {
  const { state, now, serverUrl } = s;
  const { userJson, pullJson } = r;
  const { repoOf, paginate } = h;
  let commits = new Map<string, FakeCommit>();
  let jobs: FakeJob[] = [];
  let nextJobId = 29_000_000_001;
  const key = (repo: string, sha: string) => `${repo.toLowerCase()}@${sha}`;

  function prOf(repo: string, number: number) {
    const issue = s.findIssue(repo, number);
    if (!issue?.pull_request) throw new Error(`GitHub fake: ${repo}#${number} is not a pull request`);
    return issue.pull_request;
  }
  function chain(repo: string, parent: string, seeds: CommitSeed[]): string[] {
    const shas: string[] = [];
    let p = parent;
    for (const c of seeds) {
      const sha = c.sha ?? sha40(`commit:${repo}:${p}:${c.message ?? ''}:${commits.size}`);
      commits.set(key(repo, sha), {
        repo,
        sha,
        parents: [p],
        message: c.message ?? `Commit ${commits.size + 1}`,
        author: toUser(c.author ?? 'octocat', { login: 'octocat', type: 'User', id: 583231 }),
        date: iso(now()),
        files: (c.files ?? []).map((f) => ({ filename: f.filename, status: f.status ?? 'modified', ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}) })),
      });
      shas.push(sha);
      p = sha;
    }
    return shas;
  }
  /** The base and the PR's current head are commits too (roots), so they can be compared. */
  function ensureRoot(repo: string, sha: string, message: string): void {
    if (!commits.has(key(repo, sha))) {
      commits.set(key(repo, sha), { repo, sha, parents: [], message, author: toUser('octocat', { login: 'octocat', type: 'User', id: 583231 }), date: iso(now()), files: [] });
    }
  }
  function push(prNumber: number, seeds: CommitSeed[], repo: string | undefined, force: boolean): string[] {
    const full = repo ?? s.firstRepo();
    const pr = prOf(full, prNumber);
    ensureRoot(full, pr.base.sha, 'Base');
    if (!force && !commits.has(key(full, pr.head.sha))) {
      // The seeded head becomes a commit on the base.
      commits.set(key(full, pr.head.sha), { repo: full, sha: pr.head.sha, parents: [pr.base.sha], message: 'Initial change', author: toUser('octocat', { login: 'octocat', type: 'User', id: 583231 }), date: iso(now()), files: [] });
    }
    const shas = chain(full, force ? pr.base.sha : pr.head.sha, seeds);
    pr.head.sha = shas.at(-1) ?? pr.head.sha;
    s.touch(s.findIssue(full, prNumber));
    return shas;
  }
  /** Every commit reachable from `sha` (itself included), nearest first. */
  function reachable(repo: string, sha: string): Map<string, number> {
    const seen = new Map<string, number>();
    const queue: [string, number][] = [[sha, 0]];
    while (queue.length) {
      const [x, d] = queue.shift() as [string, number];
      if (seen.has(x)) continue;
      seen.set(x, d);
      for (const p of commits.get(key(repo, x))?.parents ?? []) queue.push([p, d + 1]);
    }
    return seen;
  }

  function commitJson(c: FakeCommit, apiBase: string) {
    const api = `${apiBase}/repos/${c.repo}`;
    const person = { name: c.author.login, email: `${c.author.login}@users.noreply.github.com`, date: c.date };
    return {
      url: `${api}/commits/${c.sha}`,
      sha: c.sha,
      node_id: nodeId('C', Number.parseInt(c.sha.slice(0, 8), 16)),
      html_url: `${serverUrl}/${c.repo}/commit/${c.sha}`,
      comments_url: `${api}/commits/${c.sha}/comments`,
      commit: {
        url: `${api}/git/commits/${c.sha}`,
        author: person,
        committer: person,
        message: c.message,
        tree: { sha: sha40(`tree:${c.sha}`), url: `${api}/git/trees/${sha40(`tree:${c.sha}`)}` },
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      author: userJson(c.author, apiBase),
      committer: userJson(c.author, apiBase),
      parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${serverUrl}/${c.repo}/commit/${p}` })),
    };
  }
  function fileJson(repo: string, sha: string, f: FakeCommit['files'][number], apiBase: string) {
    const blob = sha40(`blob:${sha}:${f.filename}`);
    const path = f.filename.split('/').map(encodeURIComponent).join('/');
    return {
      sha: blob,
      filename: f.filename,
      status: f.status,
      additions: f.status === 'removed' ? 0 : 1,
      deletions: f.status === 'added' ? 0 : 1,
      changes: f.status === 'added' || f.status === 'removed' ? 1 : 2,
      blob_url: `${serverUrl}/${repo}/blob/${sha}/${path}`,
      raw_url: `${serverUrl}/${repo}/raw/${sha}/${path}`,
      contents_url: `${apiBase}/repos/${repo}/contents/${path}?ref=${sha}`,
      patch: '@@ -1 +1 @@\n-old\n+new',
      ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
    };
  }

  function compare(ctx: Ctx) {
    const repo = repoOf(ctx).full_name;
    const m = /^(.+?)\.\.\.(.+)$/.exec(ctx.params[2] ?? '');
    if (!m) throw notFound();
    const [base, head] = [m[1] as string, m[2] as string];
    const b = commits.get(key(repo, base));
    const hd = commits.get(key(repo, head));
    if (!b || !hd) throw notFound();
    const fromHead = reachable(repo, head);
    const fromBase = reachable(repo, base);
    // The merge base: the nearest commit of head's history that base's history also has.
    const mergeBase = [...fromHead.entries()].filter(([x]) => fromBase.has(x)).sort((x, y) => x[1] - y[1])[0]?.[0];
    const mb = mergeBase ? commits.get(key(repo, mergeBase)) : undefined;
    const fromMb = mergeBase ? reachable(repo, mergeBase) : new Map<string, number>();
    const ahead = [...fromHead.entries()].filter(([x]) => !fromMb.has(x)).sort((x, y) => y[1] - x[1]).map(([x]) => commits.get(key(repo, x)) as FakeCommit);
    const behindBy = [...fromBase.keys()].filter((x) => !fromMb.has(x)).length;
    const status = base === head ? 'identical' : mergeBase === base ? 'ahead' : mergeBase === head ? 'behind' : 'diverged';
    const paged = ctx.query.has('page') || ctx.query.has('per_page');
    const listed = paged ? paginate(ahead, ctx) : { page: ahead.slice(0, 250), headers: {} };
    const firstPage = !paged || (Number(ctx.query.get('page') ?? '1') || 1) === 1;
    const files = new Map<string, FakeCommit['files'][number]>();
    for (const c of ahead) {
      for (const f of c.files) {
        const was = files.get(f.filename);
        if (was?.status === 'added' && f.status === 'removed') files.delete(f.filename);
        else files.set(f.filename, was?.status === 'added' && f.status === 'modified' ? was : f);
      }
    }
    const owner = repo.split('/')[0];
    return {
      status: 200,
      headers: listed.headers,
      body: {
        url: `${ctx.apiBase}/repos/${repo}/compare/${base}...${head}`,
        html_url: `${serverUrl}/${repo}/compare/${base}...${head}`,
        permalink_url: `${serverUrl}/${repo}/compare/${owner}:${base}...${owner}:${head}`,
        diff_url: `${serverUrl}/${repo}/compare/${base}...${head}.diff`,
        patch_url: `${serverUrl}/${repo}/compare/${base}...${head}.patch`,
        base_commit: commitJson(b, ctx.apiBase),
        merge_base_commit: commitJson(mb ?? b, ctx.apiBase),
        status,
        ahead_by: ahead.length,
        behind_by: behindBy,
        total_commits: ahead.length,
        commits: listed.page.map((c) => commitJson(c, ctx.apiBase)),
        files: firstPage ? [...files.values()].slice(0, 300).map((f) => fileJson(repo, head, f, ctx.apiBase)) : [],
      },
    };
  }

  function jobJson(j: FakeJob, apiBase: string) {
    const api = `${apiBase}/repos/${j.repo}`;
    return {
      id: j.id,
      run_id: j.run_id,
      run_url: `${api}/actions/runs/${j.run_id}`,
      run_attempt: j.run_attempt,
      node_id: nodeId('CR', j.id),
      head_sha: j.head_sha,
      url: `${api}/actions/jobs/${j.id}`,
      html_url: `${serverUrl}/${j.repo}/actions/runs/${j.run_id}/job/${j.id}`,
      status: j.status,
      conclusion: j.conclusion,
      created_at: j.at,
      started_at: j.at,
      completed_at: j.status === 'completed' ? j.at : null,
      name: j.name,
      steps: j.steps.map((st, i) => ({
        name: st.name,
        status: st.conclusion === null ? 'in_progress' : 'completed',
        conclusion: st.conclusion,
        number: i + 1,
        started_at: j.at,
        completed_at: st.conclusion === null ? null : j.at,
      })),
      check_run_url: `${api}/check-runs/${j.id}`,
      labels: ['ubuntu-latest'],
      runner_id: 1,
      runner_name: 'GitHub Actions 1',
      runner_group_id: 2,
      runner_group_name: 'GitHub Actions',
      workflow_name: j.workflow_name,
      head_branch: j.head_branch,
    };
  }
  function listJobs(ctx: Ctx, attempt: number | undefined) {
    const repo = repoOf(ctx).full_name;
    const runId = Number(ctx.params[2]);
    const mine = jobs.filter((j) => j.repo === repo && j.run_id === runId);
    if (mine.length === 0) throw notFound();
    const latest = Math.max(...mine.map((j) => j.run_attempt));
    const filter = ctx.query.get('filter') ?? 'latest';
    const chosen = mine.filter((j) => (attempt !== undefined ? j.run_attempt === attempt : filter === 'all' || j.run_attempt === latest));
    if (attempt !== undefined && chosen.length === 0) throw notFound();
    const { page, headers } = paginate(chosen, ctx);
    return { status: 200, headers, body: { total_count: chosen.length, jobs: page.map((j) => jobJson(j, ctx.apiBase)) } };
  }

  const routes: Route[] = [
    ['GET', new RegExp(`^${R}/compare/(.+)$`), compare],
    [
      'GET',
      new RegExp(`^${R}/commits/([0-9a-f]{40})/pulls$`),
      (ctx) => {
        const repo = repoOf(ctx).full_name;
        const sha = ctx.params[2] as string;
        const prs = state.issues.filter((i) => i.repo === repo && i.pull_request && (i.pull_request.head.sha === sha || reachable(repo, i.pull_request.head.sha).has(sha)));
        const { page, headers } = paginate(prs, ctx);
        return { status: 200, headers, body: page.map((i) => pullJson(i, ctx.apiBase)) };
      },
    ],
    ['GET', new RegExp(`^${R}/actions/runs/(\\d+)/jobs$`), (ctx) => listJobs(ctx, undefined)],
    ['GET', new RegExp(`^${R}/actions/runs/(\\d+)/attempts/(\\d+)/jobs$`), (ctx) => listJobs(ctx, Number(ctx.params[3]))],
  ];

  return {
    routes,
    pushCommits: (n, seeds, repo) => push(n, seeds, repo, false),
    forcePush: (n, seeds, repo) => push(n, seeds, repo, true),
    addWorkflowRun(seed) {
      const repo = s.ensureRepo(seed.repo ?? s.firstRepo()).full_name;
      for (const j of seed.jobs) {
        const status = j.status ?? (j.conclusion === null ? 'in_progress' : 'completed');
        jobs.push({
          id: nextJobId++,
          repo,
          run_id: seed.id,
          run_attempt: seed.run_attempt ?? 1,
          workflow_name: seed.name ?? 'CI',
          head_sha: seed.head_sha,
          head_branch: seed.head_branch ?? 'main',
          name: j.name,
          status,
          conclusion: j.conclusion,
          steps: j.steps ?? [{ name: 'Run', conclusion: j.conclusion }],
          at: iso(now()),
        });
      }
    },
    reset() {
      commits = new Map();
      jobs = [];
      nextJobId = 29_000_000_001;
    },
  };
}

/**
 * Real webhook payloads (from `@octokit/webhooks-examples`, the examples
 * GitHub's docs are built from), adjusted for a test.
 *
 * Every builder retargets the payload to one repository (default
 * `octo-org/octo-repo`, the GitHub fake's default repository; override with
 * `repo: 'owner/name'`) and keeps it consistent: `repository.full_name`,
 * `name`, `owner.login`, `default_branch` (default `main`), every
 * `…/repos/<owner>/<name>/…` URL in the payload, `organization.login`, and for
 * pull requests `base.repo` / `head.repo` and the `owner:ref` labels.
 * Senders and repositories get the same numeric ids the GitHub fake gives
 * them (`fakeUserId`, `fakeRepoId`).
 *
 * The other URLs stay github.com ones (`https://api.github.com/...`), as in a
 * real payload: code under test must use GITHUB_API_URL, not payload URLs.
 */
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { DEFAULT_FAKE_REPO, fakeRepoId, fakeUserId, iso } from '../fakes/github.ts';

type EventName = WebhookDefinition['name'];
export type WebhookPayload<N extends EventName = EventName> = WebhookDefinition<N>['examples'][number];
type Obj = Record<string, unknown>;
type WithAction<N extends EventName, A extends string> = Extract<WebhookPayload<N>, { action: A }>;
export type IssuesLabeledPayload = WithAction<'issues', 'labeled'>;
export type PullRequestLabeledPayload = WithAction<'pull_request', 'labeled'>;
export type IssueCommentPayload = WebhookPayload<'issue_comment'>;
export type IssueCommentCreatedPayload = WithAction<'issue_comment', 'created'>;
export type PullRequestReviewCommentCreatedPayload = WithAction<'pull_request_review_comment', 'created'>;
export type WorkflowDispatchPayload = WebhookPayload<'workflow_dispatch'>;

// createRequire: the package's main is a .json file, which plain Node ESM would
// only import with an import attribute; require works under vitest and Node alike.
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

export const DEFAULT_REPO = DEFAULT_FAKE_REPO;
export const DEFAULT_BRANCH = 'main';

/** A deep copy of the first example of `name` matching the filter. */
export function webhookExample<N extends EventName>(
  name: N,
  filter: { action?: string; predicate?: (p: WebhookPayload<N>) => boolean } = {},
): WebhookPayload<N> {
  const def = definitions.find((d) => d.name === name) as WebhookDefinition<N> | undefined;
  if (!def) {
    throw new Error(`No webhook examples named "${name}". Known: ${definitions.map((d) => d.name).join(', ')}`);
  }
  const found = def.examples.find(
    (e) =>
      (filter.action === undefined || (e as { action?: string }).action === filter.action) &&
      (filter.predicate === undefined || filter.predicate(e)),
  );
  if (!found) {
    const actions = def.examples.map((e) => (e as { action?: string }).action ?? '(no action)');
    throw new Error(
      `No "${name}" example matches ${JSON.stringify({ action: filter.action, predicate: filter.predicate ? 'given' : undefined })}. ` +
        `Examples (${def.examples.length}) have actions: ${[...new Set(actions)].join(', ')}; declared actions: ${def.actions.join(', ') || '(none)'}`,
    );
  }
  return structuredClone(found);
}

// ---------------------------------------------------------------------------
// helpers

function obj(o: unknown, key: string): Obj {
  const v = (o as Obj)[key];
  if (typeof v !== 'object' || v === null) throw new Error(`payload has no object at "${key}"`);
  return v as Obj;
}

/** A user object in the style of the examples (github.com URLs). */
export function webhookUser(login: string, type?: 'User' | 'Bot' | 'Organization'): Obj {
  const t = type ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
  const id = fakeUserId(login);
  const api = `https://api.github.com/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: Buffer.from(`04:${t}${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: t === 'Bot' ? `https://github.com/apps/${login.replace(/\[bot\]$/, '')}` : `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: t,
    site_admin: false,
  };
}

function replaceStrings(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, from, to));
  if (value && typeof value === 'object') {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceStrings(v, from, to);
    return out;
  }
  return value;
}

/** A repository object for `fullName`, made from the example's `repository`. */
function repositoryFor(template: Obj, fullName: string, defaultBranch: string): Obj {
  const oldFull = String(template['full_name']);
  const oldOwner = obj(template, 'owner');
  const [owner = '', name = ''] = fullName.split('/');
  const repo = replaceStrings(template, oldFull, fullName) as Obj;
  repo['id'] = fakeRepoId(fullName);
  repo['node_id'] = Buffer.from(`010:Repository${String(repo['id'])}`).toString('base64');
  repo['name'] = name;
  repo['full_name'] = fullName;
  repo['default_branch'] = defaultBranch;
  if ('master_branch' in repo) repo['master_branch'] = defaultBranch;
  if (String(oldOwner['login']) !== owner) {
    const type = oldOwner['type'] === 'Organization' ? 'Organization' : 'User';
    repo['owner'] = webhookUser(owner, type);
  }
  return repo;
}

interface RepoOpts {
  /** owner/name; default octo-org/octo-repo */
  repo?: string;
  /** default main */
  defaultBranch?: string;
}

/** Points the whole payload at `repo` (see the file comment). */
function retarget(payload: unknown, opts: RepoOpts): Obj {
  const p = payload as Obj;
  const fullName = opts.repo ?? DEFAULT_REPO;
  if (!/^[^/\s]+\/[^/\s]+$/.test(fullName)) throw new Error(`repo must be owner/name, got "${fullName}"`);
  const template = obj(p, 'repository');
  const oldFull = String(template['full_name']);
  const repository = repositoryFor(template, fullName, opts.defaultBranch ?? DEFAULT_BRANCH);
  const out = replaceStrings(p, oldFull, fullName) as Obj;
  out['repository'] = repository;
  const owner = fullName.split('/')[0] ?? '';
  if (out['organization'] && typeof out['organization'] === 'object') {
    const org = out['organization'] as Obj;
    if (org['login'] !== owner) {
      const api = `https://api.github.com/orgs/${owner}`;
      out['organization'] = { ...org, login: owner, url: api, repos_url: `${api}/repos`, events_url: `${api}/events`, hooks_url: `${api}/hooks`, issues_url: `${api}/issues`, members_url: `${api}/members{/member}`, public_members_url: `${api}/public_members{/member}` };
    }
  }
  return out;
}

/** GitHub stamps a webhook's item and comment with the time of the change: now, as the fake's clock writes it. */
function stampNow(o: Obj, ...keys: string[]): void {
  for (const k of keys) o[k] = iso(Date.now());
}

function setSender(p: Obj, login: string | undefined, type?: 'User' | 'Bot'): void {
  if (login !== undefined || type !== undefined) {
    const current = obj(p, 'sender');
    p['sender'] = webhookUser(login ?? String(current['login']), type);
  }
}

function labelObject(repoFull: string, name: string): Obj {
  const id = fakeUserId(`label:${repoFull}:${name}`);
  return {
    id,
    node_id: Buffer.from(`010:Label${id}`).toString('base64'),
    url: `https://api.github.com/repos/${repoFull}/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  };
}

function issueUrls(issue: Obj, repoFull: string, number: number, isPr: boolean): void {
  const api = `https://api.github.com/repos/${repoFull}/issues/${number}`;
  issue['number'] = number;
  issue['url'] = api;
  issue['repository_url'] = `https://api.github.com/repos/${repoFull}`;
  issue['labels_url'] = `${api}/labels{/name}`;
  issue['comments_url'] = `${api}/comments`;
  issue['events_url'] = `${api}/events`;
  issue['html_url'] = `https://github.com/${repoFull}/${isPr ? 'pull' : 'issues'}/${number}`;
  if ('timeline_url' in issue) issue['timeline_url'] = `${api}/timeline`;
  if (isPr) {
    const html = `https://github.com/${repoFull}/pull/${number}`;
    issue['pull_request'] = {
      url: `https://api.github.com/repos/${repoFull}/pulls/${number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      merged_at: null,
    };
  } else {
    delete issue['pull_request'];
  }
}

function pullUrls(pr: Obj, repoFull: string, number: number): void {
  const api = `https://api.github.com/repos/${repoFull}/pulls/${number}`;
  const html = `https://github.com/${repoFull}/pull/${number}`;
  pr['number'] = number;
  pr['url'] = api;
  pr['html_url'] = html;
  pr['diff_url'] = `${html}.diff`;
  pr['patch_url'] = `${html}.patch`;
  pr['issue_url'] = `https://api.github.com/repos/${repoFull}/issues/${number}`;
  pr['commits_url'] = `${api}/commits`;
  pr['review_comments_url'] = `${api}/comments`;
  pr['comments_url'] = `https://api.github.com/repos/${repoFull}/issues/${number}/comments`;
  if (pr['_links'] && typeof pr['_links'] === 'object') {
    pr['_links'] = {
      self: { href: api },
      html: { href: html },
      issue: { href: pr['issue_url'] },
      comments: { href: pr['comments_url'] },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `https://api.github.com/repos/${repoFull}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: String(pr['statuses_url'] ?? '') },
    };
  }
}

function association(repoFull: string, login: string, given?: string): string {
  if (given) return given;
  return repoFull.split('/')[0]?.toLowerCase() === login.toLowerCase() ? 'OWNER' : 'NONE';
}

// ---------------------------------------------------------------------------
// builders

export interface IssueLabeledOptions extends RepoOpts {
  label: string;
  /** default 1 */
  number?: number;
  title?: string;
  body?: string | null;
  /** Who added the label (payload.sender). */
  sender?: string;
  senderType?: 'User' | 'Bot';
  /** Other labels the issue already has. */
  otherLabels?: string[];
}
/** Starts from the first `issues` example with action `labeled`. */
export function issueLabeled(opts: IssueLabeledOptions): IssuesLabeledPayload {
  const p = retarget(webhookExample('issues', { action: 'labeled' }), opts);
  const full = String(obj(p, 'repository')['full_name']);
  const issue = obj(p, 'issue');
  issueUrls(issue, full, opts.number ?? 1, false);
  if (opts.title !== undefined) issue['title'] = opts.title;
  if (opts.body !== undefined) issue['body'] = opts.body;
  p['label'] = labelObject(full, opts.label);
  issue['labels'] = [...(opts.otherLabels ?? []).map((l) => labelObject(full, l)), labelObject(full, opts.label)];
  stampNow(issue, 'updated_at');
  setSender(p, opts.sender, opts.senderType);
  return p as unknown as IssuesLabeledPayload;
}

export interface PrLabeledOptions extends RepoOpts {
  label: string;
  /** default 2 (the example's) */
  number?: number;
  title?: string;
  body?: string | null;
  /** default 'changes' (the example's) */
  headRef?: string;
  /** default: the default branch */
  baseRef?: string;
  /** Head branch lives in a fork (`<forkOwner>/<name>`, fork: true). */
  fork?: boolean;
  /** default 'fork-user' */
  forkOwner?: string;
  sender?: string;
  senderType?: 'User' | 'Bot';
  /** PR author (pull_request.user); default: the example's (Codertocat). */
  author?: string;
  draft?: boolean;
  otherLabels?: string[];
}
/** Starts from the first `pull_request` example with action `labeled`. */
export function prLabeled(opts: PrLabeledOptions): PullRequestLabeledPayload {
  const p = retarget(webhookExample('pull_request', { action: 'labeled' }), opts);
  const repository = obj(p, 'repository');
  const full = String(repository['full_name']);
  const owner = full.split('/')[0] ?? '';
  const name = full.split('/')[1] ?? '';
  const number = opts.number ?? Number(p['number']);
  p['number'] = number;
  const pr = obj(p, 'pull_request');
  pullUrls(pr, full, number);
  if (opts.title !== undefined) pr['title'] = opts.title;
  if (opts.body !== undefined) pr['body'] = opts.body;
  if (opts.draft !== undefined) pr['draft'] = opts.draft;
  if (opts.author !== undefined) pr['user'] = webhookUser(opts.author);
  p['label'] = labelObject(full, opts.label);
  pr['labels'] = [...(opts.otherLabels ?? []).map((l) => labelObject(full, l)), labelObject(full, opts.label)];
  stampNow(pr, 'updated_at');

  const base = obj(pr, 'base');
  const baseRef = opts.baseRef ?? String(repository['default_branch']);
  base['ref'] = baseRef;
  base['label'] = `${owner}:${baseRef}`;
  base['user'] = structuredClone(repository['owner']);
  base['repo'] = structuredClone(repository);

  const head = obj(pr, 'head');
  const headRef = opts.headRef ?? String(head['ref']);
  head['ref'] = headRef;
  if (opts.fork) {
    const forkOwner = opts.forkOwner ?? 'fork-user';
    const forkRepo = repositoryFor(repository, `${forkOwner}/${name}`, String(repository['default_branch']));
    forkRepo['owner'] = webhookUser(forkOwner, 'User');
    forkRepo['fork'] = true;
    head['repo'] = forkRepo;
    head['user'] = webhookUser(forkOwner, 'User');
    head['label'] = `${forkOwner}:${headRef}`;
    if (opts.author === undefined) pr['user'] = webhookUser(forkOwner, 'User');
  } else {
    head['repo'] = structuredClone(repository);
    head['user'] = structuredClone(repository['owner']);
    head['label'] = `${owner}:${headRef}`;
  }
  pr['author_association'] = association(full, String(obj(pr, 'user')['login']));
  setSender(p, opts.sender, opts.senderType);
  return p as unknown as PullRequestLabeledPayload;
}

export interface PrSynchronizeOptions extends RepoOpts {
  /** the head before the push (payload.before) */
  before: string;
  /** the head after it (payload.after, pull_request.head.sha) */
  after: string;
  /** default 2 */
  number?: number;
  title?: string;
  body?: string | null;
  /** default 'changes' */
  headRef?: string;
  /** Head branch lives in a fork (`fork-user/<name>`). */
  fork?: boolean;
  /** who pushed (payload.sender); default the example's */
  sender?: string;
  labels?: string[];
}
/** Starts from the first `pull_request` example with action `synchronize` (a push to the PR's branch). */
export function prSynchronize(opts: PrSynchronizeOptions): WithAction<'pull_request', 'synchronize'> {
  const p = retarget(webhookExample('pull_request', { action: 'synchronize' }), opts);
  const repository = obj(p, 'repository');
  const full = String(repository['full_name']);
  const [owner = '', name = ''] = full.split('/');
  const number = opts.number ?? 2;
  p['number'] = number;
  p['before'] = opts.before;
  p['after'] = opts.after;
  const pr = obj(p, 'pull_request');
  pullUrls(pr, full, number);
  if (opts.title !== undefined) pr['title'] = opts.title;
  if (opts.body !== undefined) pr['body'] = opts.body;
  pr['labels'] = (opts.labels ?? []).map((l) => labelObject(full, l));
  pr['draft'] = false;
  const base = obj(pr, 'base');
  base['ref'] = String(repository['default_branch']);
  base['label'] = `${owner}:${String(base['ref'])}`;
  base['repo'] = structuredClone(repository);
  const head = obj(pr, 'head');
  const headRef = opts.headRef ?? 'changes';
  head['ref'] = headRef;
  head['sha'] = opts.after;
  if (opts.fork) {
    const forkRepo = repositoryFor(repository, `fork-user/${name}`, String(repository['default_branch']));
    forkRepo['owner'] = webhookUser('fork-user', 'User');
    forkRepo['fork'] = true;
    head['repo'] = forkRepo;
    head['user'] = webhookUser('fork-user', 'User');
    head['label'] = `fork-user:${headRef}`;
  } else {
    head['repo'] = structuredClone(repository);
    head['user'] = structuredClone(repository['owner']);
    head['label'] = `${owner}:${headRef}`;
  }
  setSender(p, opts.sender);
  return p as unknown as WithAction<'pull_request', 'synchronize'>;
}

export interface WorkflowRunCompletedOptions extends RepoOpts {
  /** the upstream run's id; default 30433642 */
  id?: number;
  /** default 1 */
  runAttempt?: number;
  /** the workflow's name; default CI */
  name?: string;
  /** default failure */
  conclusion?: 'failure' | 'success' | 'timed_out' | 'cancelled';
  headSha: string;
  /** default 'changes' */
  headBranch?: string;
  /** the pull request GitHub names in `pull_requests` (none for a fork's run, as on GitHub) */
  pullNumber?: number;
  /** the head repository is a fork `fork-user/<name>`; `pull_requests` is then empty */
  fork?: boolean;
  /** who caused the upstream run (workflow_run.actor); default Codertocat */
  actor?: string;
  /** who re-ran it (workflow_run.triggering_actor); default the actor */
  triggeringActor?: string;
  /** payload.sender; default the triggering actor */
  sender?: string;
}
/** Starts from the first `workflow_run` example with action `completed` and an actor: a run of the CI workflow on a pull request. */
export function workflowRunCompleted(opts: WorkflowRunCompletedOptions): WithAction<'workflow_run', 'completed'> {
  const p = retarget(webhookExample('workflow_run', { action: 'completed', predicate: (e) => Boolean(e.workflow_run.actor) }), opts);
  const repository = obj(p, 'repository');
  const full = String(repository['full_name']);
  const [, name = ''] = full.split('/');
  const run = obj(p, 'workflow_run');
  const id = opts.id ?? 30433642;
  const headBranch = opts.headBranch ?? 'changes';
  run['id'] = id;
  run['run_attempt'] = opts.runAttempt ?? 1;
  run['name'] = opts.name ?? 'CI';
  run['event'] = 'pull_request';
  run['status'] = 'completed';
  run['conclusion'] = opts.conclusion ?? 'failure';
  run['head_sha'] = opts.headSha;
  run['head_branch'] = headBranch;
  run['html_url'] = `https://github.com/${full}/actions/runs/${id}`;
  run['url'] = `https://api.github.com/repos/${full}/actions/runs/${id}`;
  run['jobs_url'] = `${String(run['url'])}/jobs`;
  run['logs_url'] = `${String(run['url'])}/logs`;
  const headCommit = obj(run, 'head_commit');
  headCommit['id'] = opts.headSha;
  const actor = opts.actor ?? 'Codertocat';
  run['actor'] = webhookUser(actor);
  run['triggering_actor'] = webhookUser(opts.triggeringActor ?? actor);
  if (opts.fork) {
    const forkRepo = repositoryFor(repository, `fork-user/${name}`, String(repository['default_branch']));
    forkRepo['fork'] = true;
    forkRepo['owner'] = webhookUser('fork-user', 'User');
    run['head_repository'] = forkRepo;
  } else {
    run['head_repository'] = structuredClone(repository);
  }
  const repoRef = { id: repository['id'], url: `https://api.github.com/repos/${full}`, name };
  run['pull_requests'] =
    opts.pullNumber !== undefined && !opts.fork
      ? [{ url: `https://api.github.com/repos/${full}/pulls/${opts.pullNumber}`, id: opts.pullNumber, number: opts.pullNumber, head: { ref: headBranch, sha: opts.headSha, repo: repoRef }, base: { ref: String(repository['default_branch']), sha: 'f'.repeat(40), repo: repoRef } }]
      : [];
  setSender(p, opts.sender ?? opts.triggeringActor ?? actor);
  return p as unknown as WithAction<'workflow_run', 'completed'>;
}

export interface IssueCommentOptions extends RepoOpts {
  body: string;
  /** The comment is on a pull request (issue.pull_request is set). */
  onPullRequest?: boolean;
  /** default 1 */
  number?: number;
  /** Comment author and payload.sender; default the example's (Codertocat). */
  sender?: string;
  /** default: Bot for logins ending in [bot], else User */
  senderType?: 'User' | 'Bot';
  /** comment.author_association; default OWNER if the sender owns the repo, else NONE. */
  association?: string;
  /** default 'created' */
  action?: 'created' | 'edited' | 'deleted';
  issueTitle?: string;
  issueBody?: string | null;
}
/** Starts from the first `issue_comment` example with the action (default `created`). */
export function issueComment<O extends IssueCommentOptions>(
  opts: O,
): O['action'] extends 'edited' | 'deleted' ? IssueCommentPayload : IssueCommentCreatedPayload {
  const p = retarget(webhookExample('issue_comment', { action: opts.action ?? 'created' }), opts);
  const full = String(obj(p, 'repository')['full_name']);
  const issue = obj(p, 'issue');
  issueUrls(issue, full, opts.number ?? 1, opts.onPullRequest ?? false);
  if (opts.issueTitle !== undefined) issue['title'] = opts.issueTitle;
  if (opts.issueBody !== undefined) issue['body'] = opts.issueBody;
  setSender(p, opts.sender, opts.senderType);
  const sender = obj(p, 'sender');
  const comment = obj(p, 'comment');
  comment['body'] = opts.body;
  comment['user'] = structuredClone(sender);
  comment['author_association'] = association(full, String(sender['login']), opts.association);
  comment['issue_url'] = issue['url'];
  comment['html_url'] = `${String(issue['html_url'])}#issuecomment-${String(comment['id'])}`;
  comment['url'] = `https://api.github.com/repos/${full}/issues/comments/${String(comment['id'])}`;
  stampNow(comment, 'created_at', 'updated_at');
  stampNow(issue, 'updated_at');
  return p as unknown as O['action'] extends 'edited' | 'deleted' ? IssueCommentPayload : IssueCommentCreatedPayload;
}

export interface PrReviewCommentOptions extends RepoOpts {
  body: string;
  /** default 2 (the example's) */
  number?: number;
  sender?: string;
  senderType?: 'User' | 'Bot';
  association?: string;
}
/** Starts from the first `pull_request_review_comment` example with action `created`. */
export function prReviewComment(opts: PrReviewCommentOptions): PullRequestReviewCommentCreatedPayload {
  const p = retarget(webhookExample('pull_request_review_comment', { action: 'created' }), opts);
  const repository = obj(p, 'repository');
  const full = String(repository['full_name']);
  const owner = full.split('/')[0] ?? '';
  const pr = obj(p, 'pull_request');
  const number = opts.number ?? Number(pr['number']);
  pullUrls(pr, full, number);
  const base = obj(pr, 'base');
  base['ref'] = String(repository['default_branch']);
  base['label'] = `${owner}:${String(base['ref'])}`;
  base['repo'] = structuredClone(repository);
  const head = obj(pr, 'head');
  head['repo'] = structuredClone(repository);
  head['label'] = `${owner}:${String(head['ref'])}`;
  setSender(p, opts.sender, opts.senderType);
  const sender = obj(p, 'sender');
  const comment = obj(p, 'comment');
  const id = String(comment['id']);
  comment['body'] = opts.body;
  comment['user'] = structuredClone(sender);
  comment['author_association'] = association(full, String(sender['login']), opts.association);
  comment['url'] = `https://api.github.com/repos/${full}/pulls/comments/${id}`;
  comment['html_url'] = `https://github.com/${full}/pull/${number}#discussion_r${id}`;
  comment['pull_request_url'] = `https://api.github.com/repos/${full}/pulls/${number}`;
  stampNow(obj(p, 'comment'), 'created_at', 'updated_at');
  return p as unknown as PullRequestReviewCommentCreatedPayload;
}

export interface WorkflowDispatchOptions extends RepoOpts {
  inputs?: Record<string, unknown>;
  /** default refs/heads/<default branch> */
  ref?: string;
  sender?: string;
  /** default .github/workflows/openhands.yml */
  workflow?: string;
}
/** Starts from the first `workflow_dispatch` example. */
export function workflowDispatch(opts: WorkflowDispatchOptions = {}): WorkflowDispatchPayload {
  const p = retarget(webhookExample('workflow_dispatch'), opts);
  p['inputs'] = opts.inputs ?? {};
  p['ref'] = opts.ref ?? `refs/heads/${String(obj(p, 'repository')['default_branch'])}`;
  p['workflow'] = opts.workflow ?? '.github/workflows/openhands.yml';
  setSender(p, opts.sender);
  return p as unknown as WorkflowDispatchPayload;
}

export interface SchedulePayload {
  schedule: string;
  workflow: string;
  repository: WorkflowDispatchPayload['repository'];
  organization?: WorkflowDispatchPayload['organization'];
  sender?: WorkflowDispatchPayload['sender'];
}
export interface ScheduleOptions extends RepoOpts {
  /** default '0 3 * * 1' */
  cron?: string;
  /** default .github/workflows/openhands.yml */
  workflow?: string;
  /** The user who last changed the cron (GitHub sends one; GITHUB_ACTOR is that user). */
  sender?: string;
}
/**
 * A `schedule` payload. The examples package has none (GitHub does not send
 * schedule webhooks; the runner writes this event file itself), so it is
 * built from the `repository`/`organization`/`sender` of the first
 * `workflow_dispatch` example, in the shape the runner writes:
 * `{ schedule: '<cron>', workflow, repository, organization?, sender? }`.
 */
export function schedule(opts: ScheduleOptions = {}): SchedulePayload {
  const wd = retarget(webhookExample('workflow_dispatch'), opts);
  const p: Obj = {
    schedule: opts.cron ?? '0 3 * * 1',
    workflow: opts.workflow ?? '.github/workflows/openhands.yml',
    repository: wd['repository'],
    organization: wd['organization'],
    sender: wd['sender'],
  };
  if (p['organization'] === undefined) delete p['organization'];
  setSender(p, opts.sender);
  return p as unknown as SchedulePayload;
}

/**
 * The triggering event, parsed once from the runner's environment and payload into the few
 * facts the action uses. `readEventFile` is the one place the payload file is read; `parseEvent`
 * is pure: give it env and the payload object.
 */
import { readFileSync } from 'node:fs';

export interface Actor {
  readonly login: string;
  /** 'User' | 'Bot' | 'Organization' (GitHub's sender.type), or '' when unknown */
  readonly type: string;
}

/** The issue or pull request the event is about (or the one `issue-number` names). */
export interface Subject {
  readonly number: number;
  readonly isPullRequest: boolean;
  readonly title: string;
  readonly body: string;
  readonly url: string;
  readonly author: string;
  readonly labels: readonly string[];
  /** pull requests: head and base, when the payload has them */
  readonly headRef?: string;
  readonly headRepo?: string;
  readonly baseRef?: string;
  /** pull requests: the head commit, when the payload has it (pull_request events) */
  readonly headSha?: string;
  /** when GitHub last updated the item (epoch ms; a labelled event's label time) */
  readonly updatedAt?: number;
}

export interface TriggerComment {
  readonly id: number;
  readonly body: string;
  readonly author: Actor;
  readonly url: string;
  /** when GitHub created (or, for a review, submitted) it, epoch ms */
  readonly createdAt?: number;
  /** which REST resource the comment is, for reactions */
  readonly kind: 'issue_comment' | 'review_comment' | 'review';
}

export interface EventContext {
  readonly eventName: string;
  readonly action: string | undefined;
  readonly sender: Actor;
  /** GITHUB_ACTOR; differs from sender for re-runs */
  readonly actor: string;
  readonly repository: string;
  readonly defaultBranch: string | undefined;
  readonly refName: string | undefined;
  readonly runId: string;
  readonly runAttempt: number;
  readonly workflow: string;
  readonly job: string;
  /** GITHUB_ACTION: the step's id, or `__owner_repo` (with `_2`, `_3` for later uses in the job) */
  readonly step: string;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly runUrl: string;
  readonly subject: Subject | undefined;
  readonly comment: TriggerComment | undefined;
  /** labeled events: the label that was added */
  readonly addedLabel: string | undefined;
  /** assigned events: who was assigned */
  readonly assignee: string | undefined;
  /** workflow_run events: who triggered the upstream run (its re-runner when re-run) */
  readonly upstreamActor: string | undefined;
  /** workflow_run events: the upstream run's people and where its commit comes from */
  readonly upstream: Upstream | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The run a workflow_run event follows. Both its actor (who caused it: a fork PR's author) and
 * its triggering actor (who re-ran it) are checked; a head repository other than this one (or
 * none) is a fork, with a fork PR's limits.
 */
export interface Upstream {
  readonly actors: readonly Actor[];
  readonly headRepo: string | undefined;
  readonly headBranch: string | undefined;
  readonly headSha: string | undefined;
  /** the pull request the upstream run belongs to, when GitHub names one (it names none for forks) */
  readonly pullNumber: number | undefined;
  readonly fork: boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const time = (v: unknown): number | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The process environment, as the runner sets it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The webhook payload at GITHUB_EVENT_PATH: `{}` when the variable is unset (a local run), else
 * the file's JSON object, or an error that names the variable and what is wrong with the file.
 */
export function readEventFile(env: Env, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Obj {
  const file = env.GITHUB_EVENT_PATH;
  if (!file) return {};
  const bad = (why: string): Error => new Error(`The event payload file GITHUB_EVENT_PATH=${file} ${why}`);
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw bad(code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`);
  }
  if (!text.trim()) throw bad('is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad(`is not valid JSON: ${(error as Error).message}`);
  }
  const payload = obj(value);
  if (!payload) throw bad(`holds ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a JSON object`);
  return payload;
}

export function parseEvent(env: Env, payload: Obj): EventContext {
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/(?<!\/)\/+$/, '');
  const repository = env.GITHUB_REPOSITORY || str(obj(payload.repository)?.full_name) || '';
  const runId = env.GITHUB_RUN_ID || '0';
  const senderObj = obj(payload.sender);
  const sender: Actor = {
    login: str(senderObj?.login) ?? env.GITHUB_ACTOR ?? '',
    type: str(senderObj?.type) ?? '',
  };
  const eventName = env.GITHUB_EVENT_NAME || '';
  const commentObj = obj(payload.comment) ?? (eventName === 'pull_request_review' ? obj(payload.review) : undefined);
  const workflowRun = obj(payload.workflow_run);

  return {
    eventName,
    action: str(payload.action),
    sender,
    actor: env.GITHUB_ACTOR || sender.login,
    repository,
    defaultBranch: str(obj(payload.repository)?.default_branch),
    refName: env.GITHUB_REF_NAME || undefined,
    runId,
    runAttempt: Math.max(1, Number(env.GITHUB_RUN_ATTEMPT) || 1),
    workflow: env.GITHUB_WORKFLOW || 'workflow',
    job: env.GITHUB_JOB || 'job',
    step: env.GITHUB_ACTION || '',
    serverUrl,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/(?<!\/)\/+$/, ''),
    runUrl: `${serverUrl}/${repository}/actions/runs/${runId}`,
    subject: parseSubject(payload, env),
    comment: commentObj ? parseComment(eventName, commentObj) : undefined,
    addedLabel: str(obj(payload.label)?.name),
    assignee: str(obj(payload.assignee)?.login),
    upstreamActor: workflowRun ? str(obj(workflowRun.triggering_actor)?.login ?? obj(workflowRun.actor)?.login) : undefined,
    upstream: workflowRun ? parseUpstream(workflowRun, repository) : undefined,
    payload,
  };
}

function parseUpstream(run: Obj, repository: string): Upstream {
  const actors: Actor[] = [];
  for (const a of [obj(run.actor), obj(run.triggering_actor)]) {
    const login = str(a?.login);
    if (login && !actors.some((x) => x.login.toLowerCase() === login.toLowerCase())) actors.push({ login, type: str(a?.type) ?? '' });
  }
  const headRepo = str(obj(run.head_repository)?.full_name);
  const pulls = Array.isArray(run.pull_requests) ? run.pull_requests : [];
  return {
    actors,
    headRepo,
    headBranch: str(run.head_branch),
    headSha: /^[0-9a-f]{40}$/.test(str(run.head_sha) ?? '') ? str(run.head_sha) : undefined,
    pullNumber: num(obj(pulls[0])?.number),
    // No head repository (a deleted fork) is the safe side: a fork.
    fork: !headRepo || headRepo.toLowerCase() !== repository.toLowerCase(),
  };
}

/** A payload GitHub would never send: named like a bad event file, before any request uses it. */
function badPayload(env: Env, why: string): Error {
  return new Error(`The event payload file GITHUB_EVENT_PATH=${env.GITHUB_EVENT_PATH ?? '(unset)'} ${why}`);
}

function parseSubject(payload: Obj, env: Env): Subject | undefined {
  const pr = obj(payload.pull_request);
  const issue = obj(payload.issue);
  const item = pr ?? issue;
  if (!item) return undefined;
  const rawNumber = item.number;
  if (rawNumber === undefined || rawNumber === null) return undefined;
  // A number that is not a safe positive integer would reach GitHub as `…/issues/1e+30/…`.
  if (typeof rawNumber !== 'number' || !Number.isSafeInteger(rawNumber) || rawNumber < 1) {
    throw badPayload(env, `has an issue number that is not a positive whole number: ${JSON.stringify(rawNumber)}`);
  }
  const number = rawNumber;
  const head = obj(pr?.head);
  const base = obj(pr?.base);
  if (pr && (!str(head?.ref) || !str(base?.ref))) {
    throw badPayload(env, `has a pull_request #${number} without ${!str(head?.ref) ? 'head' : 'base'}.ref (GitHub always sends head and base)`);
  }
  return {
    number,
    isPullRequest: Boolean(pr) || Boolean(obj(issue?.pull_request)),
    title: str(item.title) ?? '',
    body: str(item.body) ?? '',
    url: str(item.html_url) ?? '',
    author: str(obj(item.user)?.login) ?? '',
    labels: Array.isArray(item.labels) ? item.labels.map((l) => str(obj(l)?.name) ?? '').filter(Boolean) : [],
    headRef: str(head?.ref),
    headRepo: str(obj(head?.repo)?.full_name),
    baseRef: str(base?.ref),
    headSha: str(head?.sha),
    updatedAt: time(item.updated_at),
  };
}

function parseComment(eventName: string, c: Obj): TriggerComment | undefined {
  const id = num(c.id);
  if (id === undefined) return undefined;
  const user = obj(c.user);
  return {
    id,
    body: str(c.body) ?? '',
    author: { login: str(user?.login) ?? '', type: str(user?.type) ?? '' },
    url: str(c.html_url) ?? '',
    createdAt: time(c.created_at ?? c.submitted_at),
    kind:
      eventName === 'pull_request_review_comment'
        ? 'review_comment'
        : eventName === 'pull_request_review'
          ? 'review'
          : 'issue_comment',
  };
}

/** The comment key: keeps the sticky comments of different workflows and jobs apart. */
export function defaultCommentKey(ctx: Pick<EventContext, 'workflow' | 'job'>): string {
  return `${ctx.workflow}/${ctx.job}`.replace(/[^\w.:/-]+/g, '-').slice(0, 100);
}

/**
 * One run's decisions and steps, in the order they happen: decide whether to run and where
 * (prepare), then start, re-attach or follow up, and wait (execute). All I/O goes through the
 * collaborators it is given; main.ts owns the outcome.
 */
import * as core from '@actions/core';
import type { Config } from './config.js';
import { API_KEY_ENV, INPUT, OUTPUT } from './constants.js';
import { ConfigError, TimeoutError, getErrorMessage } from './errors.js';
import { findStickyComment, type CommentTarget, type StickyComment } from './github/comments.js';
import { defaultCommentKey, type EventContext } from './github/event.js';
import { findTrackingIssue, getPermission, getPullRequestRefs } from './github/issues.js';
import { createOctokit, type Octokit } from './github/octokit.js';
import { react, type Reaction } from './github/reactions.js';
import { OpenHandsClient } from './openhands/client.js';
import {
  endedAfter,
  isTerminal,
  newestEvent,
  readConversation,
  readFinalMessage,
  usage,
  waitForFinish,
  type ConversationView,
  type EventMark,
} from './openhands/follow.js';
import { assertReady, conversationIdFor, findStartTask, sendStart, waitForStartTask } from './openhands/start.js';
import { SANDBOX_TERMINAL, START_TERMINAL, type StartRequest, type StartTask } from './openhands/types.js';
import { buildFollowUp, buildPrompt, checkPromptConfig, type WorkTarget } from './prompt.js';
import type { SecretBox } from './redact.js';
import { renderComment, type MarkerState } from './render/comment.js';
import { Reporter } from './reporter.js';
import { statusFromExecution, type Report } from './report.js';
import { realSleep, type Sleep } from './retry.js';
import { writeSummary } from './summary.js';
import { checkActors, decideTrigger } from './triggers.js';

export interface FlowDeps {
  /** aborted when the runner cancels the job */
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly sleep?: Sleep;
}

function missingApiKey(): ConfigError {
  return new ConfigError(
    INPUT.apiKey,
    `required: pass a secret (api-key: \${{ secrets.OPENHANDS_API_KEY }}) or set the ${API_KEY_ENV} environment variable`,
  );
}

/** A conversation finished longer ago than this gets a new conversation instead of a follow-up. */
export const FOLLOW_UP_WINDOW_MS = 6 * 3600_000;

/** One run's decisions and steps, in the order they happen. */
export class Flow {
  readonly cfg: Config;
  readonly ctx: EventContext;
  readonly deps: FlowDeps;
  readonly secrets: SecretBox;
  readonly now: () => number;
  readonly sleep: Sleep;
  readonly key: string;
  octokit: Octokit | undefined;
  client: OpenHandsClient | undefined;
  work: WorkTarget | undefined;
  commentTarget: CommentTarget | undefined;
  sticky: StickyComment | undefined;
  prompt = '';
  /** the trigger was accepted (a failure from here on earns a 😕) */
  triggered = false;
  /** the service acknowledged the conversation (a start task was seen, or it already existed) */
  acknowledged = false;

  constructor(cfg: Config, ctx: EventContext, deps: FlowDeps, secrets: SecretBox) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.deps = deps;
    this.secrets = secrets;
    this.now = deps.now;
    this.sleep = deps.sleep ?? realSleep;
    this.key = cfg.commentKey ?? defaultCommentKey(ctx);
  }

  /** Decides whether to run and prepares everything short of an OpenHands request. */
  async prepare(): Promise<Reporter | undefined> {
    const { cfg, ctx } = this;
    const trigger = decideTrigger(ctx, cfg);
    core.info(`Trigger: ${trigger.run ? 'accepted' : 'skipped'}: ${trigger.why}`);
    if (!trigger.run) return this.skip(trigger.why);
    this.triggered = true;
    checkPromptConfig(cfg, ctx);

    const [owner, repo] = ctx.repository.split('/') as [string, string];
    if (cfg.githubToken) this.octokit = createOctokit(cfg.githubToken, ctx.apiUrl);
    const octokit = this.octokit;

    // A missing key is a bad input, reported before any request, unless this may be a fork PR
    // (no secrets there: that is a skip, and only the PR's head repo tells).
    const maybeFork =
      ctx.subject?.isPullRequest && ctx.subject.headRepo?.toLowerCase() !== ctx.repository.toLowerCase();
    if (!cfg.apiKey && !cfg.dryRun && !maybeFork) throw missingApiKey();

    // Independent look-ups, in parallel: who may run, where to work, and the sticky comment.
    const subjectNumber = ctx.subject?.number ?? cfg.issueNumber;
    const [permissionResult, workResult, stickyResult] = await Promise.allSettled([
      checkActors(ctx, cfg.allowedBots, async (login) => {
        if (!octokit) throw new ConfigError(INPUT.githubToken, 'a token is needed to check who triggered the run');
        try {
          return await getPermission(octokit, owner, repo, login);
        } catch (error) {
          throw new Error(`Could not check ${login}'s permission on ${ctx.repository}, so the run is refused: ${getErrorMessage(error)}`, {
            cause: error,
          });
        }
      }),
      this.workTarget(owner, repo),
      subjectNumber === undefined ? undefined : this.findSticky(owner, repo, subjectNumber),
    ]);
    // The permission decides first: a refused trigger is a skip even if another look-up failed.
    const permission = settled(permissionResult);
    core.info(`Permission: ${permission.run ? 'granted' : 'refused'}: ${permission.why}`);
    if (!permission.run) return this.skip(permission.why);
    const work = settled(workResult);
    const sticky = settled(stickyResult);
    this.work = work;
    if (!cfg.apiKey && !cfg.dryRun) {
      if (!work.fork) throw missingApiKey();
      return this.skip(
        `this pull request comes from the fork ${work.fork.headRepo}, and workflows triggered from forks get no secrets, so there is no OpenHands API key`,
      );
    }
    this.prompt = buildPrompt(cfg, ctx, work);
    this.sticky = subjectNumber === undefined ? await this.findSticky(owner, repo, await this.trackingIssue(owner, repo)) : sticky;

    const report: Report = {
      key: this.key,
      status: 'pending',
      final: false,
      repo: this.work.repo,
      serverUrl: ctx.serverUrl,
      baseUrl: cfg.baseUrl,
      runUrl: ctx.runUrl,
      runId: ctx.runId,
      runAttempt: ctx.runAttempt,
      startedAt: this.now(),
      updatedAt: this.now(),
      actor: ctx.comment?.author.login || ctx.sender.login || ctx.actor,
      previous: [...(this.sticky?.state?.previous ?? [])],
    };
    const reporter = new Reporter(report, {
      octokit: cfg.dryRun ? undefined : octokit,
      target: this.commentTarget,
      existingCommentId: this.sticky?.id,
      existingCommentUrl: this.sticky?.url,
      redact: (t) => this.secrets.redact(t),
      now: this.now,
      warn: (m) => core.warning(m),
      setOutput: (n, v) => core.setOutput(n, v),
      saveState: (n, v) => core.saveState(n, v),
      sleep: this.sleep,
    });

    if (cfg.dryRun) {
      return this.dryRun(reporter, trigger.why, permission.why);
    }
    this.client = new OpenHandsClient({
      baseUrl: cfg.baseUrl,
      apiKey: cfg.apiKey as string,
      signal: this.deps.signal,
      sleep: this.sleep,
      onRetry: (m) => core.info(this.secrets.redact(m)),
      onSecret: (s) => this.secrets.add(s),
    });
    // A scheduled chore must not pile up: skip while the last one (on the same comment) runs.
    const prev = this.sticky?.state;
    if (!ctx.subject && prev?.conversationId && prev.runId !== ctx.runId && (await this.stillRunning(prev))) {
      return this.skip(`the previous conversation ${prev.conversationId} is still running`);
    }
    this.reactLater('eyes');
    return reporter;
  }

  /** Starts, re-attaches or follows up, then waits as configured. */
  async execute(reporter: Reporter): Promise<void> {
    const client = this.client as OpenHandsClient;
    const prev = this.sticky?.state;
    const sameRun = Boolean(prev?.conversationId && prev.runId === this.ctx.runId);

    // A re-run of a follow-up: send the message if the first attempt did not get to it.
    if (sameRun && prev?.conversationId && prev.followUp) {
      await this.followUp(reporter, prev.conversationId, await readConversation(client, prev.conversationId), prev.followUp === 'sent');
      return;
    }
    // A new trigger where a conversation is still open: send it there instead of paying for another.
    if (!sameRun && prev?.conversationId && this.ctx.subject && this.cfg.followUp === 'auto') {
      const view = await readConversation(client, prev.conversationId);
      if (isAlive(view, this.now())) {
        await this.followUp(reporter, prev.conversationId, view, false);
        return;
      }
    }
    if (!sameRun && prev?.conversationId) {
      const runUrl = `${this.ctx.serverUrl}/${this.ctx.repository}/actions/runs/${prev.runId}`;
      reporter.report.previous.unshift({ conversationId: prev.conversationId, status: prev.status, runUrl });
    }

    let conversationId = (sameRun ? prev?.conversationId : undefined) ?? this.derivedConversationId();
    let task: StartTask | undefined;
    let reattached = false;
    if (sameRun || this.ctx.runAttempt > 1) {
      const earlier = await this.findEarlierStart(conversationId, prev?.startTaskId);
      if (earlier?.status === 'ERROR') {
        // That id is spent (its sandbox id too): this attempt starts under an id of its own.
        core.info(`The earlier attempt's start failed (${earlier.detail ?? 'no detail'}); starting again`);
        conversationId = this.derivedConversationId(`attempt-${this.ctx.runAttempt}`);
      } else if (earlier) {
        core.info(`Re-attaching to conversation ${conversationId}, which an earlier attempt of this run started`);
        task = earlier;
        reattached = true;
      }
    }
    // The id is ours, so the link goes out now, while the start request travels.
    void reporter.update({ conversationId, status: 'pending' }, { force: true });
    reporter.writeOutputs();
    if (task) this.onTask(reporter, task);
    else task = await core.group('Start conversation', () => this.start(reporter, conversationId));
    if (this.cfg.wait === 'none') {
      reporter.report.status = 'started';
      return;
    }
    const ready = START_TERMINAL.has(task.status) ? task : await core.group('Wait until ready', () => this.waitReady(reporter, task));
    assertReady(ready);
    // An earlier attempt may have been cancelled, which paused the sandbox.
    if (reattached) await this.ensureRunning(reporter, conversationId);
    this.reactLater('rocket');
    await this.setTitle(conversationId);
    if (this.cfg.wait === 'finished') {
      await core.group('Wait until finished', () => this.waitFinished(reporter, conversationId));
    }
  }

  start(reporter: Reporter, conversationId: string): Promise<StartTask> {
    const body = this.startRequest(conversationId);
    core.info(`Starting a conversation on ${body.selected_repository}${body.selected_branch ? `@${body.selected_branch}` : ''}`);
    return sendStart(
      {
        client: this.client as OpenHandsClient,
        sleep: this.sleep,
        now: this.now,
        signal: this.deps.signal,
        log: (m) => core.info(this.secrets.redact(m)),
      },
      body,
      {
        stream: this.cfg.wait !== 'none',
        deadline: reporter.report.startedAt + this.cfg.readyTimeoutMs,
        timeoutMs: this.cfg.readyTimeoutMs,
        since: new Date(this.now() - 10 * 60_000),
        onTask: (t) => this.onTask(reporter, t),
      },
    );
  }

  /**
   * The start task an earlier attempt of this run created: by the id the marker kept, by its
   * READY conversation, else among recent tasks.
   */
  async findEarlierStart(conversationId: string, startTaskId: string | undefined): Promise<StartTask | undefined> {
    const client = this.client as OpenHandsClient;
    if (startTaskId) {
      const [task] = await client.getStartTasks([startTaskId]);
      if (task) return task;
    }
    const conversation = await client.getConversation(conversationId);
    if (conversation) {
      const [task] = await client.searchStartTasks({ conversationId });
      return task ?? ({ id: '', status: 'READY', app_conversation_id: conversationId, sandbox_id: conversation.sandbox_id } as StartTask);
    }
    // Re-runs can come days later; a task that never reached READY is only worth finding if recent.
    return findStartTask(client, conversationId, new Date(this.now() - 24 * 3600_000));
  }

  /** Whether the conversation an earlier run reported is still at work (or still starting). */
  async stillRunning(prev: MarkerState): Promise<boolean> {
    const client = this.client as OpenHandsClient;
    const view = await readConversation(client, prev.conversationId as string);
    if (view.conversation) return !isTerminal(view) && ['RUNNING', 'STARTING'].includes(view.sandboxStatus ?? '');
    if (!prev.startTaskId) return false;
    const [task] = await client.getStartTasks([prev.startTaskId]);
    return Boolean(task && !START_TERMINAL.has(task.status));
  }

  /** Resumes a paused sandbox and waits until it runs; a dead sandbox is an error. */
  async ensureRunning(reporter: Reporter, conversationId: string, known?: ConversationView): Promise<void> {
    const client = this.client as OpenHandsClient;
    let view = known ?? (await readConversation(client, conversationId));
    if (!view.conversation || view.sandboxStatus === 'RUNNING') return;
    const sandboxId = view.conversation.sandbox_id;
    const deadline = this.now() + this.cfg.readyTimeoutMs;
    if (view.sandboxStatus === 'PAUSED' && sandboxId) {
      core.info(`Resuming sandbox ${sandboxId}`);
      await client.resumeSandbox(sandboxId);
    }
    while (view.sandboxStatus !== 'RUNNING') {
      if (view.sandboxStatus === 'ERROR' || view.sandboxStatus === 'MISSING') {
        await reporter.update(this.viewPatch(view));
        throw new Error(`The conversation's sandbox is ${view.sandboxStatus}; it cannot continue`);
      }
      if (this.now() > deadline) throw new TimeoutError('The sandbox resuming', INPUT.readyTimeout, this.cfg.readyTimeoutMs);
      await this.sleep(1000, this.deps.signal);
      view = await readConversation(client, conversationId);
    }
    await reporter.update(this.viewPatch(view));
  }

  startRequest(conversationId: string): StartRequest {
    const s = this.ctx.subject;
    return {
      initial_message: { role: 'user', content: [{ type: 'text', text: this.prompt }], run: true },
      selected_repository: this.work?.repo ?? this.cfg.repo.fullName,
      ...(this.work?.branch ? { selected_branch: this.work.branch } : {}),
      git_provider: 'github',
      conversation_id: conversationId,
      trigger: 'openhands_api',
      ...(this.cfg.title ? { title: this.cfg.title } : {}),
      ...(s?.isPullRequest && !this.work?.fork ? { pr_number: [s.number] } : {}),
      ...(this.cfg.llmModel ? { llm_model: this.cfg.llmModel } : {}),
    };
  }

  onTask(reporter: Reporter, t: StartTask): void {
    this.acknowledged = true;
    const r = reporter.report;
    if (t.status !== r.startTaskStatus) core.info(`Start task ${t.id}: ${t.status}${t.detail ? ` (${t.detail})` : ''}`);
    void reporter.update({
      startTaskId: t.id,
      startTaskStatus: t.status,
      sandboxId: t.sandbox_id ?? r.sandboxId,
      status: t.status === 'READY' ? 'ready' : t.status === 'ERROR' ? 'error' : 'started',
      ...(t.status === 'ERROR' ? { error: `OpenHands could not start the conversation: ${t.detail ?? 'no detail given'}` } : {}),
    });
  }

  async waitReady(reporter: Reporter, task: StartTask): Promise<StartTask> {
    const deadline = reporter.report.startedAt + this.cfg.readyTimeoutMs;
    return waitForStartTask(
      { client: this.client as OpenHandsClient, sleep: this.sleep, now: this.now, signal: this.deps.signal },
      task,
      { deadline, timeoutMs: this.cfg.readyTimeoutMs, onTask: (t) => this.onTask(reporter, t) },
    );
  }

  /** Follows the agent to its end. After a follow-up, the previous run's end does not count. */
  async waitFinished(reporter: Reporter, conversationId: string, after?: EventMark): Promise<void> {
    const deps = { client: this.client as OpenHandsClient, sleep: this.sleep, now: this.now, signal: this.deps.signal };
    let last = '';
    let sawActive = false;
    const since = this.now();
    const view = await waitForFinish(deps, conversationId, {
      deadline: this.now() + this.cfg.finishTimeoutMs,
      timeoutMs: this.cfg.finishTimeoutMs,
      accept: async (v) =>
        !after ||
        sawActive ||
        SANDBOX_TERMINAL.has(v.sandboxStatus ?? '') ||
        this.now() - since > FOLLOW_UP_SETTLE_MS ||
        (await endedAfter(deps.client, conversationId, after)),
      onView: (v) => {
        if (!isTerminal(v)) sawActive = true;
        const line = `${v.sandboxStatus ?? '?'}/${v.executionStatus ?? '?'}`;
        if (line !== last) core.info(`Conversation ${conversationId}: sandbox ${v.sandboxStatus ?? 'unknown'}, agent ${v.executionStatus ?? 'unknown'}`);
        last = line;
        void reporter.update(this.viewPatch(v));
      },
    });
    const finalMessage = await readFinalMessage(deps, conversationId, view.executionStatus, { afterEventId: after?.id });
    const status = statusFromExecution(view.executionStatus, view.sandboxStatus);
    await reporter.update({
      ...this.viewPatch(view),
      status,
      finalMessage: finalMessage || undefined,
      ...(status === 'error' || status === 'stuck'
        ? { error: `The agent ended as ${view.executionStatus ?? `sandbox ${view.sandboxStatus}`}` }
        : {}),
    });
  }

  viewPatch(v: ConversationView): Partial<Report> {
    const { cost, tokens } = usage(v.conversation);
    return {
      sandboxStatus: v.sandboxStatus ?? undefined,
      executionStatus: v.executionStatus ?? undefined,
      sandboxId: v.conversation?.sandbox_id ?? undefined,
      cost,
      tokens,
      prNumbers: v.conversation?.pr_number?.length ? v.conversation.pr_number : undefined,
    };
  }

  async followUp(reporter: Reporter, conversationId: string, view: ConversationView, alreadySent: boolean): Promise<void> {
    const client = this.client as OpenHandsClient;
    this.acknowledged = true;
    this.prompt = buildFollowUp(this.cfg, this.ctx, this.work as WorkTarget);
    core.info(`Conversation ${conversationId} is still open: sending the new request to it instead of starting another`);
    await reporter.update(
      { conversationId, followUpText: this.prompt, followUp: alreadySent ? 'sent' : 'pending', status: 'pending', ...this.viewPatch(view) },
      { force: true },
    );
    reporter.writeOutputs();
    await this.ensureRunning(reporter, conversationId, view);
    let after: EventMark | undefined;
    if (!alreadySent) {
      after = await newestEvent(client, conversationId);
      await client.sendMessage(conversationId, this.prompt);
    }
    await reporter.update({ status: 'followed_up', followUp: 'sent' }, { force: true });
    this.reactLater('rocket');
    if (this.cfg.wait === 'finished') await this.waitFinished(reporter, conversationId, after);
  }

  async workTarget(owner: string, repo: string): Promise<WorkTarget> {
    const { cfg, ctx } = this;
    const sameRepo = cfg.repo.fullName.toLowerCase() === ctx.repository.toLowerCase();
    const s = ctx.subject;
    let headRef = s?.headRef;
    let headRepo = s?.headRepo;
    let baseRef = s?.baseRef;
    if (s?.isPullRequest && sameRepo && !headRef && this.octokit) {
      ({ headRef, headRepo, baseRef } = await getPullRequestRefs(this.octokit, owner, repo, s.number));
    }
    // No head repo (a deleted fork, or no token to look it up) is treated as a fork: the safe side.
    const fork = Boolean(s?.isPullRequest && (!headRepo || headRepo.toLowerCase() !== ctx.repository.toLowerCase()));
    const auto = !sameRepo
      ? undefined
      : s?.isPullRequest
        ? fork
          ? baseRef
          : headRef
        : (ctx.defaultBranch ?? ctx.refName);
    return {
      repo: cfg.repo.fullName,
      branch: cfg.branch ?? auto,
      ...(fork && s ? { fork: { headRepo: headRepo || 'a fork that no longer exists', headRef: headRef ?? '', prRef: `refs/pull/${s.number}/head` } } : {}),
    };
  }

  /** Sets where the comment goes and finds this key's sticky comment there. */
  async findSticky(owner: string, repo: string, issueNumber: number | undefined): Promise<StickyComment | undefined> {
    if (!this.cfg.comment || !this.octokit || issueNumber === undefined) return undefined;
    this.commentTarget = { owner, repo, issueNumber };
    return findStickyComment(this.octokit, this.commentTarget, this.key);
  }

  async trackingIssue(owner: string, repo: string): Promise<number | undefined> {
    if (!this.cfg.trackingLabel || !this.octokit || !this.cfg.comment) return undefined;
    return findTrackingIssue(this.octokit, owner, repo, this.cfg.trackingLabel, {
      create: !this.cfg.dryRun,
      title: `OpenHands: ${this.ctx.workflow}`,
      body: `Runs of the workflow **${this.ctx.workflow}** report their OpenHands conversations here.`,
    });
  }

  /** This run's conversation id: the same repo, run, comment-key and issue give the same id. */
  derivedConversationId(...extra: string[]): string {
    return conversationIdFor([this.work?.repo ?? '', this.ctx.runId, this.key, String(this.commentTarget?.issueNumber ?? ''), ...extra]);
  }

  /** Ends the run as skipped: outputs and summary, no comment. */
  skip(why: string, summary = `### OpenHands · ⏭️ Skipped\n\n${why}`): undefined {
    core.setOutput(OUTPUT.status, 'skipped');
    core.setOutput(OUTPUT.skipReason, why);
    void writeSummary(summary, (t) => this.secrets.redact(t));
    return undefined;
  }

  dryRun(reporter: Reporter, trigger: string, permission: string): undefined {
    const r = reporter.report;
    r.conversationId = this.derivedConversationId();
    r.status = 'pending';
    const comment = this.commentTarget
      ? `would ${this.sticky ? `edit comment ${this.sticky.id}` : 'create a comment'} on #${this.commentTarget.issueNumber}`
      : 'would post no comment';
    const body = this.secrets.redact(renderComment(r));
    const md = [
      '### OpenHands · 🧪 Dry run',
      `No OpenHands request was made and nothing was posted.`,
      `| | |\n|---|---|\n| Trigger | ${trigger} |\n| Permission | ${permission} |\n| Repository | ${this.work?.repo} |\n| Branch | ${this.work?.branch ?? '(default)'} |\n| Comment | ${comment} |`,
      `<details><summary>Prompt</summary>\n\n\`\`\`\`text\n${this.prompt}\n\`\`\`\`\n\n</details>`,
      `<details><summary>Comment</summary>\n\n\`\`\`\`markdown\n${body}\n\`\`\`\`\n\n</details>`,
    ].join('\n\n');
    core.info(`Dry run. Trigger: ${trigger}. Permission: ${permission}. Comment: ${comment}.`);
    core.info(`Prompt:\n${this.prompt}`);
    core.info(`Comment body:\n${body}`);
    this.skip('dry-run', md);
  }

  reactLater(content: Reaction): void {
    if (!this.octokit) return;
    react(this.octokit, this.ctx, content).catch((e: unknown) => core.debug(`No ${content} reaction: ${getErrorMessage(e)}`));
  }

  async setTitle(conversationId: string): Promise<void> {
    if (!this.cfg.title) return;
    // The start request's title is not applied by the service; set it once the conversation exists.
    await this.client?.setTitle(conversationId, this.cfg.title).catch((e: unknown) => core.warning(`Could not set the conversation title: ${getErrorMessage(e)}`));
  }
}

/** Still worth a follow-up: the sandbox lives, and the agent is working or finished recently. */
export function isAlive(v: ConversationView, now: number): boolean {
  if (!v.conversation || !['RUNNING', 'PAUSED', 'STARTING'].includes(v.sandboxStatus ?? '')) return false;
  const exec = v.executionStatus;
  if (exec === 'error' || exec === 'stuck' || exec === 'deleting') return false;
  if (exec === 'finished') {
    const updated = Date.parse(v.conversation.updated_at ?? '');
    return Number.isFinite(updated) && now - updated < FOLLOW_UP_WINDOW_MS;
  }
  return true;
}

/** How long a follow-up waits to see the agent start again before trusting an unchanged end state. */
export const FOLLOW_UP_SETTLE_MS = 90_000;

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

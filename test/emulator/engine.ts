// State and scenario engine: start tasks and sandboxes (lifecycle.ts), conversations and their runs (here).
// Time comes from util.now(); pushes (phase changes, agent steps, event batches) are timers in one Timers.
import { allEvents } from './events.ts';
import { Lifecycle, type EngineOptions } from './lifecycle.ts';
import { TERMINAL_EXECUTION, type Conversation, type Run, type Sandbox, type Task } from './model.ts';
import { conversationJson, sandboxJson, statsJson, taskJson } from './render.ts';
import { autoTitle, finalResponse, planRun, userMessage } from './runs.ts';
import type { ExecutionStatus, ExecutionStep, Json } from './types.ts';
import { dashed, now } from './util.ts';

export { DEFAULT_SCENARIO, START_PHASES, StartRejected, TERMINAL_EXECUTION, mergeScenario } from './model.ts';
export type { Conversation, Sandbox, Task } from './model.ts';
export type { EngineNotice, EngineOptions } from './lifecycle.ts';

export class Engine extends Lifecycle {
  constructor(opts: EngineOptions) {
    super(opts);
    // SetTitleCallbackProcessor ([api: titles]): on a delivered batch with a MessageEvent, copy the agent
    // server's title over the stored one, unconditionally, once (then the callback disables itself).
    this.events.onDelivery((conv, batch) => {
      if (conv.titleCopied || !conv.agentTitle || !batch.some((e) => e.kind === 'MessageEvent')) return;
      if (this.sandboxes.get(conv.sandboxId)?.status !== 'RUNNING') return; // it needs a live conversation_url
      conv.title = conv.agentTitle;
      conv.titleCopied = true;
      conv.updatedAt = now();
    });
  }

  // ---- conversations ------------------------------------------------------------------------

  protected createConversation(task: Task): void {
    const r = task.request;
    const at = now();
    const conv: Conversation = {
      id: task.conversationId,
      user: task.user,
      taskId: task.id,
      sandboxId: task.sandboxId ?? '',
      selectedRepository: r.selectedRepository,
      selectedBranch: r.selectedBranch,
      gitProvider: r.gitProvider,
      // request.title is never applied ([api: titles])
      title: `Conversation ${task.conversationId.slice(0, 5)}`,
      agentTitle: null,
      titleCopied: false,
      trigger: r.trigger,
      prNumber: [...r.prNumber],
      llmModel: r.llmModel ?? this.opts.llmModel,
      parentId: r.parentHex,
      subIds: [],
      public: r.public,
      createdAt: at,
      updatedAt: at,
      scenario: task.scenario,
      execStatus: 'idle',
      events: [],
      queued: [],
      flushTimer: null,
      lastMicros: 0,
      metrics: { cost: 0, prompt: 0, completion: 0 },
      perTurn: 0,
      runsEnded: 0,
      run: null,
      interrupted: false,
      failureTimer: null,
      stepCounter: 0,
    };
    this.conversations.set(conv.id, conv);
    if (conv.parentId) this.conversations.get(conv.parentId)?.subIds.push(conv.id);
    this.emit(conv, 'environment', 'ConversationStateUpdateEvent', {
      key: 'full_state',
      value: {
        id: dashed(conv.id),
        execution_status: 'idle',
        agent: { kind: 'Agent', llm: { model: conv.llmModel, usage_id: 'agent' }, tools: [{ name: 'terminal' }, { name: 'file_editor' }, { name: 'task_tracker' }] },
        workspace: { kind: 'LocalWorkspace', working_dir: '/workspace/project' },
        max_iterations: 500,
        stuck_detection: true,
        confirmation_policy: { kind: 'NeverConfirm' },
        activated_knowledge_skills: [],
        stats: { usage_to_metrics: {} },
      },
    });
    // Without an initial message the agent has nothing to do: the conversation stays idle.
    if (r.initialContent) {
      conv.agentTitle = autoTitle(conv, r.initialContent);
      userMessage(this.emit, conv, r.initialContent);
      this.startRun(conv, task.scenario.execution, task.scenario.finalMessage);
    }
    const failure = task.scenario.sandboxFailure;
    if (failure)
      conv.failureTimer = this.timers.set(() => {
        if (this.conversations.get(conv.id) === conv) this.failSandbox(conv.sandboxId, failure.status);
      }, failure.afterMs);
  }

  /** The agent server's title (auto-title or its own PATCH); what the app server copies ([api: titles]). */
  agentTitle(conversationId: string): string | null {
    return this.conversations.get(conversationId)?.agentTitle ?? null;
  }

  setAgentTitle(target: Conversation | string, title: string): boolean {
    const conv = typeof target === 'string' ? this.conversations.get(target) : target;
    if (!conv) return false;
    conv.agentTitle = title;
    return true;
  }

  /** POST /send-message after the status checks: append the user message, maybe start a new run. */
  sendMessage(conv: Conversation, content: Json[], run: boolean): void {
    userMessage(this.emit, conv, content);
    if (run) {
      this.cancelRun(conv);
      this.startRun(conv, conv.scenario.followUp.execution, conv.scenario.followUp.finalMessage);
    }
  }

  /**
   * When the agent's state lock is free (service time). `agent.step` holds it for a whole LLM call
   * plus tool run ([api: follow-ups], SDK local_conversation.py L1719-1726, L1819-1890): while the agent runs
   * with `stepMs`, the current step ends when the next dated step of the run is due. Adding a message and building
   * a socket's `full_state` snapshot ([api: agent-server]) both wait for it.
   */
  lockFreeAt(conv: Conversation): number {
    const run = conv.run;
    // Steps have a length only with `stepMs`; without it they are instants (and the lock is free).
    if (!run || run.waiting || conv.execStatus !== 'running' || !conv.scenario.stepMs) return now();
    return Math.max(now(), run.steps[0]?.due ?? now());
  }

  /** Waiters for the state lock, per conversation: run when the current step has ended. */
  private readonly lockWaiters = new Map<string, Array<() => void>>();

  /** Runs `fn` once the agent's current step has ended and its events are out (at once when nothing holds the lock). */
  afterLock(conv: Conversation, fn: () => void): void {
    if (this.lockFreeAt(conv) <= now()) return fn();
    const list = this.lockWaiters.get(conv.id) ?? [];
    list.push(fn);
    this.lockWaiters.set(conv.id, list);
  }

  private releaseLock(conv: Conversation): void {
    const list = this.lockWaiters.get(conv.id);
    if (!list) return;
    this.lockWaiters.delete(conv.id);
    for (const fn of list) fn();
  }

  /**
   * A person paused the conversation in the web app ([api: statuses]): the agent stops after its current
   * step, `execution_status` is `paused`, and nothing resumes it by itself. The sandbox runs on.
   */
  userPause(conv: Conversation): void {
    if (conv.execStatus === 'paused' || TERMINAL_EXECUTION.includes(conv.execStatus)) return;
    this.cancelRun(conv);
    this.setExec(conv, 'paused');
  }

  /**
   * The webhook subscriber is (re)attached (start, every resume): the agent server pushes it a
   * `full_state` snapshot, stored as an event ([api: events], AS conversation_service.py L2020-2045).
   */
  private storeSnapshot(conv: Conversation): void {
    this.emit(conv, 'environment', 'ConversationStateUpdateEvent', {
      key: 'full_state',
      value: { id: dashed(conv.id), execution_status: conv.execStatus, stats: statsJson(conv) },
    });
  }

  /** PATCH /app-conversations/{id}: the app-server row only ([api: titles]). */
  update(conv: Conversation, fields: Json): void {
    if (typeof fields.title === 'string') conv.title = fields.title;
    if ('public' in fields) conv.public = fields.public as boolean | null;
    if ('selected_repository' in fields) conv.selectedRepository = fields.selected_repository as string | null;
    if ('selected_branch' in fields) conv.selectedBranch = fields.selected_branch as string | null;
    if ('git_provider' in fields) conv.gitProvider = fields.git_provider as string | null;
    conv.updatedAt = now();
  }

  /** DELETE: the conversation, its sub-conversations, and the sandbox if no other conversation uses it. */
  deleteConversation(conv: Conversation): void {
    for (const sub of conv.subIds) {
      const c = this.conversations.get(sub);
      if (c) this.deleteConversation(c);
    }
    this.cancelRun(conv);
    this.events.discard(conv);
    this.timers.clear(conv.failureTimer);
    this.conversations.delete(conv.id);
    if (conv.parentId) {
      const parent = this.conversations.get(conv.parentId);
      if (parent) parent.subIds = parent.subIds.filter((s) => s !== conv.id);
    }
    const sb = this.sandboxes.get(conv.sandboxId);
    if (sb && this.convsOnSandbox(sb.id).length === 0) {
      this.timers.clear(sb.timer);
      this.setSandboxStatus(sb, 'MISSING');
      this.sandboxes.delete(sb.id);
    }
  }

  taskJson(task: Task): Json {
    return taskJson(task);
  }

  /**
   * `lookup`: rendered for an API answer, which asks the runtime API for the sandbox's status. When
   * that call fails, the service falls back to no runtime info, which reads as MISSING ([api: statuses],
   * RS L63-69, L211-229, L350-370): the sandbox itself is unchanged.
   */
  sandboxJson(sb: Sandbox, lookup = false): Json {
    return sandboxJson(this.looked(sb, lookup) ?? sb, this.agentUrl(sb.id));
  }

  conversationJson(conv: Conversation, lookup = false): Json {
    return conversationJson(conv, this.looked(this.sandboxes.get(conv.sandboxId), lookup), this.agentUrl(conv.sandboxId));
  }

  private looked(sb: Sandbox | undefined, lookup: boolean): Sandbox | undefined {
    if (!sb || !lookup || sb.status === 'MISSING' || !this.runtimeFails('lookup')) return sb;
    return { ...sb, status: 'MISSING' };
  }

  /** Every event as the agent server has it (no batching lag). */
  allEvents(conv: Conversation): Json[] {
    return allEvents(conv);
  }

  /** ConversationStats as the SDK sends it in a `stats` state update. */
  statsJson(conv: Conversation): Json {
    return statsJson(conv);
  }

  /** The agent server's get_agent_final_response: every event, no batching lag ([api: final-message], [api: events]). */
  finalResponse(conv: Conversation): string {
    return finalResponse(allEvents(conv));
  }

  // ---- runs ---------------------------------------------------------------------------------

  private readonly emit = (conv: Conversation, source: string, kind: string, fields: Json): Json => this.events.emit(conv, source, kind, fields);

  private setExec(conv: Conversation, status: ExecutionStatus): void {
    conv.execStatus = status;
    conv.updatedAt = now();
    this.emit(conv, 'environment', 'ConversationStateUpdateEvent', { key: 'execution_status', value: status });
    this.transition('execution', conv.taskId, conv.id, conv.sandboxId, status, now());
  }

  private startRun(conv: Conversation, execution: ExecutionStep[], message: string): void {
    const host = { emit: this.emit, setExec: (c: Conversation, s: ExecutionStatus) => this.setExec(c, s), endRun: (c: Conversation, s: ExecutionStatus) => this.endRun(c, s) };
    const run: Run = { steps: planRun(host, conv, execution, message, now(), conv.runsEnded === 0), timer: null, waiting: false };
    conv.run = run;
    if (this.sandboxes.get(conv.sandboxId)?.status === 'RUNNING') this.advance(conv, run);
    else run.waiting = true; // a message sent to a sandbox still starting: the run begins at RUNNING
  }

  private endRun(conv: Conversation, status: ExecutionStatus): void {
    conv.runsEnded++;
    conv.updatedAt = now();
    conv.run = null;
    this.releaseLock(conv);
    if (conv.scenario.sandboxAfterEnd === 'PAUSED' && TERMINAL_EXECUTION.includes(status)) this.pauseSandbox(conv.sandboxId);
  }

  /** Time jumps for one run: everything planned up to its next execution status happens now (a test
   * waits on what it saw, then moves the agent on, instead of racing a timeline). False: no such status. */
  advanceRun(conversationId: string): boolean {
    const conv = this.conversations.get(conversationId);
    const run = conv?.run;
    if (!conv || !run || run.waiting) return false;
    const next = run.steps.find((st) => st.status !== undefined);
    if (!next) return false;
    const shift = next.due - now();
    if (shift > 0) for (const st of run.steps) st.due -= shift;
    this.timers.clear(run.timer);
    this.advance(conv, run);
    return true;
  }

  /** Run every due step in order, then wait for the next one. */
  private advance(conv: Conversation, run: Run): void {
    run.timer = null;
    let ran = false;
    while (conv.run === run && !run.waiting && run.steps.length > 0) {
      const step = run.steps[0]!;
      const wait = step.due - now();
      if (wait > 0) {
        run.timer = this.timers.set(() => this.advance(conv, run), wait);
        // between two steps the lock is free for a moment: a waiting message or snapshot takes it
        // (only once a step has ended: a timer may fire a little before its step is due)
        if (ran) this.releaseLock(conv);
        return;
      }
      run.steps.shift();
      step.fn();
      ran = true;
    }
  }

  /** Paused: the agent server stops; a run in progress is lost, and `running` is remembered ([api: auto-pause]). */
  protected sandboxDown(conv: Conversation): void {
    if (conv.execStatus === 'running') conv.interrupted = true;
    if (conv.run && !conv.run.waiting) this.cancelRun(conv);
  }

  /**
   * RUNNING again: a conversation stopped while `running` turns to error (SDK event_service);
   * nothing resumes. The switch happens before the subscribers attach, so it is recorded only in
   * the `full_state` snapshot the webhook subscriber then gets ([api: events]), not as its own
   * `execution_status` update.
   */
  protected sandboxUp(conv: Conversation): void {
    if (conv.interrupted) {
      conv.interrupted = false;
      conv.execStatus = 'error';
      conv.updatedAt = now();
      this.transition('execution', conv.taskId, conv.id, conv.sandboxId, 'error', now());
    }
    this.storeSnapshot(conv);
    const run = conv.run;
    if (run?.waiting) {
      const shift = now() - (run.steps[0]?.due ?? now());
      for (const s of run.steps) s.due += Math.max(0, shift);
      run.waiting = false;
      this.advance(conv, run);
    }
  }

  protected cancelRun(conv: Conversation): void {
    if (conv.run) this.timers.clear(conv.run.timer);
    conv.run = null; // metrics reached so far stay
    this.releaseLock(conv);
  }

}

// Start tasks and sandboxes ([api: start-task], [api: rate-limits], [api: start], [api: auto-pause]): the first half of the engine; engine.ts adds
// conversations and runs. No HTTP here.
import { EventPipe } from './events.ts';
import { START_PHASES, StartRejected, type Conversation, type Sandbox, type Task } from './model.ts';
import { taskJson } from './render.ts';
import type { Json, SandboxStatus, Scenario, StartTaskStatus, Transition } from './types.ts';
import { base62, newHex, now, Timers } from './util.ts';
import type { StartRequest } from './validation.ts';

export interface EngineOptions {
  baseUrl: () => string;
  llmModel: string;
  /** [api: ids]: the client's conversation_id is ignored. */
  legacy?: boolean;
  /** [api: auto-pause], per user. */
  maxSandboxes?: number;
  /** The agent server's base URL, when it runs on its own port (agent-server.ts); else `{baseUrl}/runtime/{sandbox}`. */
  agentBaseUrl?: () => string;
}

/** What an agent-server emulator is told about: every event written, every sandbox status change. */
export type EngineNotice = { type: 'event'; conv: Conversation; json: Json } | { type: 'sandbox'; sandbox: Sandbox };

/** A call from the app server to the runtime API ([api: statuses], [api: pause-resume]). */
export type RuntimeOp = 'lookup' | 'pause' | 'resume';

export abstract class Lifecycle {
  readonly tasks = new Map<string, Task>();
  /** runtime-API calls that will fail ([api: statuses], [api: pause-resume]): each is consumed by one matching call */
  readonly runtimeFaults: { op: RuntimeOp | 'any'; left: number }[] = [];
  readonly conversations = new Map<string, Conversation>();
  readonly sandboxes = new Map<string, Sandbox>();
  readonly transitions: Transition[] = [];
  readonly timers = new Timers();
  /** Subscribe with events.onEvent (agent-server side) or events.onDelivery (app-server webhook). */
  readonly events = new EventPipe(this.timers);
  /** Notices for the agent-server emulator (events as written, sandbox changes). */
  readonly listeners = new Set<(notice: EngineNotice) => void>();
  protected readonly opts: EngineOptions;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.events.onEvent((conv, json) => this.notify({ type: 'event', conv, json }));
  }

  protected notify(notice: EngineNotice): void {
    for (const l of [...this.listeners]) l(notice);
  }

  /** READY: the conversation record and its first run. */
  protected abstract createConversation(task: Task): void;
  /** The sandbox under a conversation went RUNNING / PAUSED / ERROR or MISSING. */
  protected abstract sandboxUp(conv: Conversation): void;
  protected abstract sandboxDown(conv: Conversation): void;
  protected abstract cancelRun(conv: Conversation): void;

  /** The next `times` runtime-API calls of `op` fail (an httpx error, or the runtime answering without a status). */
  failRuntime(times = 1, op: RuntimeOp | 'any' = 'any'): void {
    this.runtimeFaults.push({ op, left: times });
  }

  /** Whether this runtime-API call fails (consumes one matching fault). */
  runtimeFails(op: RuntimeOp): boolean {
    const i = this.runtimeFaults.findIndex((f) => f.op === op || f.op === 'any');
    if (i < 0) return false;
    const f = this.runtimeFaults[i]!;
    if (--f.left <= 0) this.runtimeFaults.splice(i, 1);
    return true;
  }

  reset(): void {
    this.runtimeFaults.length = 0;
    this.timers.clearAll();
    this.tasks.clear();
    this.conversations.clear();
    this.sandboxes.clear();
    this.transitions.length = 0;
  }

  dispose(): void {
    this.timers.clearAll();
  }

  agentUrl(sandboxId: string): string {
    if (this.opts.agentBaseUrl) return this.opts.agentBaseUrl();
    return `${this.opts.baseUrl()}/runtime/${sandboxId}`;
  }

  // ---- start tasks --------------------------------------------------------------------------

  /** Only a client-chosen id can collide; what the service does then is not verified ([api: errors]). */
  isDuplicate(request: StartRequest): boolean {
    const hex = this.opts.legacy ? null : request.conversationHex;
    if (!hex) return false;
    return this.conversations.has(hex) || [...this.tasks.values()].some((t) => t.conversationId === hex);
  }

  startTask(user: string, request: StartRequest, scenario: Scenario): Task {
    // Errors raised before the first yield propagate out of the POST as 500 ([api: start]).
    if (request.parentHex && this.conversations.get(request.parentHex)?.user !== user)
      throw new StartRejected(`Parent conversation not found: ${request.parentHex}`);
    if (request.hasSuggestedTask && request.initialContent) throw new StartRejected('suggested_task cannot be combined with initial_message');
    const at = now();
    const task: Task = {
      id: newHex(),
      user,
      status: 'WORKING',
      detail: null,
      conversationId: (this.opts.legacy ? null : request.conversationHex) ?? newHex(),
      appConversationId: null,
      sandboxId: null,
      agentServerUrl: null,
      request,
      createdAt: at,
      updatedAt: at,
      scenario,
      timer: null,
      cancelled: false,
      listeners: new Set(),
    };
    this.tasks.set(task.id, task);
    this.transition('start-task', task.id, task.conversationId, null, 'WORKING', at);
    // [api: start-task]: start_sandbox (or resume_sandbox) runs in the WORKING phase, and its first act is
    // pause_old_sandboxes ([api: auto-pause]): a start pauses the oldest RUNNING sandboxes before it reports
    // WAITING_FOR_SANDBOX. A start on an existing RUNNING sandbox starts nothing, so sweeps nothing.
    const wanted = request.sandboxId ? this.sandboxes.get(request.sandboxId) : undefined;
    if (!request.sandboxId || wanted?.status === 'PAUSED') this.pauseOldSandboxes(user);
    this.scheduleLeave(task);
    return task;
  }

  /**
   * stream-start's client went away ([api: start]): the start generator is cancelled. The task stays at its
   * status for good; a sandbox already asked for goes on starting and then runs (it is the runtime's).
   */
  cancelStart(task: Task): void {
    if (task.cancelled || task.status === 'READY' || task.status === 'ERROR') return;
    this.timers.clear(task.timer);
    task.timer = null;
    task.cancelled = true;
    task.listeners.clear();
    const sb = task.sandboxId ? this.sandboxes.get(task.sandboxId) : undefined;
    if (sb?.status === 'STARTING')
      sb.timer = this.timers.set(() => {
        if (this.sandboxes.get(sb.id) === sb && sb.status === 'STARTING') this.setSandboxStatus(sb, 'RUNNING');
      }, this.phaseDuration(task));
  }

  private phaseDuration(task: Task): number {
    return task.scenario.phaseDurations?.[task.status] ?? task.scenario.phaseMs;
  }

  private scheduleLeave(task: Task): void {
    task.timer = this.timers.set(() => this.leavePhase(task), this.phaseDuration(task));
  }

  /** The current phase is over: go to the next one, or to ERROR. */
  private leavePhase(task: Task): void {
    if (this.tasks.get(task.id) !== task || task.cancelled) return;
    const phase = task.status;
    const next = START_PHASES[START_PHASES.indexOf(phase) + 1] ?? 'READY';
    const err = task.scenario.startError;
    if (phase === 'WAITING_FOR_SANDBOX' && task.request.sandboxId && !task.sandboxId)
      return this.setTaskStatus(task, 'ERROR', `Sandbox not found: ${task.request.sandboxId}`);
    if (err && (err.atPhase === phase || ((err.atPhase === 'READY' || err.atPhase === 'ERROR') && next === 'READY'))) {
      const sb = task.sandboxId ? this.sandboxes.get(task.sandboxId) : undefined;
      if (sb && phase === 'WAITING_FOR_SANDBOX') {
        sb.statusDetail = err.detail;
        this.setSandboxStatus(sb, 'ERROR');
      }
      return this.setTaskStatus(task, 'ERROR', err.detail);
    }
    this.setTaskStatus(task, next, null);
  }

  private setTaskStatus(task: Task, status: StartTaskStatus, detail: string | null): void {
    const at = now();
    if (status === 'WAITING_FOR_SANDBOX') this.acquireSandbox(task);
    if (status === 'PREPARING_REPOSITORY') {
      const sb = task.sandboxId ? this.sandboxes.get(task.sandboxId) : undefined;
      if (sb && sb.status === 'STARTING') this.setSandboxStatus(sb, 'RUNNING');
    }
    if (status === 'STARTING_CONVERSATION' && task.sandboxId) task.agentServerUrl = this.agentUrl(task.sandboxId);
    task.status = status;
    task.detail = detail;
    task.updatedAt = at;
    if (status === 'READY') {
      task.appConversationId = task.conversationId;
      this.createConversation(task);
    }
    this.transition('start-task', task.id, task.conversationId, task.sandboxId, status, at);
    const json = taskJson(task);
    for (const l of [...task.listeners]) l(json);
    if (status !== 'READY' && status !== 'ERROR') this.scheduleLeave(task);
  }

  private acquireSandbox(task: Task): void {
    const wanted = task.request.sandboxId;
    if (wanted) {
      const sb = this.sandboxes.get(wanted);
      if (!sb || sb.user !== task.user || sb.status === 'MISSING') return; // ERROR when the phase ends
      task.sandboxId = sb.id;
      if (sb.status === 'PAUSED') this.setSandboxStatus(sb, 'STARTING');
      return;
    }
    // A new sandbox takes the client's conversation hex as its id, else a random base62 id ([api: reading]).
    const id = (this.opts.legacy ? null : task.request.conversationHex) ?? base62(22);
    const sb: Sandbox = {
      id,
      user: task.user,
      status: 'STARTING',
      sessionApiKey: `sess_${base62(32)}`,
      createdAt: now(),
      statusDetail: null,
      resumeMs: task.scenario.resumeMs,
      timer: null,
      taskId: task.id,
      conversationId: task.conversationId,
    };
    this.sandboxes.set(id, sb);
    task.sandboxId = id;
    this.transition('sandbox', task.id, task.conversationId, id, 'STARTING', sb.createdAt);
    this.notify({ type: 'sandbox', sandbox: sb });
  }

  // ---- sandboxes ----------------------------------------------------------------------------

  /** pause_old_sandboxes(max - 1) before every start and resume ([api: auto-pause]): oldest RUNNING first. */
  private pauseOldSandboxes(user: string): void {
    const keep = (this.opts.maxSandboxes ?? 10) - 1;
    const running = [...this.sandboxes.values()].filter((s) => s.user === user && s.status === 'RUNNING').sort((a, b) => a.createdAt - b.createdAt);
    for (const sb of running.slice(0, Math.max(0, running.length - keep))) {
      this.timers.clear(sb.timer);
      this.setSandboxStatus(sb, 'PAUSED', 'max-sandboxes');
    }
  }

  protected setSandboxStatus(sb: Sandbox, status: SandboxStatus, cause?: Transition['cause']): void {
    if (sb.status === status) return;
    sb.status = status;
    this.transition('sandbox', sb.taskId, sb.conversationId, sb.id, status, now(), cause);
    this.notify({ type: 'sandbox', sandbox: sb });
    for (const conv of this.convsOnSandbox(sb.id)) {
      if (status === 'RUNNING') this.sandboxUp(conv);
      else if (status === 'PAUSED') this.sandboxDown(conv);
      else if (status !== 'STARTING') this.cancelRun(conv); // ERROR / MISSING: the agent is gone
    }
  }

  protected convsOnSandbox(id: string): Conversation[] {
    return [...this.conversations.values()].filter((c) => c.sandboxId === id);
  }

  /**
   * POST /sandboxes/{id}/pause. Unknown or MISSING: false (404). ERROR stays ERROR. A failing
   * runtime call is also false ([api: pause-resume]: any httpx error), and nothing changes.
   */
  pauseSandbox(id: string, via: 'api' | 'internal' = 'internal'): boolean {
    const sb = this.sandboxes.get(id);
    if (!sb || sb.status === 'MISSING') return false;
    if (via === 'api' && this.runtimeFails('pause')) return false;
    if (sb.status === 'ERROR') return true;
    this.timers.clear(sb.timer);
    this.setSandboxStatus(sb, 'PAUSED');
    return true;
  }

  /** POST /sandboxes/{id}/resume: first the auto-pause sweep, then PAUSED → STARTING → (resumeMs) → RUNNING. */
  resumeSandbox(id: string, via: 'api' | 'internal' = 'internal'): boolean {
    this.pauseOldSandboxes(this.sandboxes.get(id)?.user ?? '');
    const sb = this.sandboxes.get(id);
    if (!sb || sb.status === 'MISSING') return false;
    if (via === 'api' && this.runtimeFails('resume')) return false;
    if (sb.status !== 'PAUSED') return true;
    this.setSandboxStatus(sb, 'STARTING');
    sb.timer = this.timers.set(() => {
      if (this.sandboxes.get(sb.id) === sb && sb.status === 'STARTING') this.setSandboxStatus(sb, 'RUNNING');
    }, sb.resumeMs);
    return true;
  }

  failSandbox(id: string, status: 'ERROR' | 'MISSING'): boolean {
    const sb = this.sandboxes.get(id);
    if (!sb) return false;
    this.timers.clear(sb.timer);
    if (status === 'ERROR') sb.statusDetail = 'Sandbox status: SandboxStatus.ERROR';
    this.setSandboxStatus(sb, status);
    return true;
  }

  /**
   * Moves a conversation's updated_at `ms` into the past (tests of "finished long ago"); with
   * `started`, its creation and its sandbox's too (the whole conversation is that much older).
   */
  ageConversation(id: string, ms: number, opts: { started?: boolean } = {}): boolean {
    const conv = this.conversations.get(id);
    if (!conv) return false;
    conv.updatedAt -= ms;
    if (opts.started) {
      conv.createdAt -= ms;
      const sb = conv.sandboxId ? this.sandboxes.get(conv.sandboxId) : undefined;
      if (sb) sb.createdAt -= ms;
    }
    return true;
  }

  /** Moves a start task's created_at and updated_at `ms` into the past (a task that has not moved for that long). */
  ageTask(id: string, ms: number): boolean {
    const task = this.tasks.get(id);
    if (!task) return false;
    task.createdAt -= ms;
    task.updatedAt -= ms;
    return true;
  }

  protected transition(kind: Transition['kind'], taskId: string, conversationId: string, sandboxId: string | null, status: Transition['status'], at: number, cause?: Transition['cause']): void {
    this.transitions.push(cause ? { kind, taskId, conversationId, sandboxId, status, at, cause } : { kind, taskId, conversationId, sandboxId, status, at });
  }
}

// State and scenario engine: start tasks, sandboxes, conversations, events. No HTTP here.
// Time comes from util.now(); pushes (phase changes, execution steps) are timers kept in one Timers.
import { randomUUID } from 'node:crypto';
import type {
  ExecutionStatus,
  ExecutionStep,
  Json,
  SandboxStatus,
  Scenario,
  ScenarioInput,
  StartTaskStatus,
  Transition,
} from './types.ts';
import { contentText, type StartRequest } from './validation.ts';
import { base62, dashed, isoNaiveLocalMicros, isoUtc, newHex, now, Timers } from './util.ts';

export const START_PHASES: readonly StartTaskStatus[] = [
  'WORKING',
  'WAITING_FOR_SANDBOX',
  'PREPARING_REPOSITORY',
  'RUNNING_SETUP_SCRIPT',
  'SETTING_UP_GIT_HOOKS',
  'SETTING_UP_SKILLS',
  'STARTING_CONVERSATION',
  'READY',
];

export const TERMINAL_EXECUTION: readonly ExecutionStatus[] = ['finished', 'error', 'stuck'];

export const DEFAULT_SCENARIO: Scenario = {
  phaseMs: 30,
  execution: [
    { afterMs: 0, status: 'running' },
    { afterMs: 200, status: 'finished' },
  ],
  finalMessage: 'Done.',
  finalVia: 'finish',
  metrics: { cost: 0.0421, promptTokens: 12_000, completionTokens: 850 },
  prNumber: [],
  eventLagMs: 0,
  sandboxAfterEnd: 'RUNNING',
  followUp: {
    execution: [
      { afterMs: 0, status: 'running' },
      { afterMs: 200, status: 'finished' },
    ],
    finalMessage: 'Done (follow-up).',
  },
  resumeMs: 100,
};

export function mergeScenario(base: Scenario, partial: ScenarioInput | undefined): Scenario {
  if (!partial) return structuredClone(base);
  const { followUp, ...rest } = partial;
  const merged: Scenario = { ...structuredClone(base), ...structuredClone(rest) };
  merged.followUp = { ...base.followUp, ...structuredClone(followUp ?? {}) };
  return merged;
}

/** Raised by startTask for failures "before the first yield" (§2.1): the POST answers 500. */
export class StartRejected extends Error {}

export interface Task {
  id: string;
  user: string;
  status: StartTaskStatus;
  detail: string | null;
  conversationId: string;
  appConversationId: string | null;
  sandboxId: string | null;
  agentServerUrl: string | null;
  request: StartRequest;
  createdAt: number;
  updatedAt: number;
  scenario: Scenario;
  timer: ReturnType<typeof setTimeout> | null;
  /** Called with the rendered task on every status change (stream-start). */
  listeners: Set<(task: Json) => void>;
}

export interface Sandbox {
  id: string;
  user: string;
  status: SandboxStatus;
  sessionApiKey: string;
  createdAt: number;
  statusDetail: string | null;
  resumeMs: number;
  timer: ReturnType<typeof setTimeout> | null;
  taskId: string;
  conversationId: string;
}

interface StoredEvent {
  at: number;
  json: Json;
}

interface Step {
  due: number;
  fn: () => void;
}

interface Run {
  steps: Step[];
  timer: ReturnType<typeof setTimeout> | null;
  frozenAt: number | null;
}

interface MetricsAcc {
  cost: number;
  prompt: number;
  completion: number;
}

export interface Conversation {
  id: string;
  user: string;
  taskId: string;
  sandboxId: string;
  selectedRepository: string | null;
  selectedBranch: string | null;
  gitProvider: string | null;
  title: string;
  titleSet: boolean;
  trigger: string | null;
  prNumber: number[];
  llmModel: string;
  parentId: string | null;
  subIds: string[];
  public: boolean | null;
  createdAt: number;
  updatedAt: number;
  scenario: Scenario;
  execStatus: ExecutionStatus;
  events: StoredEvent[];
  lastMicros: number;
  /** Metrics of completed runs, plus the progress of the current one. */
  metricsDone: MetricsAcc;
  runProgress: { total: MetricsAcc; done: number; of: number } | null;
  runsEnded: number;
  run: Run | null;
  failureTimer: ReturnType<typeof setTimeout> | null;
  stepCounter: number;
  perTurn: number;
  /** The agent server's own title (PATCH on the agent server), which the auto-title copy uses (§14.3). */
  agentTitle: string | null;
}

/** What the agent-server emulator is told about (see agent-server.ts). */
export type EngineNotice = { type: 'event'; conv: Conversation; json: Json } | { type: 'sandbox'; sandbox: Sandbox };

const COMMANDS: Array<[string, string]> = [
  ['git status', 'On branch main\nnothing to commit, working tree clean'],
  ['ls -la', 'total 24\ndrwxr-xr-x  5 openhands openhands 4096 .\n-rw-r--r--  1 openhands openhands  812 README.md'],
  ['cat README.md', '# Project\n\nA small project.'],
  ['npm test', '> test\n> vitest run\n\n Test Files  3 passed (3)\n      Tests  12 passed (12)'],
];

export class Engine {
  readonly tasks = new Map<string, Task>();
  readonly conversations = new Map<string, Conversation>();
  readonly sandboxes = new Map<string, Sandbox>();
  readonly transitions: Transition[] = [];
  private readonly timers = new Timers();
  private readonly baseUrl: () => string;
  private readonly llmModel: string;
  // ---- agent-server hook (agent-server.ts): its URL, and a notice per stored event / sandbox change
  private readonly agentBaseUrl: (() => string) | undefined;
  readonly listeners = new Set<(notice: EngineNotice) => void>();

  constructor(opts: { baseUrl: () => string; llmModel: string; agentBaseUrl?: () => string }) {
    this.baseUrl = opts.baseUrl;
    this.llmModel = opts.llmModel;
    this.agentBaseUrl = opts.agentBaseUrl;
  }

  private notify(notice: EngineNotice): void {
    for (const l of [...this.listeners]) l(notice);
  }

  /** PATCH {agent_server}/api/conversations/{id} {title}: the title the app server's auto-title copy takes. */
  setAgentTitle(conv: Conversation, title: string): void {
    conv.agentTitle = title;
  }
  // ---- end of the agent-server hook

  reset(): void {
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
    if (this.agentBaseUrl) return this.agentBaseUrl();
    return `${this.baseUrl()}/runtime/${sandboxId}`;
  }

  // ---- start tasks --------------------------------------------------------------------------

  startTask(user: string, request: StartRequest, scenario: Scenario): Task {
    // Errors raised before the first yield propagate out of the POST as 500 (§2.1).
    if (request.parentHex && this.conversations.get(request.parentHex)?.user !== user)
      throw new StartRejected(`Parent conversation not found: ${request.parentHex}`);
    if (request.hasSuggestedTask && request.initialContent) throw new StartRejected('suggested_task cannot be combined with initial_message');
    const at = now();
    const task: Task = {
      id: newHex(),
      user,
      status: 'WORKING',
      detail: null,
      conversationId: request.conversationHex ?? newHex(),
      appConversationId: null,
      sandboxId: null,
      agentServerUrl: null,
      request,
      createdAt: at,
      updatedAt: at,
      scenario,
      timer: null,
      listeners: new Set(),
    };
    this.tasks.set(task.id, task);
    this.transition('start-task', task.id, task.conversationId, null, 'WORKING', at);
    this.scheduleLeave(task);
    return task;
  }

  private phaseDuration(task: Task): number {
    return task.scenario.phaseDurations?.[task.status] ?? task.scenario.phaseMs;
  }

  private scheduleLeave(task: Task): void {
    task.timer = this.timers.set(() => this.leavePhase(task), this.phaseDuration(task));
  }

  /** The current phase is over: go to the next one, or to ERROR. */
  private leavePhase(task: Task): void {
    if (this.tasks.get(task.id) !== task) return;
    const phase = task.status;
    const next = START_PHASES[START_PHASES.indexOf(phase) + 1] ?? 'READY';
    const err = task.scenario.startError;
    if (phase === 'WORKING' && this.isDuplicate(task)) {
      // Not specified (§2.3 says nothing): we assume the service fails after the first yield,
      // i.e. the task ends in ERROR rather than the POST failing or the conversation being clobbered.
      return this.setTaskStatus(task, 'ERROR', `Conversation already exists: ${task.conversationId}`);
    }
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

  private isDuplicate(task: Task): boolean {
    if (!task.request.conversationHex) return false;
    if (this.conversations.has(task.conversationId)) return true;
    for (const t of this.tasks.values())
      if (t !== task && t.conversationId === task.conversationId && t.status !== 'ERROR' && t.createdAt <= task.createdAt) return true;
    return false;
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
    const json = this.taskJson(task);
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
    const id = task.request.conversationHex ?? base62(22);
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
  }

  taskJson(task: Task): Json {
    return {
      id: task.id,
      created_by_user_id: task.user,
      status: task.status,
      detail: task.detail,
      app_conversation_id: task.appConversationId,
      sandbox_id: task.sandboxId,
      agent_server_url: task.agentServerUrl,
      request: task.request.echo,
      created_at: isoUtc(task.createdAt),
      updated_at: isoUtc(task.updatedAt),
    };
  }

  // ---- sandboxes ----------------------------------------------------------------------------

  private setSandboxStatus(sb: Sandbox, status: SandboxStatus): void {
    if (sb.status === status) return;
    sb.status = status;
    this.transition('sandbox', sb.taskId, sb.conversationId, sb.id, status, now());
    this.notify({ type: 'sandbox', sandbox: sb });
    for (const conv of this.convsOnSandbox(sb.id)) {
      if (status === 'RUNNING') this.thaw(conv);
      else if (status === 'PAUSED' || status === 'STARTING') this.freeze(conv);
      else this.cancelRun(conv); // ERROR / MISSING: the agent is gone
    }
  }

  private convsOnSandbox(id: string): Conversation[] {
    return [...this.conversations.values()].filter((c) => c.sandboxId === id);
  }

  /** POST /sandboxes/{id}/pause. Unknown or MISSING: false (404). ERROR stays ERROR. */
  pauseSandbox(id: string): boolean {
    const sb = this.sandboxes.get(id);
    if (!sb || sb.status === 'MISSING') return false;
    if (sb.status === 'ERROR') return true;
    this.timers.clear(sb.timer);
    this.setSandboxStatus(sb, 'PAUSED');
    return true;
  }

  /** POST /sandboxes/{id}/resume: PAUSED → STARTING → (resumeMs) → RUNNING. */
  resumeSandbox(id: string): boolean {
    const sb = this.sandboxes.get(id);
    if (!sb || sb.status === 'MISSING') return false;
    if (sb.status !== 'PAUSED') return true;
    this.setSandboxStatus(sb, 'STARTING');
    sb.timer = this.timers.set(() => {
      if (this.sandboxes.get(sb.id) === sb && sb.status === 'STARTING') this.setSandboxStatus(sb, 'RUNNING');
    }, sb.resumeMs);
    return true;
  }

  /** Moves a conversation's timestamps `ms` into the past (tests of "finished long ago"). */
  ageConversation(id: string, ms: number): boolean {
    const conv = this.conversations.get(id);
    if (!conv) return false;
    conv.updatedAt -= ms;
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

  sandboxJson(sb: Sandbox): Json {
    const running = sb.status === 'RUNNING';
    const url = this.agentUrl(sb.id);
    return {
      id: sb.id,
      created_by_user_id: sb.user,
      sandbox_spec_id: 'ghcr.io/openhands/agent-server:1.37.1-python',
      status: sb.status,
      session_api_key: running ? sb.sessionApiKey : null,
      exposed_urls: running
        ? [
            { name: 'AGENT_SERVER', url, port: 8000 },
            { name: 'VSCODE', url: `${url}/vscode`, port: 8001 },
          ]
        : null,
      created_at: isoUtc(sb.createdAt),
      status_detail: sb.statusDetail,
    };
  }

  // ---- conversations ------------------------------------------------------------------------

  private createConversation(task: Task): void {
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
      // request.title is not applied (§2.3)
      title: `Conversation ${task.conversationId.slice(0, 5)}`,
      titleSet: false,
      trigger: r.trigger,
      prNumber: [...r.prNumber],
      llmModel: r.llmModel ?? this.llmModel,
      parentId: r.parentHex,
      subIds: [],
      public: r.public,
      createdAt: at,
      updatedAt: at,
      scenario: task.scenario,
      execStatus: 'idle',
      events: [],
      lastMicros: 0,
      metricsDone: { cost: 0, prompt: 0, completion: 0 },
      runProgress: null,
      runsEnded: 0,
      run: null,
      failureTimer: null,
      stepCounter: 0,
      perTurn: 0,
      agentTitle: null,
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
      this.userMessage(conv, r.initialContent);
      this.startRun(conv, task.scenario.execution, task.scenario.finalMessage);
    }
    const failure = task.scenario.sandboxFailure;
    if (failure)
      conv.failureTimer = this.timers.set(() => {
        if (this.conversations.get(conv.id) === conv) this.failSandbox(conv.sandboxId, failure.status);
      }, failure.afterMs);
  }

  /** POST /send-message after the status checks: append the user message, maybe start a new run. */
  sendMessage(conv: Conversation, content: Json[], run: boolean): void {
    this.userMessage(conv, content);
    if (run) {
      this.cancelRun(conv);
      this.startRun(conv, conv.scenario.followUp.execution, conv.scenario.followUp.finalMessage);
    }
  }

  update(conv: Conversation, fields: Json): void {
    if (typeof fields.title === 'string') {
      conv.title = fields.title;
      conv.titleSet = true;
    }
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

  conversationJson(conv: Conversation): Json {
    const sb = this.sandboxes.get(conv.sandboxId);
    const sandboxStatus: SandboxStatus = sb?.status ?? 'MISSING';
    const running = sandboxStatus === 'RUNNING';
    const tags: Json = {};
    if (conv.selectedRepository) tags.repo_name = conv.selectedRepository;
    if (conv.gitProvider) tags.git_provider = conv.gitProvider;
    if (conv.selectedBranch) tags.selected_branch = conv.selectedBranch;
    return {
      id: conv.id,
      created_by_user_id: conv.user,
      sandbox_id: conv.sandboxId,
      selected_repository: conv.selectedRepository,
      selected_branch: conv.selectedBranch,
      git_provider: conv.gitProvider,
      title: conv.title,
      trigger: conv.trigger,
      pr_number: conv.prNumber,
      llm_model: conv.llmModel,
      agent_kind: 'openhands',
      metrics: this.metricsJson(conv),
      parent_conversation_id: conv.parentId,
      sub_conversation_ids: conv.subIds,
      public: conv.public,
      tags,
      created_at: isoUtc(conv.createdAt),
      updated_at: isoUtc(conv.updatedAt),
      sandbox_status: sandboxStatus,
      // live fields: only when the sandbox is RUNNING (§5)
      execution_status: running ? conv.execStatus : null,
      conversation_url: running ? `${this.agentUrl(conv.sandboxId)}/api/conversations/${conv.id}` : null,
      session_api_key: running && sb ? sb.sessionApiKey : null,
      acp_server: null,
      launched_agent_profile: null,
    };
  }

  /** ConversationStats as the SDK sends it (snapshot form): one MetricsSnapshot per LLM usage id. */
  statsJson(conv: Conversation): Json {
    const m = this.metricsJson(conv);
    return { usage_to_metrics: m ? { agent: m } : {} };
  }

  private metricsJson(conv: Conversation): Json | null {
    if (!conv.scenario.metrics) return null;
    const m = { ...conv.metricsDone };
    const p = conv.runProgress;
    if (p && p.of > 0) {
      m.cost += (p.total.cost * p.done) / p.of;
      m.prompt += Math.round((p.total.prompt * p.done) / p.of);
      m.completion += Math.round((p.total.completion * p.done) / p.of);
    }
    return {
      model_name: conv.llmModel,
      accumulated_cost: Math.round(m.cost * 1e6) / 1e6,
      max_budget_per_task: null,
      accumulated_token_usage: {
        model: conv.llmModel,
        prompt_tokens: m.prompt,
        completion_tokens: m.completion,
        cache_read_tokens: Math.round(m.prompt * 0.6),
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        context_window: 200_000,
        per_turn_token: conv.perTurn,
        response_id: '',
      },
    };
  }

  // ---- events -------------------------------------------------------------------------------

  private emit(conv: Conversation, source: string, kind: string, fields: Json): Json {
    const at = now();
    const micros = Math.max(Math.floor(at * 1000), conv.lastMicros + 1);
    conv.lastMicros = micros;
    const json: Json = { id: randomUUID(), timestamp: isoNaiveLocalMicros(micros), source, parent_id: null, kind, ...fields };
    conv.events.push({ at, json });
    this.notify({ type: 'event', conv, json });
    return json;
  }

  /** Events the app server has received so far (eventLagMs emulates the webhook batching, §7.1). */
  visibleEvents(conv: Conversation): Json[] {
    const cutoff = now() - conv.scenario.eventLagMs;
    return conv.events.filter((e) => e.at <= cutoff).map((e) => e.json);
  }

  allEvents(conv: Conversation): Json[] {
    return conv.events.map((e) => e.json);
  }

  private userMessage(conv: Conversation, content: Json[]): void {
    this.emit(conv, 'user', 'MessageEvent', {
      llm_message: { role: 'user', content, tool_calls: null, reasoning_content: null, thinking_blocks: [], name: null, tool_call_id: null },
      llm_response_id: null,
      activated_skills: [],
      extended_content: [],
      sender: null,
      critic_result: null,
    });
  }

  private agentAction(conv: Conversation, toolName: string, action: Json, thought: string, args: Json): Json {
    const callId = `toolu_${base62(24)}`;
    return this.emit(conv, 'agent', 'ActionEvent', {
      thought: thought ? [{ type: 'text', text: thought, cache_prompt: false }] : [],
      reasoning_content: null,
      thinking_blocks: [],
      action,
      tool_name: toolName,
      tool_call_id: callId,
      tool_call: { id: callId, name: toolName, arguments: JSON.stringify(args), origin: 'completion' },
      llm_response_id: `chatcmpl-${base62(20)}`,
      security_risk: 'LOW',
      summary: null,
    });
  }

  private observation(conv: Conversation, action: Json, observation: Json): void {
    this.emit(conv, 'environment', 'ObservationEvent', {
      observation,
      action_id: action.id,
      tool_name: action.tool_name,
      tool_call_id: action.tool_call_id,
    });
  }

  private terminalPair(conv: Conversation): void {
    const [command, output] = COMMANDS[conv.stepCounter++ % COMMANDS.length]!;
    const action = this.agentAction(conv, 'terminal', { kind: 'ExecuteBashAction', command, is_input: false, timeout: null, reset: false }, `Let me run \`${command}\`.`, { command });
    this.observation(conv, action, {
      kind: 'ExecuteBashObservation',
      content: [{ type: 'text', text: output }],
      command,
      exit_code: 0,
      is_error: false,
      timeout: false,
      metadata: { exit_code: 0, pid: -1, working_dir: '/workspace/project', py_interpreter_path: null, prefix: '', suffix: '' },
    });
  }

  private finalMessage(conv: Conversation, message: string): void {
    if (conv.scenario.finalVia === 'finish') {
      const action = this.agentAction(conv, 'finish', { kind: 'FinishAction', message }, '', { message });
      this.observation(conv, action, { kind: 'FinishObservation', content: [{ type: 'text', text: message }], is_error: false });
    } else if (conv.scenario.finalVia === 'message') {
      this.emit(conv, 'agent', 'MessageEvent', {
        llm_message: { role: 'assistant', content: [{ type: 'text', text: message, cache_prompt: false }], tool_calls: null, reasoning_content: null, thinking_blocks: [], name: null, tool_call_id: null },
        llm_response_id: `chatcmpl-${base62(20)}`,
        activated_skills: [],
        extended_content: [],
        sender: null,
        critic_result: null,
      });
    }
  }

  /** The SDK's get_agent_final_response over all events (§7.3); used by the agent-server stand-in. */
  finalResponse(conv: Conversation): string {
    for (let i = conv.events.length - 1; i >= 0; i--) {
      const e = conv.events[i]!.json;
      if (e.source !== 'agent') continue;
      if (e.kind === 'ActionEvent' && e.tool_name === 'finish') {
        const a = e.action as Json | null;
        return a ? String(a.message ?? '') : '';
      }
      if (e.kind === 'MessageEvent') return contentText(((e.llm_message as Json).content as Json[]) ?? []);
    }
    return '';
  }

  // ---- execution runs -----------------------------------------------------------------------

  private setExec(conv: Conversation, status: ExecutionStatus): void {
    conv.execStatus = status;
    conv.updatedAt = now();
    this.emit(conv, 'environment', 'ConversationStateUpdateEvent', { key: 'execution_status', value: status });
    this.transition('execution', conv.taskId, conv.id, conv.sandboxId, status, now());
  }

  /** Build the steps of one run (statuses, tool pairs, final message) and start it. */
  private startRun(conv: Conversation, execution: ExecutionStep[], message: string): void {
    const start = now();
    const entries = [...execution].sort((a, b) => a.afterMs - b.afterMs);
    const steps: Step[] = [];
    let agentSteps = 0;
    const metricStep = (): void => {
      const p = conv.runProgress;
      if (!p) return;
      p.done++;
      conv.perTurn = Math.round((p.total.prompt + p.total.completion) / p.of);
      conv.updatedAt = now();
      // the SDK writes a state update for every field change, `stats` after each LLM call (§14.7)
      this.emit(conv, 'environment', 'ConversationStateUpdateEvent', { key: 'stats', value: this.statsJson(conv) });
    };
    let finalDone = false;
    entries.forEach((e, i) => {
      const t = start + e.afterMs;
      if (e.status === 'finished' && !finalDone && conv.scenario.finalVia !== 'none') {
        finalDone = true;
        agentSteps++;
        steps.push({
          due: t,
          fn: () => {
            this.finalMessage(conv, message);
            metricStep();
          },
        });
      }
      if (e.status === 'error')
        steps.push({ due: t, fn: () => void this.emit(conv, 'environment', 'ConversationErrorEvent', { code: 'AgentRunError', detail: 'The agent stopped because of an error.' }) });
      steps.push({ due: t, fn: () => this.setExec(conv, e.status) });
      if (e.status === 'running') {
        const next = entries[i + 1]?.afterMs ?? e.afterMs + 300;
        for (const k of [1, 2]) {
          agentSteps++;
          const fn = (): void => {
            this.terminalPair(conv);
            metricStep();
          };
          steps.push({ due: start + e.afterMs + ((next - e.afterMs) * k) / 3, fn });
        }
      }
    });
    const last = entries[entries.length - 1];
    if (last) steps.push({ due: start + last.afterMs, fn: () => this.endRun(conv, last.status) });
    const total = conv.scenario.metrics;
    conv.runProgress = total ? { total: { cost: total.cost, prompt: total.promptTokens, completion: total.completionTokens }, done: 0, of: Math.max(agentSteps, 1) } : null;
    conv.run = { steps, timer: null, frozenAt: null };
    const sb = this.sandboxes.get(conv.sandboxId);
    if (sb && sb.status !== 'RUNNING') conv.run.frozenAt = start;
    else this.advance(conv, conv.run);
  }

  private endRun(conv: Conversation, status: ExecutionStatus): void {
    if (conv.runProgress) {
      const t = conv.runProgress.total;
      conv.metricsDone = { cost: conv.metricsDone.cost + t.cost, prompt: conv.metricsDone.prompt + t.prompt, completion: conv.metricsDone.completion + t.completion };
      conv.runProgress = null;
    }
    if (conv.runsEnded++ === 0) {
      for (const n of conv.scenario.prNumber) if (!conv.prNumber.includes(n)) conv.prNumber.push(n);
      if (conv.agentTitle) conv.title = conv.agentTitle; // the copy is unconditional (§14.3)
      else if (conv.scenario.autoTitle && !conv.titleSet) conv.title = conv.scenario.autoTitle;
    }
    conv.updatedAt = now();
    conv.run = null;
    if (conv.scenario.sandboxAfterEnd === 'PAUSED' && TERMINAL_EXECUTION.includes(status)) this.pauseSandbox(conv.sandboxId);
  }

  /** Run every due step in order, then wait for the next one. */
  private advance(conv: Conversation, run: Run): void {
    run.timer = null;
    while (conv.run === run && run.frozenAt === null && run.steps.length > 0) {
      const step = run.steps[0]!;
      const wait = step.due - now();
      if (wait > 0) {
        run.timer = this.timers.set(() => this.advance(conv, run), wait);
        return;
      }
      run.steps.shift();
      step.fn();
    }
  }

  /** The sandbox stopped (paused): the agent stops where it is; remaining steps wait. */
  private freeze(conv: Conversation): void {
    const run = conv.run;
    if (!run || run.frozenAt !== null) return;
    this.timers.clear(run.timer);
    run.timer = null;
    run.frozenAt = now();
  }

  /** The sandbox is RUNNING again: remaining steps continue, shifted by the pause. */
  private thaw(conv: Conversation): void {
    const run = conv.run;
    if (!run || run.frozenAt === null) return;
    const shift = now() - run.frozenAt;
    for (const s of run.steps) s.due += shift;
    run.frozenAt = null;
    this.advance(conv, run);
  }

  private cancelRun(conv: Conversation): void {
    if (conv.run) this.timers.clear(conv.run.timer);
    conv.run = null;
    if (conv.runProgress) {
      // keep the metrics reached so far
      const p = conv.runProgress;
      conv.metricsDone.cost += (p.total.cost * p.done) / p.of;
      conv.metricsDone.prompt += Math.round((p.total.prompt * p.done) / p.of);
      conv.metricsDone.completion += Math.round((p.total.completion * p.done) / p.of);
      conv.runProgress = null;
    }
  }

  private transition(kind: Transition['kind'], taskId: string, conversationId: string, sandboxId: string | null, status: Transition['status'], at: number): void {
    this.transitions.push({ kind, taskId, conversationId, sandboxId, status, at });
  }
}

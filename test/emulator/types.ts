// Public types of the OpenHands Cloud emulator (see README.md in this folder).
// `[api: <name>]` names a section of docs/openhands-api.md (its `<a id="name">`).
import type { AgentServerEmulator, AgentServerOptions } from './agent-server.ts';

/** [api: start-task], in declaration order. READY and ERROR are terminal. */
export type StartTaskStatus =
  | 'WORKING'
  | 'WAITING_FOR_SANDBOX'
  | 'PREPARING_REPOSITORY'
  | 'RUNNING_SETUP_SCRIPT'
  | 'SETTING_UP_GIT_HOOKS'
  | 'SETTING_UP_SKILLS'
  | 'STARTING_CONVERSATION'
  | 'READY'
  | 'ERROR';

/** [api: statuses], lowercase. finished/error/stuck are terminal (is_terminal()). */
export type ExecutionStatus =
  | 'idle'
  | 'running'
  | 'paused'
  | 'waiting_for_confirmation'
  | 'finished'
  | 'error'
  | 'stuck'
  | 'deleting';

/** [api: statuses], uppercase. */
export type SandboxStatus = 'STARTING' | 'RUNNING' | 'PAUSED' | 'ERROR' | 'MISSING';

export interface ExecutionStep {
  /** Offset in ms from the start of the run (READY, or the send-message call for a follow-up). Not cumulative. */
  afterMs: number;
  status: ExecutionStatus;
}

export interface ScenarioMetrics {
  cost: number;
  promptTokens: number;
  completionTokens: number;
}

export interface FollowUp {
  execution: ExecutionStep[];
  finalMessage: string;
}

/** What one started conversation does. Every field has a fast default (see DEFAULT_SCENARIO in model.ts). */
export interface Scenario {
  /** Time spent in each start-task phase before the next one. */
  phaseMs: number;
  /** Per-phase overrides of phaseMs. */
  phaseDurations?: Partial<Record<StartTaskStatus, number>>;
  /** The task enters atPhase, stays there for its duration, then ends in ERROR with this detail
   * (atPhase 'READY' means: fail instead of becoming READY). */
  startError?: { atPhase: StartTaskStatus; detail: string };
  /** Execution statuses after READY. */
  execution: ExecutionStep[];
  finalMessage: string;
  /** How the final message is produced when the run reaches 'finished'. */
  finalVia: 'finish' | 'message' | 'none';
  /** Metrics added by each run (grow while running, complete at the end). null: `metrics` stays null. */
  metrics: ScenarioMetrics | null;
  /** @deprecated Ignored: the service never writes pr_number ([api: pr-number]). Kept so that old callers compile; use agentPr. */
  prNumber?: number[];
  /** The agent prints this PR URL, as real agents do: a `gh pr create` terminal observation at the end of the
   * first run, and the final message mentions it. Nothing records it ([api: pr-number]). */
  agentPr?: { url: string };
  /** Agent-server webhook batching ([api: events]): a batch is posted once this many events are queued... */
  eventBufferSize: number;
  /** ...or this long after the first queued event (real default 30 s; scaled down for tests). */
  eventFlushMs: number;
  /** Extra delay between a batch's flush and its visibility in the app-server event API. */
  eventLagMs: number;
  /** One agent step (LLM call: tool pair + `stats` state update) every stepMs while `running`.
   * Unset: two steps per `running` segment. A `running` entry that is last holds the agent working:
   * with stepMs, steps go on (at most 1000); without, two steps and then nothing until something else happens. */
  stepMs?: number;
  /** accumulated_cost added by each agent step; overrides the per-run `metrics.cost` split (a cost cap can be tested). */
  costPerStep?: number;
  /** PAUSED: the sandbox is paused right after the last (terminal) execution status. */
  sandboxAfterEnd: 'RUNNING' | 'PAUSED';
  /** After READY + afterMs the sandbox goes to this status; the agent stops. */
  sandboxFailure?: { afterMs: number; status: 'ERROR' | 'MISSING' };
  /** What a send-message run does. */
  followUp: FollowUp;
  /** Time a resumed sandbox spends in STARTING before RUNNING. */
  resumeMs: number;
  /** The agent server's auto-title ([api: titles]). Default: the first line of the first user message (at most 50 chars).
   * The app server copies it over the stored title once, on the first delivered batch holding a MessageEvent. */
  autoTitle?: string;
}

export type ScenarioInput = Partial<Omit<Scenario, 'followUp'>> & { followUp?: Partial<FollowUp> };

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  /** Per client IP, sliding window ([api: rate-limits] layer 1). Default { requests: 10, windowMs: 1000, delayMs: 1000 }:
   * above `requests` the request is delayed delayMs then served, above 2*requests it gets 429. */
  ip?: false | { requests?: number; windowMs?: number; delayMs?: number };
  /** Per user (API key), fixed windows ([api: rate-limits] layer 2). Default [{limit:10,windowMs:1000},{limit:100,windowMs:60000}]. */
  user?: false | WindowLimit[];
}

export interface EmulatorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Valid API keys (Bearer). Default ['test-key']. Each key is a distinct user. */
  apiKeys?: string[];
  /** Default scenario (merged onto the built-in defaults). */
  scenario?: ScenarioInput;
  /** false: POST /stream-start answers like an unknown route (405). Default true. */
  streamStart?: boolean;
  /** An older server ([api: ids]): ignores the client's conversation_id, events only at /api/v1/events/search,
   * no PATCH /app-conversations/{id}, no send-message. Default false. */
  legacy?: boolean;
  /** Per user: a sandbox start or resume first pauses the oldest RUNNING sandboxes beyond this ([api: auto-pause]). Default 10. */
  maxSandboxes?: number;
  /** false disables both layers. Default: on, with the real numbers. */
  rateLimits?: boolean | RateLimitOptions;
  /** LLM model reported on conversations and metrics. */
  llmModel?: string;
  /** Log one line per request to stderr. */
  log?: boolean;
  /** The agent server's socket limits (agent-server.ts). */
  agentServer?: AgentServerOptions;
  /** Service time runs this many times faster than real time (util.ts Clock): a 10-minute setup
   * script ([api: start-task]) takes 6 s at 100. Default 1. One scaled emulator per process at a time. */
  clockScale?: number;
  /** The app server's send-message proxy timeout ([api: follow-ups]), service ms. Default 30 000. */
  sendMessageTimeoutMs?: number;
}

interface FaultMatch {
  /** Case-insensitive HTTP method; any if absent. */
  method?: string;
  /** String: prefix of path+query. RegExp: tested against path+query. Any if absent. */
  path?: string | RegExp;
  /** How many matching requests consume this fault. Default 1; Infinity for always. */
  times?: number;
}

export type FaultAction =
  | { kind: 'status'; status: number; body?: unknown; contentType?: string; retryAfter?: number }
  | { kind: 'reset' }
  | { kind: 'reset-after' }
  | { kind: 'delay'; ms: number; when?: 'before' | 'after' }
  | { kind: 'hang' }
  | { kind: 'html' }
  | { kind: 'stream-break'; afterItems: number }
  | { kind: 'stream-stall'; afterItems: number }
  /** The server's key lookup fails ([api: errors]): a request with a credential gets 401 {"error": error}
   * (default "BearerTokenError"). With forMs, active for that long after addFault (times is then ignored). */
  | { kind: 'key-store'; forMs?: number; error?: string };

export type Fault = FaultMatch & FaultAction;

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when possible, else the raw string; null when empty. */
  body: unknown;
  /** Arrival, epoch ms with fraction (performance.timeOrigin + performance.now()). */
  at: number;
  /** Status sent, or null if none was sent (reset, hang, still pending). */
  status: number | null;
  /** When the answer was complete (or the socket destroyed), epoch ms with fraction. */
  doneAt: number | null;
  /** The fault applied, if any. */
  fault: FaultAction['kind'] | null;
}

export interface Transition {
  kind: 'start-task' | 'execution' | 'sandbox';
  taskId: string;
  /** 32-hex conversation id (known from the start, even before READY publishes it). */
  conversationId: string;
  sandboxId: string | null;
  status: StartTaskStatus | ExecutionStatus | SandboxStatus;
  /** epoch ms with fraction */
  at: number;
  /** Set when the service did it on its own: 'max-sandboxes' = auto-pause ([api: auto-pause]). */
  cause?: 'max-sandboxes';
}

export type Json = Record<string, unknown>;

export interface EmulatorState {
  tasks: Json[];
  conversations: Json[];
  sandboxes: Json[];
  events: Record<string, Json[]>;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  readonly url: string;
  readonly port: number;
  readonly apiKeys: string[];
  /** The sandboxes' agent server (conversation_url's host): HTTP + the events WebSocket. */
  readonly agentServer: AgentServerEmulator;
  readonly requests: RecordedRequest[];
  readonly transitions: Transition[];
  /** The next start (POST or stream-start) uses DEFAULT ⊕ partial; queued scenarios are used in order. */
  queueScenario(partial: ScenarioInput): void;
  /** Replace the default scenario by the built-in defaults ⊕ partial (not cumulative). */
  setDefaultScenario(partial: ScenarioInput): void;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Snapshots, rendered like the API renders them (tasks as AppConversationStartTask, etc.). */
  readonly tasks: Json[];
  readonly conversations: Json[];
  readonly sandboxes: Json[];
  /** Every sandbox session key ever issued, whatever the sandbox status (e.g. to check that none leaks). */
  sessionApiKeys(): string[];
  /** All events of a conversation, as the agent server has them (no batching, no lag). */
  events(conversationId: string): Json[];
  /** The events the app server has received so far (what its event search sees). */
  deliveredEvents(conversationId: string): Json[];
  state(): EmulatorState;
  /** The agent server's title (its auto-title, or what its own PATCH set): what the app server copies ([api: titles]). */
  agentTitle(conversationId: string): string | null;
  /** What the agent server's title PATCH does; false if the conversation is unknown. */
  setAgentTitle(conversationId: string, title: string): boolean;
  /** Someone (the user) paused it: same as POST /api/v1/sandboxes/{id}/pause; false if unknown. */
  pauseSandbox(id: string): boolean;
  resumeSandbox(id: string): boolean;
  /** Move a conversation's updated_at `ms` into the past; `started`: its creation and its sandbox's too. */
  ageConversation(id: string, ms: number, opts?: { started?: boolean }): boolean;
  /** The run's next planned execution status, and every step before it, happens now (its later steps move up
   * as much): tests move the agent on after seeing what they wait for. False if no status is left to reach. */
  advanceRun(conversationId: string): boolean;
  /** Move a start task's created_at and updated_at `ms` into the past (it has not moved for that long); false if unknown. */
  ageTask(id: string, ms: number): boolean;
  /** Put a sandbox in ERROR or MISSING now. */
  failSandbox(id: string, status: 'ERROR' | 'MISSING'): boolean;
  /** The next `times` runtime-API calls of `op` fail: a status lookup then reads MISSING ([api: statuses]),
   * a pause or resume answers 404 ([api: pause-resume]). `op` default 'any'. */
  failRuntime(times?: number, op?: 'lookup' | 'pause' | 'resume' | 'any'): void;
  /** Runtime-API failures still to be served. */
  runtimeFailuresLeft(): number;
  /** A person paused the conversation in the web app: `execution_status: paused` ([api: statuses]); false if unknown. */
  userPause(conversationId: string): boolean;
  /** The service clock (origin and scale, see EmulatorOptions.clockScale). */
  readonly clock: { readonly origin: number; readonly scale: number };
  /** Forget everything (state, requests, transitions, faults, queue, limiter counters); default scenario back to the options'. */
  reset(): void;
  close(): Promise<void>;
}

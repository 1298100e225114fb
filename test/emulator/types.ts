// Public types of the OpenHands Cloud emulator (see README.md in this folder).
// Section numbers (§n) refer to the OpenHands V1 API reference (shared/openhands-v1-api.md).
import type { AgentServerEmulator, AgentServerOptions } from './agent-server.ts';

/** §3, in declaration order. READY and ERROR are terminal. */
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

/** §6, lowercase. finished/error/stuck are terminal (is_terminal()). */
export type ExecutionStatus =
  | 'idle'
  | 'running'
  | 'paused'
  | 'waiting_for_confirmation'
  | 'finished'
  | 'error'
  | 'stuck'
  | 'deleting';

/** §6, uppercase. */
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

/** What one started conversation does. Every field has a fast default (see DEFAULT_SCENARIO in engine.ts). */
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
  /** PR numbers appended to the conversation's pr_number when the first run ends (the agent "opened a PR"). */
  prNumber: number[];
  /** Events are visible through the app-server event API only this long after they happen. */
  eventLagMs: number;
  /** PAUSED: the sandbox is paused right after the last (terminal) execution status. */
  sandboxAfterEnd: 'RUNNING' | 'PAUSED';
  /** After READY + afterMs the sandbox goes to this status; the agent stops. */
  sandboxFailure?: { afterMs: number; status: 'ERROR' | 'MISSING' };
  /** What a send-message run does. */
  followUp: FollowUp;
  /** Time a resumed sandbox spends in STARTING before RUNNING. */
  resumeMs: number;
  /** If set, the auto-title (SetTitleCallbackProcessor) that replaces "Conversation xxxxx" once the first run ends. */
  autoTitle?: string;
}

export type ScenarioInput = Partial<Omit<Scenario, 'followUp'>> & { followUp?: Partial<FollowUp> };

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  /** Per client IP, sliding window (§9 layer 1). Default { requests: 10, windowMs: 1000, delayMs: 1000 }:
   * above `requests` the request is delayed delayMs then served, above 2*requests it gets 429. */
  ip?: false | { requests?: number; windowMs?: number; delayMs?: number };
  /** Per user (API key), fixed windows (§9 layer 2). Default [{limit:10,windowMs:1000},{limit:100,windowMs:60000}]. */
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
  /** false: POST /stream-start answers like an unknown route. Default true. */
  streamStart?: boolean;
  /** false disables both layers. Default: on, with the real numbers. */
  rateLimits?: boolean | RateLimitOptions;
  /** Status for non-GET requests to unknown paths. Default 404 (see README: real Starlette probably says 405). */
  unknownMethodStatus?: 404 | 405;
  /** LLM model reported on conversations and metrics. */
  llmModel?: string;
  /** Log one line per request to stderr. */
  log?: boolean;
  /** The agent server's socket limits (agent-server.ts). */
  agentServer?: AgentServerOptions;
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
  | { kind: 'stream-stall'; afterItems: number };

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
  /** All events of a conversation (ignores eventLagMs). */
  events(conversationId: string): Json[];
  state(): EmulatorState;
  /** Same as POST /api/v1/sandboxes/{id}/pause; false if unknown. */
  pauseSandbox(id: string): boolean;
  resumeSandbox(id: string): boolean;
  /** Move a conversation's updated_at `ms` into the past. */
  ageConversation(id: string, ms: number): boolean;
  /** Put a sandbox in ERROR or MISSING now. */
  failSandbox(id: string, status: 'ERROR' | 'MISSING'): boolean;
  /** Forget everything (state, requests, transitions, faults, queue, limiter counters); default scenario back to the options'. */
  reset(): void;
  close(): Promise<void>;
}

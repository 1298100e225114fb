// The emulator's records (start tasks, sandboxes, conversations) and the built-in scenario defaults.
import type { ExecutionStatus, Json, SandboxStatus, Scenario, ScenarioInput, StartTaskStatus } from './types.ts';
import type { StartRequest } from './validation.ts';

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
  // [api: events]: the real agent server batches 5 events or 30 s; 100 ms keeps tests fast and the lag visible.
  eventBufferSize: 5,
  eventFlushMs: 100,
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

/** Raised by startTask for failures "before the first yield" ([api: start]): the POST answers 500. */
export class StartRejected extends Error {}

export type Timer = ReturnType<typeof setTimeout>;

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
  timer: Timer | null;
  /** The start was cancelled mid-way (stream-start client gone, [api: start]): the task never moves again. */
  cancelled: boolean;
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
  timer: Timer | null;
  taskId: string;
  conversationId: string;
}

export interface StoredEvent {
  /** When the agent server wrote it. */
  at: number;
  json: Json;
  /** When the app server received it (webhook batch, [api: events]); null while still queued. */
  deliveredAt: number | null;
}

export interface Step {
  due: number;
  fn: () => void;
  /** Set on the step that changes the execution status (advanceRun moves time up to it). */
  status?: ExecutionStatus;
}

export interface Run {
  steps: Step[];
  timer: Timer | null;
  /** Set while the sandbox is not RUNNING yet (a follow-up sent during a resume). */
  waiting: boolean;
}

export interface Conversation {
  id: string;
  user: string;
  taskId: string;
  sandboxId: string;
  selectedRepository: string | null;
  selectedBranch: string | null;
  gitProvider: string | null;
  /** The app server's stored title. */
  title: string;
  /** The agent server's title (auto-title, or set by the agent-server PATCH). */
  agentTitle: string | null;
  /** SetTitleCallbackProcessor is one-shot: it disables itself after the first copy ([api: titles]). */
  titleCopied: boolean;
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
  /** Written by the agent server, not yet posted to the app server. */
  queued: StoredEvent[];
  flushTimer: Timer | null;
  lastMicros: number;
  metrics: { cost: number; prompt: number; completion: number };
  perTurn: number;
  runsEnded: number;
  run: Run | null;
  /** The sandbox was paused while execution was `running`: on the next RUNNING the status turns to error ([api: auto-pause]). */
  interrupted: boolean;
  failureTimer: Timer | null;
  stepCounter: number;
}

/** Public names (the action's contract) and limits, in one place. */

export const INPUT = {
  prompt: 'prompt',
  promptFile: 'prompt-file',
  repo: 'repo',
  branch: 'branch',
  apiKey: 'api-key',
  baseUrl: 'base-url',
  githubToken: 'github-token',
  wait: 'wait',
  readyTimeout: 'ready-timeout',
  finishTimeout: 'finish-timeout',
  comment: 'comment',
  commentKey: 'comment-key',
  issueNumber: 'issue-number',
  title: 'title',
  llmModel: 'llm-model',
  onCancel: 'on-cancel',
  triggerPhrase: 'trigger-phrase',
  label: 'label',
  allowedBots: 'allowed-bots',
  followUp: 'follow-up',
  trackingLabel: 'tracking-label',
  dryRun: 'dry-run',
  trigger: 'trigger',
  untrusted: 'untrusted',
  onTimeout: 'on-timeout',
  maxCost: 'max-cost',
  checkRun: 'check-run',
  maxSandboxes: 'max-sandboxes',
  mode: 'mode',
  finalize: 'finalize',
  maxAttempts: 'max-attempts',
  stopLabel: 'stop-label',
  maxCost24h: 'max-cost-24h',
  maxCost24hScope: 'max-cost-24h-scope',
  maxRunsPerPerson: 'max-runs-per-person',
  maxRunsExempt: 'max-runs-exempt',
} as const;

export const OUTPUT = {
  conversationId: 'conversation-id',
  conversationUrl: 'conversation-url',
  status: 'status',
  startTaskId: 'start-task-id',
  startTaskStatus: 'start-task-status',
  sandboxStatus: 'sandbox-status',
  executionStatus: 'execution-status',
  finalMessage: 'final-message',
  cost: 'cost',
  tokens: 'tokens',
  commentId: 'comment-id',
  commentUrl: 'comment-url',
  skipReason: 'skip-reason',
  prNumber: 'pr-number',
  prUrl: 'pr-url',
  finalized: 'finalized',
  stillRunning: 'still-running',
} as const;

/** Saved by the main step for the post step (`core.saveState`). */
export const STATE = {
  isPost: 'isPost',
  comment: 'comment',
  finalWritten: 'finalWritten',
  /** GitHub refused the comment for good (403, 404, 422): the post step does not try (and warn) again */
  commentRefused: 'commentRefused',
  /** the check run the main step created and has not completed yet (owner, repo, id, link) */
  checkRun: 'checkRun',
} as const;

export const API_KEY_ENV = 'OPENHANDS_API_KEY';

/** GitHub rejects comment bodies above this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Hidden marker that lets later runs find the one comment of a comment-key. */
export const MARKER_PREFIX = '<!-- openhands-cloud-action';

/** Namespace for the name-based (v5) conversation ids this action derives. */
export const CONVERSATION_ID_NAMESPACE = '6f1d3c2e-8a4b-5c7d-9e0f-1a2b3c4d5e6f';

/**
 * ready-timeout's default: long enough for the start phases the service itself allows ([api: start-task]:
 * ~17 minutes with a 10-minute `.openhands/setup.sh`), so a repository with a real setup script
 * can start. A start that is lost is caught sooner, by its phase's own limit (start.ts).
 */
export const DEFAULT_READY_TIMEOUT = '20m';

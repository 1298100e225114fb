/** Reports in each status, as the run produces them: shared by the render tests and previews. */
import type { Report, RunStatus } from '../../src/report.ts';

export const CONV = 'ab'.repeat(16);

export function report(over: Partial<Report> = {}): Report {
  return {
    key: 'OpenHands/agent',
    status: 'pending',
    final: false,
    repo: 'o/r',
    serverUrl: 'https://github.com',
    baseUrl: 'https://app.example',
    runUrl: 'https://github.com/o/r/actions/runs/7',
    runId: '7',
    runAttempt: 1,
    startedAt: 1_000_000,
    updatedAt: 1_065_000,
    actor: 'alice',
    previous: [],
    ...over,
  };
}

const running = { conversationId: CONV, startTaskId: 'task-1', startTaskStatus: 'READY', sandboxId: 'sb-1', sandboxStatus: 'RUNNING' } as const;

/** One sample per status (the ones the run can end in with and without `final`). */
export const SAMPLES: Record<string, Report> = {
  pending: report(),
  starting: report({ status: 'started', conversationId: CONV, startTaskId: 'task-1', startTaskStatus: 'PREPARING_REPOSITORY', sandboxId: 'sb-1' }),
  'started (wait: none)': report({ status: 'started', final: true, conversationId: CONV, startTaskId: 'task-1', startTaskStatus: 'WORKING' }),
  'ready (following)': report({ status: 'ready', ...running, executionStatus: 'running', cost: 0.12, tokens: 4321, maxCost: 2 }),
  'ready (wait: ready)': report({ status: 'ready', final: true, ...running }),
  'finished with PR': report({
    status: 'finished',
    final: true,
    ...running,
    executionStatus: 'finished',
    updatedAt: 1_000_000 + 725_000,
    cost: 1.2345,
    tokens: 123_456,
    maxCost: 2.5,
    prNumbers: [12],
    agentPr: { number: 34, url: 'https://github.com/o/r/pull/34' },
    finalMessage: 'I fixed the off-by-one in `paginate()` and added a test.\n\nOpened o/r#34.',
  }),
  'finished without PR': report({ status: 'finished', final: true, ...running, executionStatus: 'finished', cost: 0.31, finalMessage: 'The answer is 42.' }),
  error: report({ status: 'error', final: true, conversationId: CONV, startTaskId: 'task-1', startTaskStatus: 'ERROR', error: 'OpenHands could not start the conversation: Sandbox not startable: sb-1' }),
  stuck: report({ status: 'stuck', final: true, ...running, executionStatus: 'stuck', error: 'The agent ended as stuck' }),
  waiting_for_confirmation: report({ status: 'waiting_for_confirmation', final: true, ...running, executionStatus: 'waiting_for_confirmation' }),
  'timed_out (paused)': report({ status: 'timed_out', final: true, ...running, sandboxStatus: 'PAUSED', executionStatus: 'running', error: 'The agent did not finish within 60m' }),
  'timed_out (left running)': report({ status: 'timed_out', final: true, ...running, executionStatus: 'running', error: 'The agent did not finish within 60m' }),
  cancelled: report({ status: 'cancelled', final: true, ...running, sandboxStatus: 'PAUSED', error: 'The job was cancelled while waiting; the sandbox was paused so it stops costing money (on-cancel: pause)' }),
  skipped: report({ status: 'skipped', final: true, skipReason: 'bob has read access; a run needs write, maintain or admin' }),
  followed_up: report({ status: 'followed_up', final: true, ...running, executionStatus: 'running', followUp: 'sent', followUpText: 'also fix the docs' }),
  awaiting_approval: report({ status: 'awaiting_approval', final: true, actor: 'mallory', approval: { held: { kind: 'issue_comment', id: 11, number: 1, author: 'mallory', digest: 'd', url: 'https://github.com/octo-org/octo-repo/issues/1#issuecomment-11', event: 'issue_comment created', heldAt: 0 } }, approvalHow: { label: 'openhands', phrase: '@openhands' } }),
  'finished (approved)': report({
    status: 'finished',
    final: true,
    ...running,
    executionStatus: 'finished',
    actor: 'carol',
    approval: { held: { kind: 'issue_comment', id: 11, number: 1, author: 'mallory', digest: 'd', url: 'https://github.com/octo-org/octo-repo/issues/1#issuecomment-11', event: 'issue_comment created', heldAt: 0 }, approvedBy: 'carol', approvedAt: 1 },
    finalMessage: 'Done.',
  }),
  'finished (long message, earlier runs)': report({
    status: 'finished',
    final: true,
    ...running,
    executionStatus: 'finished',
    runAttempt: 2,
    finalMessage: ['## Summary', '', ...Array.from({ length: 14 }, (_, i) => `- changed \`src/file${i}.ts\``), '', '```diff', '-old', '+new', '```'].join('\n'),
    previous: [
      { conversationId: 'cd'.repeat(16), status: 'finished', runUrl: 'https://github.com/o/r/actions/runs/5' },
      { conversationId: 'ef'.repeat(16), status: 'interrupted' },
    ],
  }),
  interrupted: report({
    status: 'interrupted',
    final: true,
    ...running,
    sandboxStatus: 'PAUSED',
    executionStatus: 'running',
    cost: 0.5,
    error: 'The sandbox turned PAUSED while the agent was running, without this workflow asking',
  }),
  over_budget: report({ status: 'over_budget', final: true, ...running, sandboxStatus: 'PAUSED', executionStatus: 'running', cost: 2.31, tokens: 250_000, maxCost: 2 }),
};

/** Every RunStatus; a Record so that a status added to the type fails the typecheck here. */
export const ALL_STATUSES: Record<RunStatus, true> = {
  pending: true,
  started: true,
  ready: true,
  finished: true,
  error: true,
  stuck: true,
  waiting_for_confirmation: true,
  timed_out: true,
  cancelled: true,
  skipped: true,
  followed_up: true,
  awaiting_approval: true,
  interrupted: true,
  over_budget: true,
};

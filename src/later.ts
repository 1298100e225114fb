/**
 * Everything a run needs once its look-ups are under way, in one module that main.ts loads with
 * `import()`: none of it is needed for the first request, so it stays off the cold start (the
 * bundler emits it as a separate chunk of dist/).
 */
export { OpenHandsClient } from './openhands/client.js';
export { Reporter } from './reporter.js';
export { FAILING } from './report.js';
export { act } from './steps/act/choose.js';
export { dryRunSummary } from './steps/dry-run.js';
export { OverBudgetError, waitFinished } from './steps/finish.js';
export { waitReady } from './steps/follow.js';
export { statusOf, stopSpending } from './steps/outcome.js';
export { renderSummary, writeSummary } from './summary.js';

/**
 * Everything a run needs after its look-ups, in one module that main.ts loads with
 * `import()`: none of it is needed for the first request, so it is not evaluated before it.
 * `webpackMode: "eager"` keeps it in the one dist/index.js: ncc minifies only the main file and
 * lists the licenses of the main file only.
 */
export { OpenHandsClient } from './openhands/client.js';
export { Reporter } from './reporter.js';
export { act } from './steps/act/choose.js';
export { agentPrOnGitHub } from './steps/agent-pr-github.js';
export { CheckRunStep } from './steps/check-run.js';
export { hold } from './steps/act/hold.js';
export { dryRunSummary } from './steps/dry-run.js';
export { waitFinished } from './steps/finish.js';
export { waitReady } from './steps/follow.js';
export { stopSpending } from './steps/pause.js';
export { STATUS } from './status.js';
export { renderSummary, writeSummary } from './summary.js';
export { finalize } from './finalize/run.js';
export { checkLimits } from './limits/check.js';
export { refuseOverLimit } from './limits/refuse.js';

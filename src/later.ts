/**
 * Everything a run needs after its look-ups, in one module that main.ts loads with
 * `import()`: none of it is needed for the first request, so it is not evaluated before it.
 * `webpackMode: "eager"` keeps it in the one dist/index.js: ncc minifies only the main file and
 * lists the licenses of the main file only.
 */
export { endRun } from './steps/end.js';
export { stopSpending } from './steps/pause.js';
export { work } from './steps/work.js';
export { finalize } from './finalize/run.js';
export { checkLimits } from './limits/check.js';
export { refuseOverLimit } from './limits/refuse.js';

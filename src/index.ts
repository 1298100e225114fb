/**
 * Entry point for both the main and the post step (action.yml runs this file twice; the saved
 * state tells which). The runner cancels a job with SIGINT, then SIGTERM: both abort the wait
 * so the run can write 'cancelled' and pause the sandbox within a few seconds.
 */
import * as core from '@actions/core';
import { STATE } from './constants.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!controller.signal.aborted) core.info(`Received ${signal}: cancelling`);
    controller.abort();
  });
}
process.on('unhandledRejection', (reason) => {
  core.setFailed(`Unexpected error: ${reason instanceof Error ? reason.message : String(reason)}`);
});

const isPost = core.getState(STATE.isPost) === 'true';
// Each step loads only its own code (the post step rarely has anything to do).
if (isPost) await (await import(/* webpackMode: "eager" */ './post.js')).runPost({ env: process.env });
else await (await import(/* webpackMode: "eager" */ './main.js')).run({ env: process.env, signal: controller.signal });
// Everything is reported; give stray work (a reaction in flight) a moment, but never hang the job.
setTimeout(() => process.exit(), 3000).unref();

/**
 * The main step as a `run()` with no arguments, for `@github/local-action` (`npm run
 * local-action`), which imports an entry point and calls its `run()`. The runner itself uses
 * src/index.ts; both hand the same deps to `run` in src/main.ts.
 */
import { run as runMain } from '../main.js';

export async function run(): Promise<void> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  try {
    await runMain({ env: process.env, signal: controller.signal });
  } finally {
    process.off('SIGINT', abort);
  }
}

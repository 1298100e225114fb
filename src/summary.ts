import * as core from '@actions/core';
import { getErrorMessage } from './errors.js';

/** Writes the job summary (redacted); where the runner offers none (local runs), only logs why. */
export async function writeSummary(markdown: string, redact: (text: string) => string): Promise<void> {
  try {
    await core.summary.addRaw(redact(markdown), true).write();
  } catch (error) {
    core.debug(`No job summary written: ${getErrorMessage(error)}`);
  }
}

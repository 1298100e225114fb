import * as core from '@actions/core';
import { getErrorMessage } from './errors.js';
import { renderReportMarkdown } from './render/markdown.js';
import type { Report } from './report.js';

/** The job summary: the comment's markdown, with "Run details" unfolded (read once, after the run). */
export function renderSummary(r: Report): string {
  const md = renderReportMarkdown(r, { detailsOpen: true });
  // The cross-run limits (src/limits/) are the job summary's: the comment is about the conversation.
  return r.limits ? `${md}\n\n${r.limits}` : md;
}

/** Writes the job summary (redacted); where the runner offers none (local runs), only logs why. */
export async function writeSummary(markdown: string, redact: (text: string) => string): Promise<void> {
  try {
    await core.summary.addRaw(redact(markdown), true).write();
  } catch (error) {
    core.debug(`No job summary written: ${getErrorMessage(error)}`);
  }
}

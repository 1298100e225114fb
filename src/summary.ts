import * as core from '@actions/core';
import { getErrorMessage } from './errors.js';
import { renderReportMarkdown } from './render/markdown.js';
import type { Report } from './report.js';

/** The job summary: the comment's markdown, with "Run details" unfolded (read once, after the run). */
export function renderSummary(r: Report): string {
  return renderReportMarkdown(r, { detailsOpen: true });
}

/** Writes the job summary (redacted); where the runner offers none (local runs), only logs why. */
export async function writeSummary(markdown: string, redact: (text: string) => string): Promise<void> {
  try {
    await core.summary.addRaw(redact(markdown), true).write();
  } catch (error) {
    core.debug(`No job summary written: ${getErrorMessage(error)}`);
  }
}

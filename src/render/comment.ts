/**
 * The sticky comment: the hidden marker (src/marker.ts), then the report markdown (markdown.ts).
 */
import { GITHUB_COMMENT_LIMIT } from '../constants.js';
import { markerLine } from '../marker.js';
import type { Report } from '../report.js';
import { renderReportMarkdown } from './markdown.js';

export { renderReportMarkdown };

export function renderComment(r: Report): string {
  const body = `${markerLine(r)}\n${renderReportMarkdown(r)}`;
  return body.length <= GITHUB_COMMENT_LIMIT ? body : body.slice(0, GITHUB_COMMENT_LIMIT);
}

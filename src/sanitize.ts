/**
 * Untrusted text (issue and PR titles and bodies, comments) as data for the agent: hidden
 * content stripped (what a reader cannot see, as reader.ts models GitHub's rendering), length
 * capped, and fenced so it cannot pass for instructions.
 */

import { readerView } from './reader.js';

const MAX_FIELD_CHARS = 12_000;

export function sanitizeUntrusted(text: string, max = MAX_FIELD_CHARS): string {
  let t = readerView(text).shown;
  t = t.replace(/\n{4,}/g, '\n\n\n').trim();
  if (t.length > max) t = `${t.slice(0, max)}\n[… truncated: ${t.length - max} more characters]`;
  return t;
}

/**
 * What a reader of the rendered text sees, for decisions (a mention, an approval): the prose
 * only, without markup, code, quotations or anything hidden (reader.ts).
 */
export function visibleText(text: string): string {
  return readerView(text).live;
}

/** A fenced block that the content cannot close: the fence is longer than any backtick run inside. */
export function fence(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${info}\n${text}\n${f}`;
}

/**
 * Untrusted text (issue and PR titles and bodies, comments) as data for the agent: hidden
 * content stripped, length capped, and fenced so it cannot pass for instructions.
 */

const MAX_FIELD_CHARS = 12_000;

// Zero-width, bidi controls, invisible separators, soft hyphen, Unicode tag characters (ASCII smuggling).
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;
// C0/C1 controls except tab and newline.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function sanitizeUntrusted(text: string, max = MAX_FIELD_CHARS): string {
  let t = text.replace(/\r\n?/g, '\n').normalize('NFC');
  t = t.replace(INVISIBLE, '').replace(CONTROLS, '');
  // HTML comments, also entity-encoded ones and an unterminated one at the end.
  t = t.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/&lt;!--[\s\S]*?(--&gt;|$)/gi, '');
  // Markdown image alt text and link titles are invisible when rendered.
  t = t.replace(/!\[[^\]]*\]/g, '![]'); // inline, reference and shortcut images alike
  t = t.replace(/(\]\(\s*<?[^)\s>]+>?)\s+("[^"]*"|'[^']*'|\([^)]*\))\s*\)/g, '$1)');
  t = t.replace(/^(\s*\[[^\]]+\]:\s*\S+)\s+("[^"]*"|'[^']*'|\([^)]*\))\s*$/gm, '$1');
  // Hidden HTML: attributes that never render, and elements marked hidden.
  t = t.replace(/<([a-z][\w-]*)\b[^>]*\bhidden\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');
  t = t.replace(/\s(?:alt|title|aria-label|aria-description|data-[\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
  t = t.replace(/\n{4,}/g, '\n\n\n').trim();
  if (t.length > max) t = `${t.slice(0, max)}\n[… truncated: ${t.length - max} more characters]`;
  return t;
}

/** A fenced block that the content cannot close: the fence is longer than any backtick run inside. */
export function fence(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${info}\n${text}\n${f}`;
}

/**
 * Untrusted text (issue and PR titles and bodies, comments) as data for the agent: hidden
 * content stripped, length capped, and fenced so it cannot pass for instructions. "Hidden" follows
 * what GitHub renders: its sanitizer keeps an allow-list of tags and attributes, unwraps other
 * tags, and drops the contents of script-like elements; attribute values never show as text.
 */

const MAX_FIELD_CHARS = 12_000;

// Zero-width, bidi controls, invisible separators, soft hyphen, Unicode tag characters (ASCII smuggling).
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;
// C0/C1 controls except tab and newline.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Elements whose contents never render (GitHub drops them, or the browser never shows them); unterminated ones run to the end. */
const CONTENTLESS = /<(script|style|template|noscript|iframe|svg|math|xmp|noembed|noframes|object|plaintext)\b[^<>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
/** An HTML start tag with its attributes (quoted values may hold `>`). */
const TAG = /<([a-z][a-z0-9-]*)((?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/gi;
const ATTR = /\s+([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?/g;
/** Attributes kept: the link and image targets. Every other value (alt, title, placeholder, value, aria-*, data-*…) is invisible. */
const KEPT_ATTRS = new Set(['href', 'src']);

export function sanitizeUntrusted(text: string, max = MAX_FIELD_CHARS): string {
  let t = text.replace(/\r\n?/g, '\n').normalize('NFC');
  t = t.replace(INVISIBLE, '').replace(CONTROLS, '');
  // HTML comments, also entity-encoded ones and an unterminated one at the end.
  t = t.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/&lt;!--[\s\S]*?(--&gt;|$)/gi, '');
  t = hideMarkup(t);
  t = t.replace(/\n{4,}/g, '\n\n\n').trim();
  if (t.length > max) t = `${t.slice(0, max)}\n[… truncated: ${t.length - max} more characters]`;
  return t;
}

/** Markdown and HTML that never render as text, removed; fenced code is shown as written, so it stays. */
function hideMarkup(text: string): string {
  return outsideCode(text, FENCED, (t) => {
    // Code spans are kept whole here (a `<script>` in one is text, and must not swallow the rest)…
    t = outsideCode(t, CODE, (u) =>
      u
        // Markdown image alt text and link titles are invisible when rendered.
        .replace(/!\[(?:[^\][]|\[[^\][]*\])*\]/g, '![]') // inline, reference and shortcut images alike
        .replace(/(\]\(\s*<?[^()\s<>]{1,2048}>?)\s+("[^"]*"|'[^']*'|\([^()]*\))\s*\)/g, '$1)')
        .replace(/^( {0,3}\[[^\]\n]+\]:[ \t]*\S+)[ \t]+("[^"]*"|'[^']*'|\([^()]*\))[ \t]*$/gm, '$1')
        // A definition's title may also start on the next line (and span lines): just as invisible.
        .replace(/^( {0,3}\[[^\]\n]+\]:[ \t]*\S+)[ \t]*\n[ \t]*("[^"]*"|'[^']*'|\([^()]*\))[ \t]*$/gm, '$1')
        .replace(CONTENTLESS, '')
        .replace(/<([a-z][\w-]*)\b[^<>]*\bhidden\b[^<>]*>[\s\S]*?<\/\1\s*>/gi, ''),
    );
    // …but attributes go everywhere: a tag that starts before a backtick wins over the code span.
    return t.replace(TAG, (_tag, name: string, attrs: string, slash: string) => {
      const kept = [...attrs.matchAll(ATTR)].filter((a) => KEPT_ATTRS.has((a[1] ?? '').toLowerCase()) && a[2] !== undefined);
      return `<${name}${kept.map((a) => ` ${a[1]}=${a[2]}`).join('')}${slash ? ' /' : ''}>`;
    });
  });
}

/** Fenced code blocks (``` or ~~~, to their closing line or the end). */
const FENCED = /(^ {0,3}```[\s\S]*?(?:^ {0,3}```[^\n]*$|(?![\s\S]))|^ {0,3}~~~[\s\S]*?(?:^ {0,3}~~~[^\n]*$|(?![\s\S])))/gm;
/** Fenced blocks and code spans. */
const CODE = new RegExp(`${FENCED.source.slice(0, -1)}|\`[^\`\n]*\`)`, 'gm');

/** Applies `fn` to the text outside `code` (a global regex with one capturing group), leaving the code as written. */
export function outsideCode(text: string, code: RegExp, fn: (t: string) => string): string {
  return text
    .split(code)
    .map((part, i) => (i % 2 === 1 ? part : fn(part)))
    .join('');
}

/**
 * What a reader of the rendered text sees: the sanitized text without markup that never shows
 * (tags, link targets, reference labels and definitions). For decisions, not for the prompt.
 */
export function visibleText(text: string): string {
  return outsideCode(sanitizeUntrusted(text, Infinity), CODE, (t) =>
    t
      .replace(/^ {0,3}\[[^\]\n]+\]:.*$/gm, '') // link reference definitions render as nothing
      .replace(/\]\[[^\][]*\]/g, ']') // the label of a full reference link
      .replace(/\]\((?:[^()\n]|\([^()\n]*\)){0,2048}\)/g, ']') // link and image targets
      .replace(TAG, ' ')
      .replace(/<\/[a-z][a-z0-9-]*\s*>/gi, ' '),
  );
}

/** A fenced block that the content cannot close: the fence is longer than any backtick run inside. */
export function fence(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${info}\n${text}\n${f}`;
}

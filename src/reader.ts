/**
 * What a reader of GitHub's rendered text sees: the one model behind the trigger gate, the
 * approval gate and the prompt. GitHub renders CommonMark and hands raw HTML (HTML blocks and
 * inline tags) to an HTML5 parser and its sanitizer. So the text is parsed the same way: the
 * markdown by micromark (CommonMark, with positions: code blocks nested in list items, block
 * quotes, link definitions), and the raw HTML by parse5's tokenizer, which recovers from
 * malformed tags exactly as a browser does. Nothing between a tag's `<` and `>` ever shows, so
 * nothing there is kept (a link's href and an image's src excepted, for the prompt).
 *
 * Both parsers are linear in the input; the few regular expressions here are too.
 */
import type { Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
// parse5's tokenizer alone: the package's entry point also brings its tree builder and
// serializer (about 85 KB more in dist), which this never uses; the module is the same.
import { Tokenizer, TokenizerMode } from '../node_modules/parse5/dist/tokenizer/index.js';

/** Unicode's Default_Ignorable_Code_Point set (zero-width and bidi controls, variation selectors, tag characters, fillers…): never visible. */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
/** C0/C1 controls except tab and newline. */
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Line ends normalised, invisible and control characters gone, NFC. */
export function normalizeUntrusted(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(IGNORABLE, '').replace(CONTROLS, '').normalize('NFC');
}

/** Elements whose contents never show: GitHub's sanitizer drops them, or a browser never renders them. */
const CONTENTLESS = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'svg', 'math', 'xmp', 'noembed', 'noframes', 'object', 'plaintext', 'head', 'title', 'select']);
/** How the HTML5 tree builder switches the tokenizer for these, so their end is found where a browser finds it. */
const TEXT_MODES: Readonly<Record<string, number>> = {
  script: TokenizerMode.SCRIPT_DATA,
  style: TokenizerMode.RAWTEXT,
  xmp: TokenizerMode.RAWTEXT,
  iframe: TokenizerMode.RAWTEXT,
  noembed: TokenizerMode.RAWTEXT,
  noframes: TokenizerMode.RAWTEXT,
  noscript: TokenizerMode.RAWTEXT,
  plaintext: TokenizerMode.PLAINTEXT,
};
/** Elements whose text is code or a quotation: shown (so in the prompt), but no request or approval. */
const QUOTE_OR_CODE = new Set(['code', 'pre', 'kbd', 'samp', 'tt', 'blockquote', 'q']);
/** Attributes kept in the prompt: link and image targets. Every other value (alt, title, placeholder, value, aria-*, data-*…) is invisible. */
const KEPT_ATTRS = new Set(['href', 'src']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr', 'param', 'keygen']);

/**
 * Block quotes nested deeper than any reader follows: the markers past the 32nd go (the text
 * stays quoted). Parsing is linear in the text times the nesting depth, so the depth is bounded.
 */
const DEEP_QUOTES = /^((?:[ \t]{0,3}>){32})(?:[ \t]{0,3}>)+/gm;

/** A range of the source replaced by `text` ('' removes it). */
interface Cut {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface ReaderView {
  /** the text with everything a reader cannot see removed, markdown kept as written: for the prompt */
  readonly shown: string;
  /** the visible prose only (no markup, code, or quotations), blocks on their own lines: for decisions */
  readonly live: string;
}

/** The reader's view of untrusted markdown (already normalised or not: it is normalised here). */
export function readerView(input: string): ReaderView {
  const src = normalizeUntrusted(input).replace(DEEP_QUOTES, '$1');
  // Emphasis is not parsed: it hides nothing, and its resolution is quadratic on `*a*a*a…`.
  const tree = fromMarkdown(src, { extensions: [{ disable: { null: ['attention'] } }] });
  const shown: Cut[] = [];
  const notLive: Cut[] = [];
  const htmlNodes: Nodes[] = [];
  const textNodes: Nodes[] = [];
  const used = new Set<string>();
  walk(tree, (n) => {
    if (n.type === 'html') htmlNodes.push(n);
    else if (n.type === 'text') textNodes.push(n);
    else if (n.type === 'linkReference' || n.type === 'imageReference') used.add(n.identifier);
  });
  htmlCuts(src, htmlNodes, shown, notLive);
  for (const n of textNodes) textTagCuts(src, n, shown);
  markdownCuts(src, tree, used, shown);
  // Entity-encoded comments: shown as text by GitHub, but nothing anyone means as a request.
  for (const m of src.matchAll(/&lt;!--[\s\S]*?(?:--&gt;|$)/gi)) shown.push({ start: m.index, end: m.index + m[0].length, text: '' });
  return { shown: apply(src, shown), live: liveText(src, tree, [...shown.map((c) => ({ ...c, text: c.text && ' ' })), ...notLive]) };
}

function walk(node: Nodes, fn: (n: Nodes) => void): void {
  fn(node);
  if ('children' in node) for (const c of node.children) walk(c, fn);
}

const span = (n: Nodes): [number, number] => [n.position?.start.offset ?? 0, n.position?.end.offset ?? 0];

/**
 * Raw HTML as the HTML5 parser sees it. The HTML nodes are tokenized as one stream (an element
 * opened in one and closed in another hides the markdown between), with everything else blanked
 * out. Tags become their kept form, comments and the contents of hidden elements go; a tag or
 * comment still open where its HTML ends may swallow what follows in the rendered page, so
 * everything from it on goes.
 */
function htmlCuts(src: string, nodes: readonly Nodes[], shown: Cut[], notLive: Cut[]): void {
  if (nodes.length === 0) return;
  const parts: string[] = [];
  const ranges: [number, number][] = [];
  let pos = 0;
  let dangling = Infinity;
  for (const n of nodes) {
    const [s, e] = span(n);
    const html = htmlSource(src.slice(s, e), n.type === 'html' ? n.value : '');
    if (html === undefined) {
      // The node's text does not line up with its source (tabs in a container): trust nothing from here.
      dangling = Math.min(dangling, s);
      break;
    }
    parts.push(blank(src.slice(pos, s)), html);
    ranges.push([s, e]);
    pos = e;
  }
  parts.push(blank(src.slice(pos)));
  const view = parts.join('');
  // Tokens come in source order, so the node a token starts in is found walking forward.
  let at = 0;
  const nodeEnd = (offset: number): number => {
    while (at < ranges.length && (ranges[at]?.[1] ?? 0) <= offset) at++;
    const r = ranges[at];
    return r && offset >= r[0] ? r[1] : offset;
  };

  /** Open hidden or quote/code elements: name, depth of same-name nesting, where the hiding starts. */
  let hidden: { name: string; depth: number; start: number } | undefined;
  let quoted: { name: string; depth: number; start: number } | undefined;
  let lastEnd = 0;
  const token = (t: { location: { startOffset: number; endOffset: number } | null }): [number, number] => [t.location?.startOffset ?? 0, t.location?.endOffset ?? 0];
  const seen = (s: number, e: number): void => {
    lastEnd = e;
    // A tag that runs past the end of its HTML node is open there in the rendered page.
    if (e > nodeEnd(s)) dangling = Math.min(dangling, s);
  };
  const tokenizer = new Tokenizer(
    { sourceCodeLocationInfo: true },
    {
      onStartTag(t) {
        const [s, e] = token(t);
        seen(s, e);
        const name = t.tagName;
        if (hidden) {
          if (name === hidden.name && !t.selfClosing) hidden.depth++;
        } else if (CONTENTLESS.has(name) || t.attrs.some((a) => a.name === 'hidden')) {
          if (!VOID.has(name) && !t.selfClosing) hidden = { name, depth: 1, start: s };
        } else {
          shown.push({ start: s, end: e, text: keptTag(t) });
          if (QUOTE_OR_CODE.has(name)) {
            if (!quoted) quoted = { name, depth: 1, start: s };
            else if (quoted.name === name) quoted.depth++;
          }
        }
        const mode = TEXT_MODES[name];
        if (mode !== undefined) tokenizer.state = mode as typeof tokenizer.state;
      },
      onEndTag(t) {
        const [s, e] = token(t);
        seen(s, e);
        const name = t.tagName;
        if (hidden) {
          if (name === hidden.name && --hidden.depth === 0) {
            shown.push({ start: hidden.start, end: e, text: '' });
            hidden = undefined;
          }
          return;
        }
        shown.push({ start: s, end: e, text: /^[a-z][a-z0-9-]*$/.test(name) ? `</${name}>` : '' });
        if (quoted?.name === name && --quoted.depth === 0) {
          notLive.push({ start: quoted.start, end: e, text: ' ' });
          quoted = undefined;
        }
      },
      onComment(t) {
        const [s, e] = token(t);
        seen(s, e);
        shown.push({ start: s, end: e, text: '' });
      },
      onDoctype(t) {
        const [s, e] = token(t);
        seen(s, e);
        shown.push({ start: s, end: e, text: '' });
      },
      onEof() {},
      onCharacter() {},
      onNullCharacter() {},
      onWhitespaceCharacter() {},
      onParseError(err) {
        if (!err.code.startsWith('eof-in-')) return;
        // The construct open at the end (a tag, a comment): it and all after it are unseen.
        const open = (tokenizer as unknown as { currentToken?: { location?: { startOffset: number } | null } | null }).currentToken;
        dangling = Math.min(dangling, open?.location?.startOffset ?? lastEnd);
      },
    },
  );
  tokenizer.write(view, true);
  if (hidden) shown.push({ start: hidden.start, end: src.length, text: '' });
  if (quoted) notLive.push({ start: quoted.start, end: src.length, text: ' ' });
  if (dangling < src.length) shown.push({ start: dangling, end: src.length, text: '' });
}

/** Only newlines kept: text outside raw HTML is escaped by the renderer, so it makes no tags. */
function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/**
 * An HTML node's source with the container prefixes (`> `, list indentation) of its later lines
 * blanked: the HTML5 parser never sees those. Undefined when the lines do not line up.
 */
function htmlSource(source: string, value: string): string | undefined {
  const lines = source.split('\n');
  const values = value.split('\n');
  if (lines.length !== values.length) return undefined;
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const v = values[i] ?? '';
    if (!line.endsWith(v)) return undefined;
    out.push(' '.repeat(line.length - v.length) + v);
  }
  return out.join('\n');
}

/** A tag as the prompt keeps it: its name, and only its href or src. */
function keptTag(t: { tagName: string; attrs: readonly { name: string; value: string }[]; selfClosing: boolean }): string {
  if (!/^[a-z][a-z0-9-]*$/.test(t.tagName)) return '';
  const attrs = t.attrs.filter((a) => KEPT_ATTRS.has(a.name)).map((a) => ` ${a.name}="${a.value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}"`);
  return `<${t.tagName}${attrs.join('')}${t.selfClosing ? ' /' : ''}>`;
}

/**
 * Markdown text is escaped by the renderer, so a tag in it shows as text. Still, nothing that a
 * browser would read as a tag (from `<` to its `>`, well-formed or not) counts or reaches the
 * prompt: such text is dropped. A `<` never closed stays (it is plain text).
 */
function textTagCuts(src: string, node: Nodes, shown: Cut[]): void {
  const [s, e] = span(node);
  const text = src.slice(s, e);
  if (!text.includes('<')) return;
  const cut = (t: { location: { startOffset: number; endOffset: number } | null }): void => {
    if (t.location) shown.push({ start: s + t.location.startOffset, end: s + t.location.endOffset, text: '' });
  };
  const tokenizer = new Tokenizer(
    { sourceCodeLocationInfo: true },
    {
      onStartTag: cut,
      onEndTag: cut,
      onComment: (t) => cut(t),
      onDoctype: (t) => cut(t),
      onEof() {},
      onCharacter() {},
      onNullCharacter() {},
      onWhitespaceCharacter() {},
    },
  );
  tokenizer.write(text, true);
}

/**
 * Markdown that renders as nothing: image alt text, link and definition titles, and link
 * reference definitions nothing refers to (their destinations show nowhere).
 */
function markdownCuts(src: string, tree: Root, used: ReadonlySet<string>, shown: Cut[]): void {
  walk(tree, (n) => {
    const [s, e] = span(n);
    if (n.type === 'definition') {
      shown.push({ start: s, end: e, text: used.has(n.identifier) ? `[${n.label ?? n.identifier}]: ${destination(n.url)}` : '' });
    } else if (n.type === 'image') {
      shown.push({ start: s, end: e, text: `![](${destination(n.url)})` });
    } else if (n.type === 'imageReference') {
      shown.push({ start: s, end: e, text: `![][${n.label ?? n.identifier}]` });
    } else if (n.type === 'link' && n.title !== null && n.title !== undefined) {
      // `[text](url "title")`: the title goes, the text stays as written.
      const last = n.children.at(-1);
      const close = last ? span(last)[1] : s + 1;
      const rest = src.slice(close, e);
      const at = rest.indexOf('](');
      if (at >= 0) shown.push({ start: close + at, end: e, text: `](${destination(n.url)})` });
      else shown.push({ start: close, end: e, text: '' });
    }
  });
}

/** A link destination that parses back as one (no spaces, no brackets that end it). */
function destination(url: string): string {
  return /[\s<>()]/.test(url) || url === '' ? `<${url.replace(/[<>\n]/g, (c) => encodeURIComponent(c))}>` : url;
}

/** The cuts in order, none overlapping: a cut that starts inside an earlier one is part of it. */
function disjoint(cuts: readonly Cut[]): Cut[] {
  const sorted = [...cuts].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Cut[] = [];
  for (const c of sorted) {
    const prev = out.at(-1);
    if (prev && c.start < prev.end) {
      if (c.end > prev.end) out[out.length - 1] = { ...prev, end: c.end };
      continue;
    }
    out.push(c);
  }
  return out;
}

/** The source with the cuts applied. */
function apply(src: string, cuts: readonly Cut[]): string {
  let out = '';
  let pos = 0;
  for (const c of disjoint(cuts)) {
    out += src.slice(pos, c.start) + c.text;
    pos = c.end;
  }
  return out + src.slice(pos);
}

/**
 * The prose a reader sees, for decisions: text and raw HTML's text only (never a link target,
 * definition or image), without code (fenced, indented, also inside list items, or in code
 * spans), block quotes, or HTML code and quotation elements. Each block on its own line.
 */
function liveText(src: string, tree: Root, cuts: readonly Cut[]): string {
  const sorted = disjoint(cuts);
  const out: string[] = [];
  // Leaves come in source order: cuts that end before one are behind every later one too.
  let first = 0;
  const leaf = (n: Nodes): string => {
    const [s, e] = span(n);
    while (first < sorted.length && (sorted[first]?.end ?? 0) <= s) first++;
    const inside: Cut[] = [];
    for (let i = first; i < sorted.length; i++) {
      const c = sorted[i] as Cut;
      if (c.start >= e) break;
      inside.push({ start: Math.max(c.start, s) - s, end: Math.min(c.end, e) - s, text: c.text });
    }
    return apply(src.slice(s, e), inside);
  };
  const inline = (n: Nodes): string => {
    switch (n.type) {
      case 'text':
      case 'html':
        return leaf(n);
      case 'break':
        return '\n';
      case 'inlineCode':
      case 'image':
      case 'imageReference':
        return ' ';
      default:
        return 'children' in n ? n.children.map(inline).join('') : '';
    }
  };
  const block = (n: Nodes): void => {
    switch (n.type) {
      case 'code':
      case 'blockquote':
      case 'definition':
      case 'thematicBreak':
        return;
      case 'html':
        out.push(leaf(n));
        return;
      case 'paragraph':
      case 'heading':
        out.push(n.children.map(inline).join(''));
        return;
      default:
        if ('children' in n) for (const c of n.children) block(c);
    }
  };
  block(tree);
  // The label of a reference that resolves to nothing shows, but asks nothing: `[a][@openhands go]`.
  return out.join('\n').replace(/\]\[[^\][\n]*\]/g, ']');
}

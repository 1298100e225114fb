/**
 * Linear-time matching (issue #15): every regular expression in src/, written as a literal or
 * built with `new RegExp`, is checked by recheck (a ReDoS checker, its pure-JS backend: no
 * network, no Java, no native binary) and must not be vulnerable. Pure analysis of each
 * pattern, no timing: a quadratic pattern fails however fast the machine is. Patterns are found
 * by parsing the sources, so a new one is checked without being listed here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Read at each call: only the pure-JS backend, whatever is installed.
process.env.RECHECK_SYNC_BACKEND = 'pure';
const { checkSync } = await import('recheck');

interface Found {
  readonly where: string;
  readonly source: string;
  readonly flags: string;
}

/** A stand-in for each `${…}` of a pattern built from a template: an escaped word (escapeRe of a phrase, a repository name, a number). */
const HOLE = 'openhands';

function patternsIn(file: string): Found[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const where = (n: ts.Node): string => `${path.relative(process.cwd(), file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const stringOf = (n: ts.Expression | undefined): string | undefined => {
    if (!n) return undefined;
    if (ts.isStringLiteralLike(n)) return n.text;
    if (ts.isTemplateExpression(n)) return n.head.text + n.templateSpans.map((s) => HOLE + s.literal.text).join('');
    return undefined;
  };
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const lit = n.getText();
      const end = lit.lastIndexOf('/');
      out.push({ where: where(n), source: lit.slice(1, end), flags: lit.slice(end + 1) });
    } else if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && n.expression.getText() === 'RegExp') {
      const source = stringOf(n.arguments?.[0]);
      // A pattern this test cannot read is a failure, not a pass: write it as a literal or a template.
      out.push({ where: where(n), source: source ?? `<unreadable: ${n.getText().slice(0, 80)}>`, flags: stringOf(n.arguments?.[1]) ?? '' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Checks of one pattern before it counts as vulnerable (see verdict). */
const TRIES = 3;

/**
 * The verdict, with the attack string recheck found when it is not safe. recheck confirms an
 * attack by running it against a time limit, so on a loaded machine a linear pattern can now and
 * then be reported once; a pattern counts as vulnerable only when every one of TRIES checks says
 * so (a quadratic one is reported every time).
 */
function verdict(p: Found): string {
  if (p.source.startsWith('<unreadable')) return `${p.where} ${p.source}`;
  let why = '';
  for (let i = 0; i < TRIES; i++) {
    const d = checkSync(p.source, p.flags, { timeout: 20_000 });
    if (d.status === 'safe') return 'safe';
    why = d.status === 'vulnerable' ? `${d.complexity.type}, attack ${d.attack.pattern.slice(0, 80)}` : `unknown: ${d.error.kind}`;
  }
  return `${p.where} /${p.source}/${p.flags}: ${why}`;
}

const all = sources(path.resolve('src')).flatMap(patternsIn);

describe('every regular expression in src/ matches in linear time', () => {
  it('finds the patterns (literals and new RegExp), including those that read untrusted text', () => {
    expect(all.length).toBeGreaterThan(100);
    for (const file of ['reader.ts', 'triggers.ts', 'approval.ts', 'redact.ts', 'prompt.ts', 'sanitize.ts', 'render/markdown.ts', 'marker.ts']) {
      expect(all.some((p) => p.where.startsWith(path.join('src', file) + ':')), file).toBe(true);
    }
    expect(all.filter((p) => p.where.startsWith(path.join('src', 'triggers.ts'))).map((p) => p.source)).toContain(`^${HOLE}[,:]?\\s+approved?[.!]*$`);
  });

  it('recheck finds none of them vulnerable (no exponential or polynomial backtracking)', { timeout: 240_000 }, () => {
    // One check per distinct pattern (a few are written in several places).
    const distinct = [...new Map(all.map((p) => [`/${p.source}/${p.flags}`, p])).values()];
    const bad = distinct.map(verdict).filter((v) => v !== 'safe');
    expect(bad).toEqual([]);
  });

  it('the checker fails a quadratic pattern: the approve-line matcher before it was split into lines', () => {
    // src/triggers.ts isApproval before de89755: `^\s*` and `\s*$` over every line, with the m flag.
    const old = verdict({ where: 'old', source: `^\\s*${HOLE}[,:]?\\s+approved?[.!]*\\s*$`, flags: 'im' });
    expect(old).toMatch(/polynomial/);
  });
});

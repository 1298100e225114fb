/** The workflows the README's quick start and docs/workflows.md show are the example files, verbatim, and pass actionlint. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentActionlint } from './actionlint.ts';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const exampleFiles = readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `examples/${f}`);

/** Where workflow snippets are shown: the README's quick start, and every section of docs/workflows.md. */
const SOURCES: readonly { readonly file: string; readonly sections?: readonly string[] }[] = [
  { file: 'README.md', sections: ['Quick start'] },
  { file: 'docs/workflows.md' },
];
const SECTIONS = ['Quick start', 'Examples'];

interface Snippet {
  readonly section: string;
  /** the example file linked last before the block, if any */
  readonly file: string | undefined;
  readonly yaml: string;
}

/** The ```yaml blocks of the given `## ` sections (all when none are given), each with the example file linked just before it. */
function readmeSnippets(markdown: string, sections?: readonly string[]): Snippet[] {
  const out: Snippet[] = [];
  for (const part of markdown.split(/^## /m)) {
    const section = part.slice(0, part.indexOf('\n'));
    if (sections && !sections.includes(section)) continue;
    const block = /^```yaml\n([\s\S]*?)^```$/gm;
    let from = 0;
    for (let m = block.exec(part); m; m = block.exec(part)) {
      const links = [...part.slice(from, m.index).matchAll(/\]\((?:\.\.\/)?(examples\/[\w-]+\.yml)\)/g)];
      out.push({ section, file: links.at(-1)?.[1], yaml: m[1] as string });
      from = m.index + m[0].length;
    }
  }
  return out;
}

/** What is wrong with the snippets: orphans, missing files, and text that differs from the file. */
function snippetProblems(snippets: readonly Snippet[], read: (file: string) => string | undefined): string[] {
  return snippets.flatMap((s, i) => {
    if (!s.file) return [`${s.section}: yaml block ${i + 1} names no examples/*.yml file before it`];
    const text = read(s.file);
    if (text === undefined) return [`${s.section}: ${s.file} does not exist`];
    return text === s.yaml ? [] : [`${s.section}: the snippet of ${s.file} differs from the file`];
  });
}

const readExample = (file: string): string | undefined =>
  existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8') : undefined;

describe('workflow snippets in the README and docs/workflows.md', async () => {
  const lint = currentActionlint();
  const snippets = SOURCES.flatMap((src) => readmeSnippets(read(src.file), src.sections).map((s) => ({ ...s, section: `${src.file} ${s.section}` })));

  it('finds the snippets (the quick start and every example)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(exampleFiles.length);
    expect(snippets.find((s) => s.section === 'README.md Quick start')?.file).toBe('examples/label.yml');
  });

  it('each snippet is its example file, verbatim', () => {
    expect(snippetProblems(snippets, readExample)).toEqual([]);
  });

  it('every example file is shown in the README or docs/workflows.md', () => {
    const shown = new Set(snippets.map((s) => s.file));
    expect(exampleFiles.filter((f) => !shown.has(f))).toEqual([]);
  });

  it.each(snippets.map((s, i) => [`${s.section} #${i + 1} (${s.file})`, s.yaml]))('%s passes actionlint', async (name, yaml) => {
    expect((await lint(yaml, name)).map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([]);
  });

  it('reports a drifted snippet, an orphan and a missing file (the check can fail)', () => {
    const md = [
      '## Examples',
      'See [examples/a.yml](../examples/a.yml):',
      '```yaml\non: push\n```',
      'And this:',
      '```yaml\non: pull_request\n```',
      '## Quick start',
      '[examples/gone.yml](examples/gone.yml)',
      '```yaml\non: push\n```',
      '## Other',
      '```yaml\nignored: true\n```',
      '',
    ].join('\n');
    const found = readmeSnippets(md, SECTIONS);
    expect(found.map((s) => s.file)).toEqual(['examples/a.yml', undefined, 'examples/gone.yml']);
    const files: Record<string, string> = { 'examples/a.yml': 'on: push\njobs: {}\n' };
    expect(snippetProblems(found, (f) => files[f])).toEqual([
      'Examples: the snippet of examples/a.yml differs from the file',
      'Examples: yaml block 2 names no examples/*.yml file before it',
      'Quick start: examples/gone.yml does not exist',
    ]);
  });
});

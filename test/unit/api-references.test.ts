// Every reference to the API notes in src/, test/ and scripts/ resolves inside the repository:
// `[api: name]` (and `docs/openhands-api.md#name`) name an `<a id="name">` of docs/openhands-api.md,
// and nothing (docs included) cites a section number of a document the repository does not have.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_ROOT } from '../e2e/harness.ts';

const NOTES = 'docs/openhands-api.md';

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(path.join(ACTION_ROOT, dir))) {
    const rel = path.join(dir, entry);
    if (statSync(path.join(ACTION_ROOT, rel)).isDirectory()) yield* sourceFiles(rel);
    else if (/\.(ts|md|js)$/.test(entry)) yield rel;
  }
}

const anchors = (): Set<string> => new Set([...readFileSync(path.join(ACTION_ROOT, NOTES), 'utf8').matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((m) => m[1]!));

/** Every API reference in `text`, and every citation that points outside the repository. */
function references(text: string): { readonly names: string[]; readonly outside: string[] } {
  // `[api: <name>]` is how the convention is explained, not a reference
  const names = [...text.matchAll(/\[api: ([^\]<]+)\]|openhands-api\.md#([a-z0-9-]+)/g)].map((m) => (m[1] ?? m[2])!);
  const outside = [...text.matchAll(/§\s?\d+(?:\.\d+)?|openhands-v1-api\.md/g)].map((m) => m[0]);
  return { names, outside };
}

describe('references to the API notes', () => {
  it('find names and outside citations (the check itself can fail)', () => {
    expect(references('a (§14.5) b [api: auto-pause] c docs/openhands-api.md#titles d shared/openhands-v1-api.md')).toEqual({
      names: ['auto-pause', 'titles'],
      outside: ['§14.5', 'openhands-v1-api.md'],
    });
  });

  it('every [api: name] in src/, test/ and scripts/ is an anchor of docs/openhands-api.md, and none points outside the repository', () => {
    const known = anchors();
    expect(known.size).toBeGreaterThan(10);
    const unresolved: string[] = [];
    const outside: string[] = [];
    let count = 0;
    for (const dir of ['src', 'test', 'scripts']) {
      for (const file of sourceFiles(dir)) {
        if (file === path.join('test', 'unit', 'api-references.test.ts')) continue; // its own examples
        const r = references(readFileSync(path.join(ACTION_ROOT, file), 'utf8'));
        count += r.names.length;
        for (const n of r.names) if (!known.has(n)) unresolved.push(`${file}: [api: ${n}]`);
        for (const o of r.outside) outside.push(`${file}: ${o}`);
      }
    }
    expect(count).toBeGreaterThan(100);
    expect(unresolved).toEqual([]);
    expect(outside).toEqual([]);
  });

  it('the docs cite no section of a document the repository does not have, and each anchor of the API notes is defined once', () => {
    const outside: string[] = [];
    for (const file of [...sourceFiles('docs'), 'README.md', 'CONTRIBUTING.md', 'action.yml']) {
      for (const o of references(readFileSync(path.join(ACTION_ROOT, file), 'utf8')).outside) outside.push(`${file}: ${o}`);
    }
    expect(outside).toEqual([]);
    const ids = [...readFileSync(path.join(ACTION_ROOT, NOTES), 'utf8').matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((m) => m[1]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

/** action.yml, the names in src/constants.ts and the README tables agree. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT, OUTPUT } from '../../src/constants.ts';
import { ACTION_ROOT, readActionYml } from '../e2e/harness.ts';

const yml = readActionYml();
const readme = readFileSync(path.join(ACTION_ROOT, 'README.md'), 'utf8');

/** Rows of the markdown table under a `## heading`: first cell (unquoted) → second cell. */
function table(heading: string): Map<string, string> {
  const section = (readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '').split('\n### ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\| `([\w-]+)` \| (.*?) \|/.exec(line);
    if (m) rows.set(m[1] as string, (m[2] as string).replace(/^`(.*)`$/, '$1'));
  }
  return rows;
}

describe('action metadata', () => {
  it('runs on node24 with dist/index.js for main and post', () => {
    expect(yml.runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js', 'post-if': 'always()' });
  });

  it('declares exactly the inputs and outputs the code reads and writes', () => {
    expect(Object.keys(yml.inputs).sort()).toEqual(Object.values(INPUT).sort());
    expect(Object.keys(yml.outputs).sort()).toEqual(Object.values(OUTPUT).sort());
  });

  it('every input and output has a description', () => {
    for (const [name, spec] of [...Object.entries(yml.inputs), ...Object.entries(yml.outputs)]) {
      expect(spec.description, name).toBeTruthy();
    }
  });

  it('the README lists every input with its action.yml default', () => {
    const rows = table('Inputs');
    expect([...rows.keys()].sort()).toEqual(Object.keys(yml.inputs).sort());
    for (const [name, spec] of Object.entries(yml.inputs)) {
      expect(rows.get(name), name).toBe(spec.default === '' ? "''" : spec.default);
    }
  });

  it('the README lists every output', () => {
    expect([...table('Outputs').keys()].sort()).toEqual(Object.keys(yml.outputs).sort());
  });
});

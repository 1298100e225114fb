/** action.yml, the names in src/constants.ts, the statuses in src/, and the README/docs tables agree. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT, OUTPUT } from '../../src/constants.ts';
import { STATUS, type RunStatus } from '../../src/status.ts';
import { ACTION_ROOT, readActionYml } from '../e2e/harness.ts';
import { generatedInputsPage, replaceBlock, type ActionSpec } from '../../scripts/docs.ts';

const yml = readActionYml();
const read = (file: string): string => readFileSync(path.join(ACTION_ROOT, file), 'utf8');
const readme = read('README.md');
const inputsPage = read('docs/inputs.md');

/** Rows of the markdown table under a `## heading`: first cell (unquoted) → the other cells. */
function table(markdown: string, heading: string): Map<string, string[]> {
  const section = (markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '').split('\n### ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\| `([\w-]+)` \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1] as string, (m[2] as string).split(' | ').map((c) => c.replace(/^`(.*)`$/, '$1')));
  }
  return rows;
}

/** The statuses a run can end with, from the RunStatus union in src/status.ts ('pending' is never final). */
function runStatuses(): string[] {
  const union = /export type RunStatus =([^;]*);/.exec(read('src/status.ts'))?.[1] ?? '';
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] as string).filter((s) => s !== 'pending');
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
});

describe('docs/inputs.md is generated from action.yml (npm run docs)', () => {
  it('its tables are what `npm run docs` writes from action.yml', () => {
    expect(generatedInputsPage(inputsPage, yml as unknown as ActionSpec), 'run `npm run docs`').toBe(inputsPage);
  });

  it('lists every input with its action.yml default, and every output', () => {
    const rows = table(inputsPage, 'Inputs');
    expect([...rows.keys()]).toEqual(Object.keys(yml.inputs));
    for (const [name, spec] of Object.entries(yml.inputs)) {
      expect(rows.get(name)?.[0], name).toBe(spec.default === '' ? "''" : spec.default);
    }
    expect([...table(inputsPage, 'Outputs').keys()]).toEqual(Object.keys(yml.outputs));
  });

  it('the check can fail: a drifted description or a lost marker is caught', () => {
    const drifted = inputsPage.replace(/\| `wait` \| `ready` \| [^\n]*/, '| `wait` | `ready` | old text |');
    expect(drifted).not.toBe(inputsPage);
    expect(generatedInputsPage(drifted, yml as unknown as ActionSpec)).not.toBe(drifted);
    expect(() => replaceBlock('no markers here', 'inputs', 'x')).toThrow(/markers/);
  });
});

describe('statuses', () => {
  const statuses = runStatuses();
  const readmeRows = table(readme, 'Statuses');

  it('the README status table lists every status a run can end with', () => {
    expect(statuses.length).toBeGreaterThan(10);
    expect([...readmeRows.keys()].sort()).toEqual([...statuses].sort());
  });

  it("the README's ❌ column is exactly the statuses that fail the step", () => {
    const failing = [...readmeRows].filter(([, cells]) => cells.at(-1) === '❌').map(([s]) => s);
    expect(failing.sort()).toEqual((Object.keys(STATUS) as RunStatus[]).filter((s) => STATUS[s].failing).sort());
  });

  it("action.yml's status output names every status", () => {
    const named = [...String(yml.outputs.status?.description).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect([...new Set(named)].sort()).toEqual([...statuses].sort());
  });
});

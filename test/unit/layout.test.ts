// CONTRIBUTING's "Layout" table matches the tree: every path it lists exists.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_ROOT } from '../e2e/harness.ts';

/** The paths in the first column of the `| path | what |` table: `src/steps/ready.ts`, `finish.ts` → src/steps/finish.ts. */
function layoutPaths(markdown: string): string[] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => /^\|\s*path\s*\|\s*what\s*\|/.test(l));
  if (at < 0) throw new Error('no "| path | what |" table');
  const paths: string[] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    const cell = line.split('|')[1] ?? '';
    let dir = '';
    for (const [, p] of cell.matchAll(/`([^`]+)`/g)) {
      // a bare name continues the directory of the path before it
      const full = p!.includes('/') ? p! : `${dir}${p!}`;
      if (p!.includes('/')) dir = p!.endsWith('/') ? p! : p!.slice(0, p!.lastIndexOf('/') + 1);
      paths.push(full);
    }
  }
  return paths;
}

describe("CONTRIBUTING's layout", () => {
  it('reads the paths of the table, a bare name continuing the directory before it', () => {
    expect(layoutPaths('| path | what |\n|---|---|\n| `src/steps/ready.ts`, `finish.ts` | x |\n| `test/` | y |\n\nafter')).toEqual(['src/steps/ready.ts', 'src/steps/finish.ts', 'test/']);
  });

  it('lists only paths that exist', () => {
    const paths = layoutPaths(readFileSync(path.join(ACTION_ROOT, 'CONTRIBUTING.md'), 'utf8'));
    expect(paths.length).toBeGreaterThan(15);
    expect(paths.filter((p) => !existsSync(path.join(ACTION_ROOT, p)))).toEqual([]);
  });
});

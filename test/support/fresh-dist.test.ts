// The test run's global setup rebuilds dist/ when the source is newer (test/support/fresh-dist.ts).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureFreshDist, staleInputs } from './fresh-dist.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throwaway project: src/a.ts, src/deep/b.ts, dist/index.js, and a build script that writes the bundle. */
function project(build = "require('fs').writeFileSync('dist/index.js', 'rebuilt')"): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fresh-dist-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
  mkdirSync(path.join(root, 'dist'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ scripts: { build: `node -e "${build}"` } }));
  writeFileSync(path.join(root, 'src', 'a.ts'), '');
  writeFileSync(path.join(root, 'src', 'deep', 'b.ts'), '');
  writeFileSync(path.join(root, 'dist', 'index.js'), 'old');
  const t = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  for (const f of ['package.json', 'src/a.ts', 'src/deep/b.ts']) utimesSync(path.join(root, f), t(0), t(0));
  utimesSync(path.join(root, 'dist', 'index.js'), t(10), t(10));
  return root;
}

const touch = (root: string, file: string): void => utimesSync(path.join(root, file), new Date(Date.UTC(2026, 0, 1, 0, 0, 20)), new Date(Date.UTC(2026, 0, 1, 0, 0, 20)));
const bundle = (root: string): string => readFileSync(path.join(root, 'dist', 'index.js'), 'utf8');

describe('fresh dist', () => {
  it('finds the sources newer than the bundle, at any depth, and all of them when there is no bundle', () => {
    const root = project();
    const entry = path.join(root, 'dist', 'index.js');
    expect(staleInputs(root, entry)).toEqual([]);
    touch(root, 'src/deep/b.ts');
    expect(staleInputs(root, entry)).toEqual([path.join('src', 'deep', 'b.ts')]);
    rmSync(entry);
    expect(staleInputs(root, entry).sort()).toEqual(['package.json', path.join('src', 'a.ts'), path.join('src', 'deep', 'b.ts')]);
  });

  it('leaves a fresh bundle alone and rebuilds a stale one', () => {
    const root = project();
    const log: string[] = [];
    expect(ensureFreshDist(root, (l) => log.push(l))).toBe('fresh');
    expect(bundle(root)).toBe('old');
    expect(log).toEqual([]);
    touch(root, 'src/a.ts');
    expect(ensureFreshDist(root, (l) => log.push(l))).toBe('rebuilt');
    expect(bundle(root)).toBe('rebuilt');
    expect(log).toEqual([`dist/index.js is older than ${path.join('src', 'a.ts')}: rebuilding (npm run build)`]);
  });

  it('fails the run with the build output when the build fails', () => {
    const root = project("console.error('TS2322: nope'); process.exit(2)");
    touch(root, 'src/a.ts');
    expect(() => ensureFreshDist(root, () => {})).toThrow(/npm run build failed \(exit 2\)[\s\S]*TS2322: nope/);
  });
});

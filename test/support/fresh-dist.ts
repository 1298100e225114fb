/**
 * The end-to-end tests run the built `dist/index.js`, so a test run after an edit of `src/` must
 * not test the old bundle. Vitest's global setup (vitest.config.ts) calls `ensureFreshDist()`
 * once per run: it rebuilds when any build input is newer than `dist/index.js`. `npm test` builds
 * first, so there the check finds nothing to do and the bundle is not built twice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ACTION_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the bundle is built from: the source tree and the files that steer tsc and ncc. */
export const BUILD_INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** Every file under `p` (or `p` itself), with its modification time. */
function* files(p: string): Generator<{ file: string; mtimeMs: number }> {
  if (!existsSync(p)) return;
  const st = statSync(p);
  if (!st.isDirectory()) {
    yield { file: p, mtimeMs: st.mtimeMs };
    return;
  }
  for (const entry of readdirSync(p)) yield* files(path.join(p, entry));
}

/** The build inputs newer than `entry` (all of them when it is missing), relative to `root`. */
export function staleInputs(root: string, entry: string, inputs: readonly string[] = BUILD_INPUTS): string[] {
  const built = existsSync(entry) ? statSync(entry).mtimeMs : -Infinity;
  const newer: string[] = [];
  for (const input of inputs) for (const f of files(path.join(root, input))) if (f.mtimeMs > built) newer.push(path.relative(root, f.file));
  return newer;
}

/** Rebuilds `dist/` (`npm run build`) when a build input is newer than the bundle; throws with the
 * build's output when the build fails, so no test runs against a bundle of other code. */
export function ensureFreshDist(root = ACTION_ROOT, log: (line: string) => void = (l) => console.log(l)): 'fresh' | 'rebuilt' {
  const entry = path.join(root, 'dist', 'index.js');
  const newer = staleInputs(root, entry);
  if (newer.length === 0) return 'fresh';
  const shown = newer.slice(0, 3).join(', ') + (newer.length > 3 ? ` and ${newer.length - 3} more` : '');
  log(`dist/index.js is older than ${shown}: rebuilding (npm run build)`);
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal}); the tests would run a stale dist/ (a tool not found: run \`npm ci\` after a change to package.json):\n${r.stdout}${r.stderr}`);
  return 'rebuilt';
}

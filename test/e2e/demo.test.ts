/** `npm run demo` tells each story as it says (the script exits 1 when a step ends otherwise). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_ROOT } from './harness.ts';

const demo = (story: string) =>
  spawnSync(process.execPath, [path.join(ACTION_ROOT, 'scripts/demo.ts'), '--story', story], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 140_000 });

describe('npm run demo', () => {
  it('label (the quick start): ready once the agent works, then the finalize run finds the agent PR like a real one', () => {
    const r = demo('label');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/status\s+ready/);
    expect(r.stdout).toMatch(/finalized\s+1/);
    expect(r.stdout).toContain('Pull request opened by the agent:** [octo-org/octo-repo#42]');
  }, 150_000);

  it.each([
    ['mention', /status\s+followed_up/],
    ['outsider', /status\s+awaiting_approval[\s\S]*Gate: approved[\s\S]*status\s+ready/],
    ['dry-run', /status\s+skipped/],
    ['failure', /status\s+error/],
  ] as const)('%s', (story, shows) => {
    const r = demo(story);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(shows);
    expect(r.stdout).toContain('The story went as told');
  }, 150_000);
});

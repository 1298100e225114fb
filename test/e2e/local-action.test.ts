/**
 * `npm run local-action` works: @github/local-action runs src/local/main.ts and the post entry
 * (src/local/post.ts) against the emulator and the GitHub fake on loopback, with the action.yml
 * defaults it passes literally (`${{ github.repository }}`, `${{ github.token }}`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_ROOT } from './harness.ts';
import { issueLabeled } from './payloads.ts';
import { API_KEY, world, type World } from './world.ts';

let w: World;
let dir: string;
beforeEach(async () => {
  w = await world();
  w.emu.setDefaultScenario({ phaseMs: 5 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'oh-local-action-'));
});
afterEach(async () => {
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});

function localAction(envFile: string): Promise<{ code: number | null; out: string }> {
  const bin = path.join(ACTION_ROOT, 'node_modules', '.bin');
  const child = spawn(path.join(bin, 'local-action'), ['.', 'src/local/main.ts', envFile, '--post', 'src/local/post.ts'], {
    cwd: ACTION_ROOT,
    // Only the dotenv file speaks for the action: no GITHUB_* or INPUT_* of the test process.
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? dir, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('npm run local-action', () => {
  it('runs the main and the post step of src/ against the emulator and the GitHub fake', async () => {
    const eventPath = path.join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(issueLabeled({ label: 'openhands' })));
    const envFile = path.join(dir, '.env');
    writeFileSync(
      envFile,
      [
        `INPUT_API-KEY=${API_KEY}`,
        `INPUT_BASE-URL=${w.emu.url}`,
        'GITHUB_EVENT_NAME=issues',
        `GITHUB_EVENT_PATH=${eventPath}`,
        'GITHUB_REPOSITORY=octo-org/octo-repo',
        `GITHUB_TOKEN=${w.gh.token}`,
        `GITHUB_API_URL=${w.gh.url}`,
        'GITHUB_RUN_ID=4242',
        `GITHUB_WORKSPACE=${dir}`,
        '',
      ].join('\n'),
    );
    const r = await localAction(envFile);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/'status'\s*│\s*'ready'/);
    expect(r.out).toContain('Running Post Step');
    expect(w.starts()).toBe(1);
    // The repo default `${{ github.repository }}` became the repository, the token default the token.
    expect((w.emu.tasks[0]?.request as { selected_repository?: string }).selected_repository).toBe('octo-org/octo-repo');
    const comments = w.gh.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Ready');
  }, 180_000);
});

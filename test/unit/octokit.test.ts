/** createOctokit's retry policy, over HTTP against the GitHub fake and its faults. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { github } from '../../src/github/errors.ts';
import { createOctokit } from '../../src/github/octokit.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const owner = 'octo-org';
const repo = 'octo-repo';
let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 1, title: 'x' }], permissions: { alice: 'write' } });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => gh.reset());

const PERMISSION = /\/collaborators\/alice\/permission$/;
const readPermission = (o: ReturnType<typeof createOctokit>) => o.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'alice' });
const hits = (re: RegExp) => gh.requests.filter((r) => re.test(r.path));

describe('createOctokit', () => {
  it('talks to the given API URL with the token', async () => {
    const { data } = await createOctokit(gh.token, gh.url).rest.issues.get({ owner, repo, issue_number: 1 });
    expect(data.title).toBe('x');
  });

  it('cuts off a hanging attempt and retries it with a fresh timeout', async () => {
    gh.addFault({ kind: 'delay', ms: 3000, path: /\/issues\/1$/ });
    const octokit = createOctokit(gh.token, gh.url, { timeoutMs: 300, secondMs: 10 });
    const started = Date.now();
    const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: 1 });
    expect(data.title).toBe('x');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(hits(/\/issues\/1$/)).toHaveLength(2);
  });

  it('gives up on a call that always hangs, after a bounded number of tries', async () => {
    gh.addFault({ kind: 'delay', ms: 5000, path: /\/issues\/1$/, times: Infinity });
    const octokit = createOctokit(gh.token, gh.url, { timeoutMs: 200, secondMs: 10 });
    const started = Date.now();
    await expect(octokit.rest.issues.get({ owner, repo, issue_number: 1 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hits(/\/issues\/1$/)).toHaveLength(3);
  });

  it('retries a 500 on the permission read', async () => {
    gh.addFault({ path: PERMISSION, status: 500 });
    const retries: string[] = [];
    const { data } = await readPermission(createOctokit(gh.token, gh.url, { secondMs: 10, onRetry: (m) => retries.push(m) }));
    expect(data.permission).toBe('write');
    expect(hits(PERMISSION).map((r) => r.status)).toEqual([500, 200]);
    expect(retries).toEqual([expect.stringMatching(/^GitHub answered 500 to GET .*\/collaborators\/alice\/permission: retrying in 1 s$/)]);
  });

  it('waits as long as a 503 asks (Retry-After) rather than its own backoff', async () => {
    gh.addFault({ path: PERMISSION, status: 503, retryAfter: 8 });
    await readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 }));
    const [a, b] = hits(PERMISSION);
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(80); // 8 "seconds"; the backoff would be 1
  });

  it('retries a secondary rate limit after its Retry-After, twice at most', async () => {
    gh.addFault({ kind: 'secondary', path: PERMISSION, retryAfter: 3, times: 2 });
    expect((await readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 }))).status).toBe(200);
    expect(hits(PERMISSION).map((r) => r.status)).toEqual([403, 403, 200]);

    gh.reset();
    gh.addFault({ kind: 'secondary', status: 429, path: PERMISSION, retryAfter: 1, times: 3 });
    const error = await readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429 });
    expect(hits(PERMISSION)).toHaveLength(3);
  });

  it('does not wait for a secondary limit that asks for more than a minute', async () => {
    gh.addFault({ kind: 'secondary', path: PERMISSION, retryAfter: 600 });
    await expect(readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 }))).rejects.toMatchObject({ status: 403 });
    expect(hits(PERMISSION)).toHaveLength(1);
  });

  it('waits for a primary rate limit only when it resets soon', async () => {
    gh.addFault({ kind: 'primary', path: PERMISSION, resetIn: 1 });
    expect((await readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 }))).status).toBe(200);
    expect(hits(PERMISSION)).toHaveLength(2);

    gh.reset();
    gh.addFault({ kind: 'primary', path: PERMISSION, resetIn: 3600 });
    const error = await github("checking alice's permission on o/r", () => readPermission(createOctokit(gh.token, gh.url, { secondMs: 10 }))).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 403, rateLimited: true, permanent: false });
    expect(hits(PERMISSION)).toHaveLength(1);
  });

  it('never retries a 404 or a 422', async () => {
    await expect(createOctokit(gh.token, gh.url, { secondMs: 10 }).rest.issues.get({ owner, repo, issue_number: 9 })).rejects.toMatchObject({
      status: 404,
    });
    expect(gh.requests).toHaveLength(1);
  });

  it('does not space writes out (the plugin would hold each a second, comment creates three)', async () => {
    const octokit = createOctokit(gh.token, gh.url, { secondMs: 10 });
    const started = Date.now();
    for (const body of ['a', 'b', 'c']) await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body });
    await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: 1, content: 'eyes' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(gh.countWrites('POST')).toBe(4);
  });

  it('lets a creator opt out of blind retries: a 500 on a comment create is tried once', async () => {
    gh.addFault({ method: 'POST', status: 500 });
    const octokit = createOctokit(gh.token, gh.url, { secondMs: 10 });
    await expect(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'x', request: { retries: 0 } })).rejects.toMatchObject({
      status: 500,
    });
    expect(gh.countWrites('POST')).toBe(1);
  });
});

describe('the event file is not read at load', () => {
  it('only octokit.ts imports @actions/github, and only load.ts loads octokit.ts (lazily, after the event file was checked)', () => {
    const dir = path.resolve(import.meta.dirname, '../../src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const text = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
    // @actions/github parses GITHUB_EVENT_PATH when it is imported.
    expect(files.filter((f) => /from ['"]@actions\/github/.test(text(f)))).toEqual([path.join('github', 'octokit.ts')]);
    // Any static value import of octokit.js would pull @actions/github into the entry chunk.
    const staticValueImports = files.filter((f) => /^import (?!type )[^;]*from ['"][./]*(github\/)?octokit\.js['"]/m.test(text(f)));
    expect(staticValueImports).toEqual([]);
    expect(text(path.join('github', 'load.ts'))).toMatch(/await import\((\/\*[^*]*\*\/ )?'\.\/octokit\.js'\)/);
  });
});

describe('loadOctokit', () => {
  it('loads Octokit on first use and gives the same client', async () => {
    const { loadOctokit } = await import('../../src/github/load.ts');
    const octokit = await loadOctokit(gh.token, gh.url, { secondMs: 10 });
    gh.addFault({ path: /\/issues\/1$/, status: 502 });
    expect((await octokit.rest.issues.get({ owner, repo, issue_number: 1 })).data.title).toBe('x');
    expect(hits(/\/issues\/1$/).map((r) => r.status)).toEqual([502, 200]);
  });
});

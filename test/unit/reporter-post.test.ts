/** The post step's repair of the sticky comment from saved state, against the GitHub fake. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STATE } from '../../src/constants.ts';
import { runPost } from '../../src/post.ts';
import { renderComment } from '../../src/render/comment.ts';
import { fakeRepoReport } from './fake-repo-report.ts';
import type { Report } from '../../src/report.ts';
import type { SavedComment } from '../../src/reporter.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const target = { owner: 'octo-org', repo: 'octo-repo', issueNumber: 3 };
let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 3, title: 'x' }] });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => gh.reset());
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const report = (over: Partial<Report> = {}): Report => fakeRepoReport({ status: 'started', ...over });

async function post(saved: SavedComment): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.stubEnv(`STATE_${STATE.comment}`, JSON.stringify(saved));
  vi.stubEnv('INPUT_GITHUB-TOKEN', gh.token);
  vi.stubEnv('GITHUB_REPOSITORY', 'octo-org/octo-repo');
  await runPost({ env: { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'octo-org/octo-repo' } });
  return out;
}

describe('runPost', () => {
  it('creates the comment the main step could not (no id saved), as cancelled', async () => {
    const out = await post({ ...target, key: 'wf/job', id: undefined, report: report() });
    expect(out).not.toContain('::warning::');
    const comments = gh.commentsOn(3);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Cancelled');
  });

  it('finds a comment whose create landed unseen (no id saved) and edits it: still one', async () => {
    const existing = gh.addComment({ issue_number: 3, body: renderComment(report()) });
    await post({ ...target, key: 'wf/job', id: undefined, report: report({ status: 'finished', final: true }) });
    expect(gh.commentsOn(3).map((c) => c.id)).toEqual([existing.id]);
    expect(gh.commentsOn(3)[0]?.body).toContain('Finished');
    expect(gh.countWrites('POST')).toBe(0);
  });

  it('edits the saved comment id, and warns (named) when GitHub refuses', async () => {
    const existing = gh.addComment({ issue_number: 3, body: renderComment(report()) });
    await post({ ...target, key: 'wf/job', id: existing.id, report: report() });
    expect(gh.commentsOn(3)[0]?.body).toContain('Cancelled');

    gh.addFault({ method: 'PATCH', status: 403, body: { message: 'Resource not accessible by integration' } });
    const out = await post({ ...target, key: 'wf/job', id: existing.id, report: report() });
    expect(out).toContain(`::warning::Post step could not finalise the status comment: updating comment ${existing.id} on octo-org/octo-repo: HTTP 403`);
  });
});

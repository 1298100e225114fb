/** A Report for a run on the GitHub fake's default repository, for the publisher's tests. */
import type { Report } from '../../src/report.ts';

export function fakeRepoReport(over: Partial<Report> = {}): Report {
  return {
    key: 'wf/job',
    status: 'pending',
    final: false,
    repo: 'octo-org/octo-repo',
    serverUrl: 'https://github.com',
    baseUrl: 'https://app.all-hands.dev',
    runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/1',
    runId: '1',
    runAttempt: 1,
    startedAt: 0,
    updatedAt: 0,
    actor: 'alice',
    previous: [],
    ...over,
  };
}

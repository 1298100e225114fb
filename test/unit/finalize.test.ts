/** A finalize run's pure parts: which comments it tracks, the report a marker gives back, its summary. */
import { describe, expect, it } from 'vitest';
import { parseConfig, readInputs } from '../../src/config.ts';
import { renderFinalizeSummary } from '../../src/finalize/summary.ts';
import { reportOf, trackedComments } from '../../src/finalize/tracked.ts';
import type { RepoStickyComment } from '../../src/github/comments.ts';
import { parseEvent } from '../../src/github/event.ts';
import { markerKeyOf, markerLine, parseMarker } from '../../src/marker.ts';
import type { Report } from '../../src/report.ts';
import { CONV, report } from './render-samples.ts';

const cfg = parseConfig(readInputs(() => ''), { env: { GITHUB_REPOSITORY: 'o/r' }, workspace: '/tmp' });
const ctx = parseEvent({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '99', GITHUB_EVENT_NAME: 'schedule' }, {});

function comment(id: number, r: Report, issueNumber = 1): RepoStickyComment {
  const body = `${markerLine(r)}\n### OpenHands · 🟢 Ready · requested by @alice`;
  return { id, url: `https://github.com/o/r/issues/${issueNumber}#issuecomment-${id}`, key: r.key, issueNumber, updatedAt: '', body, state: parseMarker(body, r.key) };
}

describe('the marker of any key', () => {
  it('gives back its key, escaped characters included', () => {
    const r = report({ key: 'Open-Hands "x"/agent' });
    expect(markerKeyOf(markerLine(r))).toBe('Open-Hands "x"/agent');
    expect(markerKeyOf('text <!-- openhands-cloud-action key="a" state="x" -->')).toBeUndefined();
    expect(markerKeyOf('<!-- openhands-cloud-action key="a"')).toBeUndefined();
  });

  it('keeps what a finalize run needs to render the report again', () => {
    const r = report({ status: 'ready', final: true, conversationId: CONV, cost: 0.5, tokens: 10, maxCost: 3, prNumbers: [2], checkRunId: 42, finalizeLater: true, sandboxShared: false });
    const s = parseMarker(markerLine(r), r.key);
    expect(s).toMatchObject({ actor: 'alice', repo: 'o/r', cost: 0.5, tokens: 10, maxCost: 3, prNumbers: [2], checkRunId: 42, finalizeLater: true, sandboxShared: false });
  });
});

describe('trackedComments', () => {
  const handed = (over: Partial<Report> = {}) => report({ status: 'ready', final: true, conversationId: CONV, ...over });

  it('tracks final, handed-over runs with a conversation, and nothing else', () => {
    const { tracked } = trackedComments([
      comment(1, handed()),
      comment(2, handed({ status: 'started', conversationId: 'cd'.repeat(16) })),
      comment(3, handed({ status: 'followed_up', conversationId: 'ef'.repeat(16) })),
      comment(4, handed({ final: false, conversationId: '01'.repeat(16) })), // a run still watching
      comment(5, handed({ status: 'finished', conversationId: '02'.repeat(16) })),
      comment(6, handed({ conversationId: undefined })),
      comment(7, handed({ status: 'awaiting_approval', conversationId: '03'.repeat(16) })),
    ]);
    expect(tracked.map((t) => t.comment.id)).toEqual([1, 2, 3]);
  });

  it('a conversation counts only in the oldest comment naming it', () => {
    const { tracked, duplicates } = trackedComments([comment(9, handed(), 4), comment(3, handed(), 1)]);
    expect(tracked.map((t) => t.comment.id)).toEqual([3]);
    expect(duplicates.map((c) => c.id)).toEqual([9]);
  });
});

describe('reportOf', () => {
  it('rebuilds the report with the run link of the run that wrote it', () => {
    const r = handedReport();
    const back = reportOf(trackedComments([comment(1, r)]).tracked[0]!, ctx, cfg);
    expect(back).toMatchObject({
      key: r.key,
      status: 'ready',
      final: true,
      runId: '7',
      runUrl: 'https://github.com/o/r/actions/runs/7',
      actor: 'alice',
      conversationId: CONV,
      checkRunId: 5,
      startedAt: r.startedAt,
    });
  });

  it('an older marker without the actor takes it from the comment text', () => {
    const r = handedReport();
    const c = comment(1, r);
    const { actor: _a, ...state } = c.state!;
    const back = reportOf({ comment: c, state: { ...state, conversationId: CONV } }, ctx, cfg);
    expect(back.actor).toBe('alice');
  });
});

describe('the finalize summary', () => {
  it('says when there was nothing to do', () => {
    expect(renderFinalizeSummary([])).toContain('nothing to do (no OpenHands request made)');
  });

  it('lists finalized and running conversations with links', () => {
    const done = report({ status: 'finished', final: true, conversationId: CONV, cost: 1.5 });
    const working = report({ status: 'ready', final: true, conversationId: 'cd'.repeat(16), startedAt: 0, updatedAt: 12 * 60_000, cost: 0.25 });
    const md = renderFinalizeSummary([
      { kind: 'finalized', report: done, issueNumber: 3, commentUrl: 'https://github.com/o/r/issues/3#c' },
      { kind: 'running', report: working, issueNumber: 4, commentUrl: 'https://github.com/o/r/issues/4#c' },
    ]);
    expect(md).toContain('1 finalized, 1 still running');
    expect(md).toContain(`[abababab](https://app.example/conversations/${CONV})`);
    expect(md).toContain('✅ Finished');
    expect(md).toContain('working for 12m · $0.25');
    expect(md).toContain('[#4](https://github.com/o/r/issues/4#c)');
  });
});

function handedReport(): Report {
  return report({ status: 'ready', final: true, conversationId: CONV, checkRunId: 5 });
}

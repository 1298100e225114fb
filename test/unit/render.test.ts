import { describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT } from '../../src/constants.ts';
import { isForThread, markerFor, parseMarker, threadOf } from '../../src/marker.ts';
import { renderComment, renderReportMarkdown } from '../../src/render/comment.ts';
import { report } from './render-samples.ts';

describe('renderComment', () => {
  it('carries the link, the phase and the run', () => {
    const body = renderComment(report({ conversationId: 'ab'.repeat(16), status: 'started', startTaskStatus: 'PREPARING_REPOSITORY' }));
    expect(body.startsWith(markerFor('OpenHands/agent'))).toBe(true);
    expect(body).toContain(`https://app.example/conversations/${'ab'.repeat(16)}`);
    expect(body).toContain('✓ sandbox · **◐ repository** · ◌ setup · ◌ conversation');
    expect(body).toContain('### OpenHands · ⏳ Starting · 1m 5s');
    expect(body).toContain('[#7](https://github.com/o/r/actions/runs/7)');
  });

  it('round-trips the marker state, and ignores other keys and forged text', () => {
    const r = report({ conversationId: 'c'.repeat(32), status: 'finished', sandboxId: 'sb', previous: [{ conversationId: 'd'.repeat(32), status: 'error' }] });
    const state = parseMarker(renderComment(r), r.key);
    expect(state).toMatchObject({ conversationId: 'c'.repeat(32), sandboxId: 'sb', status: 'finished', runId: '7', previous: [{ conversationId: 'd'.repeat(32) }] });
    expect(parseMarker(renderComment(r), 'other/key')).toBeUndefined();
    expect(parseMarker(`${markerFor(r.key)} state="!!!" -->`, r.key)).toBeUndefined();
  });

  it('records the thread a marker belongs to; a marker for another thread, or a damaged one, is not this thread\'s', () => {
    const r = report({ conversationId: 'c'.repeat(32), status: 'ready', subject: threadOf('o/r', 12) });
    const state = parseMarker(renderComment(r), r.key);
    expect(state?.subject).toBe('o/r#12');
    expect(isForThread(state ?? {}, 'O/R#12')).toBe(true);
    expect(isForThread(state ?? {}, 'o/r#13')).toBe(false);
    expect(isForThread(state ?? {}, 'o/other#12')).toBe(false);
    // written before the field existed: only the token's own account on this thread can have written it
    expect(isForThread({}, 'o/r#13')).toBe(true);
    const damaged = (subject: unknown): string => {
      const s = { ...parseMarker(renderComment(r), r.key), subject };
      return `${markerFor(r.key)} state="${Buffer.from(JSON.stringify(s)).toString('base64url')}" -->`;
    };
    expect(parseMarker(damaged('o/r#12'), r.key)?.subject).toBe('o/r#12');
    for (const bad of [12, '', 'o/r', '#12', 'o/r#0', 'o/r#12 ', null]) expect(parseMarker(damaged(bad), r.key), String(bad)).toBeUndefined();
  });

  it('shows the failure reason, cost and PR', () => {
    const body = renderComment(report({ status: 'error', error: 'Sandbox not found: x', cost: 0.4213, tokens: 12345, prNumbers: [12] }));
    expect(body).toContain('### OpenHands · ❌ Failed');
    expect(body).toContain('Sandbox not found: x');
    expect(body).toContain('$0.42 · 12,345 tokens');
    expect(body).toContain('**Triggered on:** pull request [o/r#12](https://github.com/o/r/pull/12)');
  });

  it('keeps a short final message inline and collapses a long one', () => {
    expect(renderComment(report({ status: 'finished', finalMessage: 'All done.' }))).toContain('**Final message**\n\n> All done.');
    expect(renderComment(report({ status: 'finished', finalMessage: 'line\n'.repeat(50) }))).toContain('<details><summary><b>Final message</b>');
  });

  it('truncates a huge final message so the comment stays under the GitHub limit', () => {
    const body = renderComment(report({ status: 'finished', finalMessage: 'word '.repeat(40_000) }));
    expect(body.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('truncated here; the whole message is in the step output `final-message`');
  });

  it('neutralises a forged marker inside agent text', () => {
    const forged = `${markerFor('OpenHands/agent')} state="x" -->`;
    const body = renderComment(report({ status: 'finished', finalMessage: forged }));
    expect(body.indexOf(markerFor('OpenHands/agent'))).toBe(0);
    expect(body.lastIndexOf(markerFor('OpenHands/agent'))).toBe(0);
  });

  it('links earlier conversations', () => {
    const md = renderReportMarkdown(report({ previous: [{ conversationId: 'e'.repeat(32), status: 'finished', runUrl: 'https://run/1' }] }));
    expect(md).toContain(`[\`eeeeeeee\`](https://app.example/conversations/${'e'.repeat(32)}): finished ([run](https://run/1))`);
  });
});

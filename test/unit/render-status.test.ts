import { describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT } from '../../src/constants.ts';
import { renderComment, renderReportMarkdown } from '../../src/render/comment.ts';
import { START_PHASES } from '../../src/openhands/types.ts';
import type { Report, RunStatus } from '../../src/report.ts';
import { renderSummary } from '../../src/summary.ts';
import { ALL_STATUSES, CONV, SAMPLES, report } from './render-samples.ts';

const STATUSES = Object.keys(ALL_STATUSES) as RunStatus[];

/** The words a reader must see for each status (written here, not read from the renderer). */
function expected(status: RunStatus, final: boolean): RegExp {
  const words: Record<RunStatus, RegExp> = {
    pending: /⏳ Starting/,
    started: final ? /🚀 Started: the agent is still working/ : /⏳ Starting/,
    ready: final ? /Ready: the agent is still working/ : /Ready: the agent is working/,
    finished: /✅ Finished/,
    error: /❌ Failed/,
    stuck: /Stuck/,
    waiting_for_confirmation: /Waiting for confirmation/,
    timed_out: /Timed out/,
    cancelled: /Cancelled/,
    skipped: /Skipped/,
    followed_up: final ? /Follow-up sent: the agent is still working/ : /Follow-up sent/,
    awaiting_approval: /Waiting for a maintainer's approval/,
    interrupted: /Interrupted/,
    over_budget: /Over budget/,
  };
  return words[status];
}

const headingOf = (md: string): string => md.split('\n')[0] ?? '';
/** What shows without unfolding anything. */
const visible = (md: string): string => md.split('<details')[0] ?? '';

describe('the status line', () => {
  for (const final of [false, true]) {
    it.each(STATUSES)(`agrees with the status %s (final: ${final}) and names no other`, (status) => {
      // Service states that disagree with the status must not leak into the line.
      const md = renderReportMarkdown(report({ status, final, conversationId: CONV, executionStatus: 'finished', startTaskStatus: 'READY', sandboxStatus: 'RUNNING' }));
      const heading = headingOf(md);
      expect(heading).toMatch(/^### OpenHands · /);
      expect(heading).toMatch(expected(status, final));
      for (const other of STATUSES) {
        if (expected(other, final).source !== expected(status, final).source) expect(heading).not.toMatch(expected(other, final));
      }
    });
  }

  it('shows the elapsed time, except where it means nothing', () => {
    expect(headingOf(renderReportMarkdown(report({ status: 'finished', final: true, updatedAt: 1_000_000 + 725_000 })))).toBe('### OpenHands · ✅ Finished · 12m 5s');
    expect(headingOf(renderReportMarkdown(report({ status: 'skipped', final: true })))).toBe('### OpenHands · ⏭️ Skipped');
    expect(headingOf(renderReportMarkdown(report({ status: 'awaiting_approval', final: true })))).not.toMatch(/\d+s/);
  });

  it('never says finished while the run follows a ready conversation (the old "Ready" over "agent finished")', () => {
    const md = renderReportMarkdown(report({ status: 'ready', conversationId: CONV, executionStatus: 'finished' }));
    expect(visible(md)).not.toMatch(/finished/i);
    expect(md).toContain('- Agent: `finished`'); // still there for whoever unfolds the details
  });

  it.each(['started', 'ready', 'followed_up'] as const)('a handed-over %s run says the agent is still working, not done', (status) => {
    const md = renderReportMarkdown(report({ status, final: true, conversationId: CONV }));
    expect(headingOf(md)).toContain('the agent is still working');
    expect(visible(md)).toContain('stopped watching here: **follow the conversation link**');
    expect(md).not.toMatch(/✅|Finished|Pull request opened by the agent/);
    expect(renderReportMarkdown(report({ status, final: false, conversationId: CONV }))).not.toContain('stopped watching');
  });
});

describe('the start progress', () => {
  it.each([
    [undefined, '**◐ sandbox** · ◌ repository · ◌ setup · ◌ conversation'],
    ['WORKING', '**◐ sandbox** · ◌ repository · ◌ setup · ◌ conversation'],
    ['WAITING_FOR_SANDBOX', '**◐ sandbox** · ◌ repository · ◌ setup · ◌ conversation'],
    ['PREPARING_REPOSITORY', '✓ sandbox · **◐ repository** · ◌ setup · ◌ conversation'],
    ['RUNNING_SETUP_SCRIPT', '✓ sandbox · ✓ repository · **◐ setup (setup script)** · ◌ conversation'],
    ['SETTING_UP_GIT_HOOKS', '✓ sandbox · ✓ repository · **◐ setup (git hooks)** · ◌ conversation'],
    ['SETTING_UP_SKILLS', '✓ sandbox · ✓ repository · **◐ setup (skills)** · ◌ conversation'],
    ['STARTING_CONVERSATION', '✓ sandbox · ✓ repository · ✓ setup · **◐ conversation**'],
    ['A_NEW_PHASE', 'starting: `A_NEW_PHASE`'],
  ])('%s → %s', (phase, line) => {
    const md = renderReportMarkdown(report({ status: phase ? 'started' : 'pending', startTaskStatus: phase }));
    expect(md.split('\n\n')).toContain(line);
  });

  it('covers every start phase the service sends', () => {
    for (const phase of START_PHASES.filter((p) => p !== 'READY')) {
      expect(renderReportMarkdown(report({ status: 'started', startTaskStatus: phase }))).toContain('**◐ ');
    }
  });

  it('is gone once the start is over or the run handed over', () => {
    for (const r of [report({ status: 'ready', startTaskStatus: 'READY' }), report({ status: 'started', final: true, startTaskStatus: 'WORKING' }), report({ status: 'error', final: true, startTaskStatus: 'ERROR' })]) {
      expect(renderReportMarkdown(r)).not.toMatch(/[◐◌]/);
    }
  });
});

describe('pull requests and cost', () => {
  const finished = (over: Partial<Report> = {}): Report => report({ status: 'finished', final: true, conversationId: CONV, executionStatus: 'finished', ...over });

  it("links the agent's PR apart from the PR the run was triggered on", () => {
    const md = renderReportMarkdown(finished({ prNumbers: [12], agentPr: { number: 34, url: 'https://github.com/o/other/pull/34' } }));
    expect(md).toContain('- **Pull request opened by the agent:** [o/other#34](https://github.com/o/other/pull/34)');
    expect(md).toContain('- **Triggered on:** pull request [o/r#12](https://github.com/o/r/pull/12)');
  });

  it('links an agent PR URL that is not a plain pull-request URL by its number only', () => {
    for (const url of ['javascript:alert(1)', 'https://evil.example/x)](https://a/pull/1', 'https://github.com/o/r/pull/34 <!-- openhands-cloud-action']) {
      const md = renderReportMarkdown(finished({ agentPr: { number: 34, url } }));
      expect(md).toContain('**Pull request opened by the agent:** [o/r#34](https://github.com/o/r/pull/34)');
      expect(md).not.toContain(url);
    }
  });

  it('says "none" only once the agent stopped under this run', () => {
    const none = '**Pull request opened by the agent:** none';
    for (const status of ['finished', 'stuck', 'interrupted', 'over_budget'] as const) expect(renderReportMarkdown(finished({ status }))).toContain(none);
    expect(renderReportMarkdown(finished({ status: 'error', executionStatus: 'error' }))).toContain(none);
    // A failed start, or a request that failed while the agent ran: nothing is known about a PR.
    expect(renderReportMarkdown(finished({ status: 'error', executionStatus: undefined }))).not.toContain('Pull request opened');
    expect(renderReportMarkdown(finished({ status: 'error', executionStatus: 'running' }))).not.toContain('Pull request opened');
    expect(renderReportMarkdown(finished({ final: false, status: 'ready', executionStatus: 'running' }))).not.toContain('Pull request opened');
    for (const status of ['timed_out', 'cancelled', 'waiting_for_confirmation'] as const) {
      expect(renderReportMarkdown(finished({ status }))).not.toContain('Pull request opened');
    }
  });

  it('shows the cost against the cap, and over the cap plainly', () => {
    expect(renderReportMarkdown(finished({ cost: 0.4213 }))).toContain('- **Cost:** $0.42\n');
    expect(renderReportMarkdown(finished({ cost: 0.004 }))).toContain('**Cost:** $0.0040');
    expect(renderReportMarkdown(finished({ cost: 0.4213, maxCost: 2, tokens: 999 }))).toContain('**Cost:** $0.42 / $2.00 · 999 tokens');
    const over = renderReportMarkdown(finished({ status: 'over_budget', cost: 2.31, maxCost: 2 }));
    expect(over).toContain('**Cost:** **$2.31 / $2.00**, over the cap');
    expect(over).toContain('raise `max-cost`');
    expect(headingOf(over)).toContain('the sandbox was paused');
    expect(renderReportMarkdown(finished({ tokens: 10 }))).toContain('**Usage:** 10 tokens');
  });
});

describe('what happened and what to do', () => {
  it('interrupted: the detail from the run, why it happens, and how to go on', () => {
    const md = renderReportMarkdown(SAMPLES.interrupted as Report);
    expect(md).toContain('The sandbox turned PAUSED while the agent was running');
    expect(md).toContain('too many running sandboxes');
    expect(md).toContain(`[resume it in the OpenHands web app](https://app.example/conversations/${CONV})`);
    expect(md).toContain('[re-run the workflow](https://github.com/o/r/actions/runs/7)');
    // Without a conversation id the web app itself is the way back.
    expect(renderReportMarkdown(report({ status: 'interrupted', final: true }))).toContain('[OpenHands web app](https://app.example)');
  });

  it('timed_out: whether the sandbox was paused or left running', () => {
    expect(renderReportMarkdown(report({ status: 'timed_out', final: true, sandboxStatus: 'PAUSED' }))).toContain('The sandbox was paused so it stops costing money');
    const kept = renderReportMarkdown(report({ status: 'timed_out', final: true, sandboxStatus: 'RUNNING' }));
    expect(kept).toContain('**left running**');
    expect(kept).not.toContain('was paused');
  });

  it('awaiting_approval: one line for maintainers, with the label, the phrase and who asked', () => {
    const md = renderReportMarkdown(SAMPLES.awaiting_approval as Report);
    const lines = visible(md).trim().split('\n').filter(Boolean);
    expect(lines).toEqual([
      "### OpenHands · 🔒 Waiting for a maintainer's approval",
      "@mallory's [request](https://github.com/octo-org/octo-repo/issues/1#issuecomment-11) needs a maintainer's approval: add the label `openhands` or reply `@openhands approve`.",
    ]);
    expect(renderReportMarkdown(report({ status: 'awaiting_approval', final: true }))).toContain('A maintainer must approve this request');
  });

  it('an approved run names the approver once, beside who asked', () => {
    const md = renderReportMarkdown(SAMPLES['finished (approved)'] as Report);
    expect(md.match(/approved by @carol/g)).toHaveLength(1);
    expect(md).toContain('requested by @mallory, approved by @carol');
  });

  it('a follow-up names who sent it', () => {
    expect(renderReportMarkdown(SAMPLES.followed_up as Report)).toContain("Sent @alice's new request to the conversation that was still open.");
  });
});

describe('the final message and the limits', () => {
  it('quotes the message line by line, and stays under the limit even with many short lines', () => {
    expect(renderReportMarkdown(report({ status: 'finished', finalMessage: 'one\n\ntwo' }))).toContain('> one\n>\n> two');
    const body = renderComment(report({ status: 'finished', final: true, finalMessage: 'x\n'.repeat(40_000) }));
    expect(body.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('truncated here');
  });

  it('the job summary unfolds the run details; the comment keeps them folded', () => {
    const r = SAMPLES['finished with PR'] as Report;
    expect(renderSummary(r)).toContain('<details open><summary>Run details</summary>');
    expect(renderComment(r)).toContain('<details><summary>Run details</summary>');
    expect(renderSummary(r).replace('<details open>', '<details>')).toBe(renderReportMarkdown(r));
  });
});

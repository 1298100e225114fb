/** `trigger: always` and the approval phrase, over real webhook payloads (@octokit/webhooks-examples). */
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/github/event.ts';
import { decideTrigger, isApproval } from '../../src/triggers.ts';
import { issueComment, prLabeled, prReviewComment, webhookExample } from '../e2e/payloads.ts';

const auto = { triggerPhrase: '@openhands', label: 'openhands', trigger: 'auto' as const };
const always = { ...auto, trigger: 'always' as const };
const event = (name: string, payload: object) =>
  parseEvent({ GITHUB_EVENT_NAME: name, GITHUB_REPOSITORY: 'octo-org/octo-repo' }, payload as Record<string, unknown>);
const pr = (action: string) => event('pull_request', webhookExample('pull_request', { action }));

describe('trigger: always', () => {
  it.each(['opened', 'synchronize', 'reopened', 'ready_for_review'])('runs pull_request %s without the phrase or label', (action) => {
    expect(decideTrigger(pr(action), auto).run).toBe(false);
    expect(decideTrigger(pr(action), always)).toMatchObject({ run: true, why: expect.stringContaining('(trigger: always)') });
  });

  it('runs the same actions on pull_request_target and issues', () => {
    expect(decideTrigger(event('pull_request_target', webhookExample('pull_request', { action: 'synchronize' })), always).run).toBe(true);
    expect(decideTrigger(event('issues', webhookExample('issues', { action: 'opened' })), always).run).toBe(true);
  });

  it.each(['closed', 'converted_to_draft', 'unlabeled', 'locked', 'review_requested'])('does not run pull_request %s', (action) => {
    expect(decideTrigger(pr(action), always)).toMatchObject({ run: false, why: expect.stringContaining('trigger: always runs opened, reopened') });
  });

  it('still needs the trigger label on labeled events, so routine labelling starts nothing', () => {
    expect(decideTrigger(event('pull_request', prLabeled({ label: 'bug' })), always).run).toBe(false);
    expect(decideTrigger(event('pull_request', prLabeled({ label: 'openhands' })), always).run).toBe(true);
  });

  it('runs new comments and submitted reviews without the phrase', () => {
    const comment = event('issue_comment', issueComment({ body: 'looks good to me', onPullRequest: true }));
    expect(decideTrigger(comment, auto).run).toBe(false);
    expect(decideTrigger(comment, always).run).toBe(true);
    expect(decideTrigger(event('pull_request_review_comment', prReviewComment({ body: 'nit: rename' })), always).run).toBe(true);
    expect(decideTrigger(event('pull_request_review', webhookExample('pull_request_review', { action: 'submitted' })), always).run).toBe(true);
  });

  it('never runs edited or deleted comments, dismissed reviews, or its own status comment', () => {
    for (const action of ['edited', 'deleted'] as const) {
      expect(decideTrigger(event('issue_comment', issueComment({ body: '@openhands go', action })), always)).toMatchObject({
        run: false,
        why: `the comment was ${action}; only new comments trigger a run`,
      });
    }
    expect(decideTrigger(event('pull_request_review', webhookExample('pull_request_review', { action: 'dismissed' })), always).run).toBe(false);
    const own = event('issue_comment', issueComment({ body: '<!-- openhands-cloud-action key="x" state="" -->\n### OpenHands' }));
    expect(decideTrigger(own, always).why).toMatch(/own status comment/);
  });
});

describe('isApproval', () => {
  it.each([
    ['@openhands approve', true],
    ['@OpenHands Approve.', true],
    ['Checked the request, it is fine.\n@openhands approve', true],
    ['@openhands: approve!', true],
    ['@openhands approve and also fix the typo', false],
    ['please @openhands approve', false],
    ['> @openhands approve', false],
    ['`@openhands approve`', false],
    ['```\n@openhands approve\n```', false],
    ['<!-- @openhands approve -->', false],
    ['<span hidden>\n@openhands approve\n</span>', false],
    ['@openhands-bot approve', false],
  ])('%j → %s', (text, expected) => {
    expect(isApproval(text, '@openhands')).toBe(expected);
  });
});

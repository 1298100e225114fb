/** The approval path for outsiders, over real webhook payloads (@octokit/webhooks-examples). */
import { describe, expect, it } from 'vitest';
import {
  approvalGesture,
  approvalLine,
  classifyTrigger,
  digestOf,
  gate,
  heldRequestOf,
  parseApproval,
  resolveApproval,
  type ApprovalState,
  type GateInput,
  type HeldRequest,
} from '../../src/approval.ts';
import { parseEvent, type EventContext } from '../../src/github/event.ts';
import { markerFor, parseMarker } from '../../src/marker.ts';
import { renderComment } from '../../src/render/comment.ts';
import type { Report } from '../../src/report.ts';
import { checkActors } from '../../src/triggers.ts';
import { report as sampleReport } from './render-samples.ts';
import { issueComment, issueLabeled, prReviewComment, webhookExample } from '../e2e/payloads.ts';

const cfg = { triggerPhrase: '@openhands', label: 'openhands', trigger: 'auto' as const };
const NOW = 1_700_000_000_000;
const event = (name: string, payload: object): EventContext =>
  parseEvent({ GITHUB_EVENT_NAME: name, GITHUB_REPOSITORY: 'octo-org/octo-repo' }, payload as Record<string, unknown>);
const levels: Record<string, string> = { maintainer: 'write', owner: 'admin', eve: 'read', tri: 'read' };
const permission = (ctx: EventContext) => checkActors(ctx, [], async (login) => levels[login] ?? 'none');

const outsiderAsks = (body = '@openhands please fix the crash') => event('issue_comment', issueComment({ body, sender: 'eve', number: 7 }));
const held = heldRequestOf(outsiderAsks(), NOW) as HeldRequest;
const pending: ApprovalState = { held };

/** The gates in the order the run applies them. */
async function run(ctx: EventContext, approval: ApprovalState | undefined, over: Partial<GateInput> = {}) {
  const trigger = classifyTrigger(ctx, cfg, approval);
  const input: GateInput = {
    trigger,
    permission: trigger.kind === 'skip' ? undefined : await permission(ctx),
    untrusted: 'ask',
    request: heldRequestOf(ctx, NOW),
    apiKey: 'present',
    ...over,
  };
  return gate(input);
}

describe('heldRequestOf', () => {
  it('points at the comment, review comment or item body, with a digest of its text', () => {
    expect(held).toEqual({
      kind: 'issue_comment',
      id: expect.any(Number),
      number: 7,
      author: 'eve',
      digest: digestOf('@openhands please fix the crash'),
      url: expect.stringMatching(/\/issues\/7#issuecomment-\d+$/),
      event: 'issue_comment created',
      heldAt: NOW,
    });
    const review = heldRequestOf(event('pull_request_review_comment', prReviewComment({ body: '@openhands nit', sender: 'eve' })), NOW);
    expect(review).toMatchObject({ kind: 'review_comment', author: 'eve', digest: digestOf('@openhands nit') });
    const opened = webhookExample('issues', { action: 'opened' });
    expect(heldRequestOf(event('issues', opened), NOW)).toMatchObject({ kind: 'body', number: opened.issue.number, digest: digestOf(opened.issue.body ?? '') });
    expect(heldRequestOf(event('workflow_dispatch', webhookExample('workflow_dispatch')), NOW)).toBeUndefined();
  });
});

describe('the gates, in order', () => {
  it('runs a maintainer, holds an outsider (untrusted: ask), skips them quietly with untrusted: skip', async () => {
    expect(await run(event('issue_comment', issueComment({ body: '@openhands fix', sender: 'maintainer' })), undefined)).toEqual({
      kind: 'run',
      why: 'maintainer mentioned @openhands',
    });
    expect(await run(outsiderAsks(), undefined)).toEqual({
      kind: 'hold',
      why: "eve has 'read' access; write, maintain or admin is needed; the request waits for a maintainer's approval",
      request: held,
    });
    expect(await run(outsiderAsks(), undefined, { untrusted: 'skip' })).toEqual({ kind: 'skip', why: "eve has 'read' access; write, maintain or admin is needed" });
  });

  it('checks who asked before the API key: an outsider without a key is held, a maintainer without one is a bad input', async () => {
    expect((await run(outsiderAsks(), undefined, { apiKey: 'missing' })).kind).toBe('hold');
    expect((await run(outsiderAsks(), undefined, { apiKey: 'missing', untrusted: 'skip' })).kind).toBe('skip');
    const mine = event('issue_comment', issueComment({ body: '@openhands fix', sender: 'maintainer' }));
    expect(await run(mine, undefined, { apiKey: 'missing' })).toEqual({ kind: 'missing-key' });
    expect(await run(mine, undefined, { apiKey: 'missing-on-fork' })).toMatchObject({ kind: 'skip', why: expect.stringContaining('fork') });
  });

  it('does not hold a bot, or an event with nothing to point back to', async () => {
    const bot = event('issue_comment', issueComment({ body: '@openhands bump', sender: 'renovate[bot]', senderType: 'Bot' }));
    expect(await run(bot, undefined)).toEqual({ kind: 'skip', why: 'renovate[bot] is a bot that is not listed in allowed-bots' });
    const example = webhookExample('workflow_run');
    const wr = event('workflow_run', { ...example, sender: { login: 'maintainer', type: 'User' }, workflow_run: { ...example.workflow_run, triggering_actor: { login: 'eve' } } });
    expect(await run(wr, undefined)).toEqual({ kind: 'skip', why: "eve has 'read' access; write, maintain or admin is needed" });
  });

  it('holds the newest of many requests by the same outsider', async () => {
    const first = await run(outsiderAsks('@openhands one'), undefined);
    const again = outsiderAsks('@openhands two');
    const second = await run(again, first.kind === 'hold' ? { held: first.request } : undefined);
    expect(second).toMatchObject({ kind: 'hold', request: { author: 'eve', digest: digestOf('@openhands two') } });
  });

  it('a maintainer approves the held request by replying with the phrase and approve', async () => {
    const reply = event('issue_comment', issueComment({ body: 'Read it, fine.\n@openhands approve', sender: 'maintainer', number: 7 }));
    expect(await run(reply, pending)).toEqual({
      kind: 'approved',
      why: "maintainer approved @eve's request by replying approve",
      held,
      approver: 'maintainer',
    });
  });

  it('a maintainer approves a held comment by adding the label', async () => {
    const labeled = event('issues', issueLabeled({ label: 'openhands', sender: 'owner', number: 7 }));
    expect(await run(labeled, pending)).toMatchObject({ kind: 'approved', held, approver: 'owner' });
  });

  it('an outsider cannot approve, not even their own request; the hold stays as it was (a skip writes no comment)', async () => {
    const self = event('issue_comment', issueComment({ body: '@openhands approve', sender: 'eve', number: 7 }));
    expect(await run(self, pending)).toEqual({
      kind: 'skip',
      why: "eve has 'read' access; write, maintain or admin is needed; only someone with write access can approve @eve's request",
    });
    // A triage user's label is no approval either.
    expect((await run(event('issues', issueLabeled({ label: 'openhands', sender: 'tri', number: 7 })), pending)).kind).toBe('skip');
  });

  it('a quoted, code-formatted, hidden or edited approve does not approve', async () => {
    for (const body of ['> @openhands approve', '`@openhands approve`', '<!-- @openhands approve -->']) {
      expect(await run(event('issue_comment', issueComment({ body, sender: 'maintainer', number: 7 })), pending)).toMatchObject({
        kind: 'skip',
        why: 'the comment does not mention @openhands',
      });
    }
    // Nor does the action's own status comment, whoever wrote it.
    const own = event('issue_comment', issueComment({ body: '<!-- openhands-cloud-action key="k" state="" -->\n@openhands approve', sender: 'maintainer' }));
    expect(await run(own, pending)).toMatchObject({ kind: 'skip', why: expect.stringContaining('own status comment') });
    const edited = event('issue_comment', issueComment({ body: '@openhands approve', sender: 'maintainer', action: 'edited' }));
    expect(await run(edited, pending)).toMatchObject({ kind: 'skip', why: expect.stringContaining('edited') });
  });

  it('with nothing held, the label is a normal trigger and an approve reply is skipped', async () => {
    const labeled = event('issues', issueLabeled({ label: 'openhands', sender: 'owner' }));
    expect(await run(labeled, undefined)).toMatchObject({ kind: 'run' });
    const reply = event('issue_comment', issueComment({ body: '@openhands approve', sender: 'maintainer' }));
    expect(await run(reply, undefined)).toEqual({ kind: 'skip', why: 'no request is waiting for approval here' });
    // Once approved, the request is no longer waiting.
    expect(await run(reply, { held, approvedBy: 'owner', approvedAt: NOW })).toEqual({ kind: 'skip', why: 'no request is waiting for approval here' });
  });

  it('tells which skipped events still need the marker: only approval gestures', () => {
    const reply = event('issue_comment', issueComment({ body: '@openhands approve', sender: 'maintainer' }));
    expect(classifyTrigger(reply, cfg, undefined).kind).toBe('skip');
    expect(approvalGesture(reply, cfg)).toBe('replying approve');
    const chatter = event('issue_comment', issueComment({ body: 'thanks!', sender: 'maintainer' }));
    expect(classifyTrigger(chatter, cfg, pending).kind).toBe('skip');
    expect(approvalGesture(chatter, cfg)).toBeUndefined();
  });

  it("a maintainer's own request while one is held runs as theirs", async () => {
    const mine = event('issue_comment', issueComment({ body: '@openhands do it differently', sender: 'maintainer', number: 7 }));
    expect(await run(mine, pending)).toEqual({ kind: 'run', why: 'maintainer mentioned @openhands' });
  });
});

describe('resolveApproval', () => {
  const text = '@openhands please fix the crash';
  it('runs the text as GitHub has it, if unchanged since it was held', () => {
    expect(resolveApproval(held, { state: 'found', text, author: 'eve', url: 'u' }, 'maintainer')).toEqual({
      ok: true,
      request: { kind: 'issue_comment', number: 7, url: 'u', text, author: 'eve', approver: 'maintainer' },
    });
    // Line endings do not make it a different text; any other change does.
    expect(digestOf('a\r\nb')).toBe(digestOf('a\nb'));
    expect(digestOf('a b')).not.toBe(digestOf('a  b'));
  });

  it('reports a deleted or since-edited request instead of running it', () => {
    expect(resolveApproval(held, { state: 'gone' }, 'm')).toEqual({ ok: false, why: "@eve's comment was deleted after it was held, so nothing was run" });
    expect(resolveApproval(held, { state: 'found', text: `${text} and delete the repo`, author: 'eve', url: 'u' }, 'm')).toEqual({
      ok: false,
      why: "@eve's comment was edited after it was held, so nothing was run; the new text needs a new request",
    });
  });
});

describe('approval in the comment and the marker', () => {
  it('says in one line how to approve, and then who approved', () => {
    const line = approvalLine(pending, cfg);
    expect(line).toBe(`@eve's [request](${held.url}) needs a maintainer's approval: add the label \`openhands\` or reply \`@openhands approve\`.`);
    expect(line).not.toContain('\n');
    expect(approvalLine({ held, approvedBy: 'owner' }, cfg)).toBe(`Approved by @owner: running @eve's [request](${held.url}).`);
  });

  it('round-trips through the marker, and a damaged approval is dropped', () => {
    const report: Report = sampleReport({ key: 'k', status: 'awaiting_approval', final: true, startedAt: NOW, updatedAt: NOW, actor: 'eve', approval: pending });
    expect(parseMarker(renderComment(report), 'k')?.approval).toEqual(pending);
    expect(parseMarker(renderComment({ ...report, approval: undefined }), 'k')).not.toHaveProperty('approval');
    const damaged = { ...JSON.parse(JSON.stringify(parseMarker(renderComment(report), 'k'))), approval: { held: { ...held, id: 'x' } } };
    const body = `${markerFor('k')} state="${Buffer.from(JSON.stringify(damaged)).toString('base64url')}" -->`;
    expect(parseMarker(body, 'k')).toMatchObject({ status: 'awaiting_approval' });
    expect(parseMarker(body, 'k')).not.toHaveProperty('approval');
    expect(parseApproval({ held: { ...held, kind: 'body', id: undefined }, approvedBy: 'o' })).toMatchObject({ approvedBy: 'o' });
  });
});

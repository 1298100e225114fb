/**
 * The report as markdown (the comment body without its marker, and the job summary). It leads
 * with what a maintainer wants: the status line, the start progress, the agent's pull request,
 * the cost and the final message; raw service states and ids are folded into "Run details".
 */
import { GITHUB_COMMENT_LIMIT, MARKER_PREFIX } from '../constants.js';
import { conversationUrl, type Report } from '../report.js';
import { approvalLine } from '../approval.js';
import { agentStopped, code, guidance, phaseLine, statusLine } from './status.js';

export interface MarkdownOptions {
  /** characters the text may use (the marker and GitHub's limit take the rest) */
  readonly limit?: number;
  /** unfold "Run details" (the job summary, read once, after the fact) */
  readonly detailsOpen?: boolean;
}

/** Neutralises text that could forge our marker or break out of the comment layout. */
export function neutralize(text: string): string {
  return text.split(MARKER_PREFIX).join('&lt;!-- openhands-cloud-action');
}

function money(cost: number): string {
  return `$${cost < 0.01 && cost > 0 ? cost.toFixed(4) : cost.toFixed(2)}`;
}

function prLink(r: Report, n: number): string {
  return `[${r.repo}#${n}](${r.serverUrl}/${r.repo}/pull/${n})`;
}

/** The agent's PR; its URL comes from agent output, so only a plain pull-request URL is linked. */
function agentPrLink(r: Report, pr: { readonly number: number; readonly url: string }): string {
  const m = /^https:\/\/[^\s/()<>[\]"'`]+\/([\w.-]+\/[\w.-]+)\/pull\/(\d+)$/.exec(pr.url);
  return m ? `[${m[1]}#${m[2]}](${pr.url})` : prLink(r, pr.number);
}

function costText(r: Report): string | undefined {
  if (r.cost === undefined && r.tokens === undefined) return undefined;
  const tokens = r.tokens !== undefined ? `${r.tokens.toLocaleString('en-US')} tokens` : '';
  if (r.cost === undefined) return `**Usage:** ${tokens}`;
  const spent = r.maxCost !== undefined ? `${money(r.cost)} / ${money(r.maxCost)}` : money(r.cost);
  const shown = r.status === 'over_budget' ? `**${spent}**, over the cap` : spent;
  return `**Cost:** ${[shown, tokens].filter(Boolean).join(' · ')}`;
}

/** The facts under the status line, one per list item. */
function facts(r: Report): string[] {
  const items: string[] = [];
  if (r.agentPr) items.push(`**Pull request opened by the agent:** ${agentPrLink(r, r.agentPr)}`);
  else if (agentStopped(r)) items.push('**Pull request opened by the agent:** none');
  const cost = costText(r);
  if (cost) items.push(cost);
  const on = r.prNumbers ?? [];
  if (on.length) items.push(`**Triggered on:** pull request ${on.map((n) => prLink(r, n)).join(', ')}`);
  return items;
}

/** Conversation, run and who asked (not for skipped or held runs, which have no conversation). */
function linksLine(r: Report, conversation: string | undefined): string {
  const parts: string[] = [];
  if (conversation) parts.push(`**[Open the conversation](${conversation})**`);
  else if (!r.final) parts.push('_conversation link once OpenHands accepts the start_');
  parts.push(`workflow run [#${r.runId}${r.runAttempt > 1 ? ` (attempt ${r.runAttempt})` : ''}](${r.runUrl})`);
  if (r.approval?.approvedBy) parts.push(`requested by @${r.approval.held.author}, approved by @${r.approval.approvedBy}`);
  else if (r.followUpText === undefined) parts.push(`requested by @${r.actor}`); // a follow-up names its sender below
  return parts.join(' · ');
}

function detailsBlock(r: Report, open: boolean): string {
  const item = (k: string, v: string | undefined, id?: string): string[] => (v ? [`- ${k}: ${code(v)}${id ? ` · ${code(id)}` : ''}`] : []);
  const rows = [
    `- Status: ${code(r.status)}${r.final ? '' : ' (still updating)'}`,
    ...item('Conversation', r.conversationId),
    ...item('Start task', r.startTaskStatus, r.startTaskId),
    ...item('Sandbox', r.sandboxStatus, r.sandboxId),
    ...item('Agent', r.executionStatus),
    ...item('Comment key', r.key),
    ...(r.queue && (r.queue.waitedMs > 0 || r.queue.paused.length)
      ? [`- Sandbox queue: waited ${Math.round(r.queue.waitedMs / 1000)} s (max-sandboxes ${r.queue.limit})${r.queue.paused.length ? `; paused ${r.queue.paused.length} finished conversation(s) of this action to make room` : ''}`]
      : []),
    ...(r.spent ? [`- OpenHands requests: ${code(String(r.spent.requests))}${r.spent.tooMany ? ` (${r.spent.tooMany} answered 429: the account's 100 a minute were used up)` : ''}`] : []),
  ];
  return `<details${open ? ' open' : ''}><summary>Run details</summary>\n\n${rows.join('\n')}\n\n</details>`;
}

/** The agent's answer as a quote (set apart from our text), cut to the budget at a line end. */
function messageBlock(message: string, budget: number): string {
  const text = neutralize(message.trim());
  let quoted = text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
  let note = '';
  if (quoted.length > budget) {
    quoted = quoted.slice(0, Math.max(0, budget)).replace(/\n[^\n]*$/, '');
    note = '\n\n_… truncated here; the whole message is in the step output `final-message`._';
  }
  const long = text.length > 600 || text.split('\n').length > 12;
  if (!long) return `**Final message**\n\n${quoted}${note}`;
  return `<details><summary><b>Final message</b> (${message.length.toLocaleString('en-US')} characters)</summary>\n\n${quoted}${note}\n\n</details>`;
}

function previousBlock(r: Report): string {
  if (r.previous.length === 0) return '';
  const items = r.previous.map(
    (p) =>
      `- [\`${p.conversationId.slice(0, 8)}\`](${conversationUrl(r.baseUrl, p.conversationId)}): ${p.status.replace(/_/g, ' ')}${p.runUrl ? ` ([run](${p.runUrl}))` : ''}`,
  );
  return `<details><summary>Earlier conversations (${r.previous.length})</summary>\n\n${items.join('\n')}\n\n</details>`;
}

/** The body of the report in markdown, without the marker (also the job summary). */
export function renderReportMarkdown(r: Report, opts: MarkdownOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT - 2000;
  const conversation = r.conversationId ? conversationUrl(r.baseUrl, r.conversationId) : undefined;
  const parts = [statusLine(r)];
  if (r.status === 'awaiting_approval') parts.push(approvalLine(r.approval, r.approvalHow && { label: r.approvalHow.label, triggerPhrase: r.approvalHow.phrase }));
  else if (r.status !== 'skipped') parts.push(linksLine(r, conversation));
  const phases = phaseLine(r);
  if (phases) parts.push(phases);
  if (r.followUpText !== undefined) parts.push(`Sent @${r.actor}'s new request to the conversation that was still open.`);
  if (r.loopNote && r.status !== 'skipped' && r.status !== 'awaiting_approval') parts.push(r.loopNote);
  const items = facts(r);
  if (items.length) parts.push(items.map((i) => `- ${i}`).join('\n'));
  if (r.error) parts.push(`**What went wrong**\n\n\`\`\`text\n${neutralize(r.error).replace(/```/g, "'''")}\n\`\`\``);
  const advice = guidance(r, { conversation });
  if (advice) parts.push(advice);
  if (r.skipReason) parts.push(`**Skipped:** ${neutralize(r.skipReason)}`);
  const tail = [r.status === 'skipped' ? '' : detailsBlock(r, opts.detailsOpen ?? false), previousBlock(r)].filter(Boolean);
  if (r.finalMessage) {
    const used = parts.join('\n\n').length + tail.join('\n\n').length + 400;
    parts.push(messageBlock(r.finalMessage, limit - used));
  }
  parts.push(...tail);
  return parts.join('\n\n');
}

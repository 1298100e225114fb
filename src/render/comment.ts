/**
 * The sticky comment and the job summary, rendered from a Report by pure functions. The hidden
 * marker carries the comment-key and a small state (conversation, run, status, history) that
 * later runs read back to re-attach, follow up, or link the previous conversation.
 */
import { parseApproval, type ApprovalState } from '../approval.js';
import { GITHUB_COMMENT_LIMIT, MARKER_PREFIX } from '../constants.js';
import { formatDuration } from '../duration.js';
import { conversationUrl, type PastConversation, type Report, type RunStatus } from '../report.js';
import { START_PHASES } from '../openhands/types.js';

export interface MarkerState {
  readonly v: 1;
  readonly conversationId?: string;
  readonly startTaskId?: string;
  readonly sandboxId?: string;
  readonly followUp?: 'pending' | 'sent';
  readonly status: RunStatus;
  readonly final: boolean;
  readonly runId: string;
  readonly runAttempt: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly previous: readonly PastConversation[];
  /** untrusted=ask: the outsider's request held for approval, and who approved it */
  readonly approval?: ApprovalState;
}

const MAX_PREVIOUS = 10;

const HEADLINE: Record<RunStatus, string> = {
  pending: '⏳ Starting',
  started: '🚀 Started',
  ready: '🟢 Ready: the agent is working',
  finished: '✅ Finished',
  error: '❌ Failed',
  stuck: '⚠️ Stuck',
  waiting_for_confirmation: '✋ Waiting for confirmation',
  timed_out: '⌛ Timed out',
  cancelled: '🚫 Cancelled',
  skipped: '⏭️ Skipped',
  followed_up: '💬 Follow-up sent',
  awaiting_approval: '🔒 Waiting for a maintainer\'s approval',
  interrupted: '⏸️ Interrupted',
  over_budget: '💸 Over budget',
};

export function markerFor(key: string): string {
  return `${MARKER_PREFIX} key="${escapeAttr(key)}"`;
}

export function markerState(r: Report): MarkerState {
  return {
    v: 1,
    conversationId: r.conversationId,
    startTaskId: r.startTaskId || undefined,
    sandboxId: r.sandboxId,
    followUp: r.followUp,
    status: r.status,
    final: r.final,
    runId: r.runId,
    runAttempt: r.runAttempt,
    startedAt: r.startedAt,
    updatedAt: r.updatedAt,
    previous: r.previous.slice(0, MAX_PREVIOUS),
    ...(r.approval ? { approval: r.approval } : {}),
  };
}

/** Reads the marker state back from a comment body of this key; undefined when absent or damaged. */
export function parseMarker(body: string, key: string): MarkerState | undefined {
  // Our comments open with the marker; one quoted inside other text (an echo bot) does not count.
  if (!body.startsWith(markerFor(key) + ' ')) return undefined;
  const m = /^[^\n]*? state="([A-Za-z0-9_-]*)" -->/.exec(body);
  if (!m) return undefined;
  try {
    const s = JSON.parse(Buffer.from(m[1] as string, 'base64url').toString('utf8')) as MarkerState;
    if (!(s && s.v === 1 && typeof s.runId === 'string')) return undefined;
    // A damaged approval is dropped, not trusted: nothing is approved from it.
    const { approval, ...rest } = s;
    const checked = parseApproval(approval);
    return checked ? { ...rest, approval: checked } : rest;
  } catch {
    return undefined;
  }
}

function phaseText(r: Report): string {
  const s = r.startTaskStatus;
  if (!s) return r.status === 'pending' ? 'sending the start request' : 'start accepted';
  const i = START_PHASES.indexOf(s as (typeof START_PHASES)[number]);
  const label = s.toLowerCase().replace(/_/g, ' ');
  return i >= 0 && s !== 'READY' ? `${label} (${i + 1}/${START_PHASES.length - 1})` : label;
}

function statusLine(r: Report): string {
  // A final 'started' or 'ready' is where this workflow stopped watching, not where the agent is.
  const handedOff = r.final ? '; this workflow does not wait further: follow the conversation link' : '';
  switch (r.status) {
    case 'pending':
    case 'started':
      return r.final ? `start accepted${handedOff}` : `starting: ${phaseText(r)}`;
    case 'ready':
      return `${r.executionStatus ? `agent ${r.executionStatus.replace(/_/g, ' ')}` : 'conversation ready, the agent is working'}${handedOff}`;
    case 'followed_up':
      return 'message sent to the running conversation';
    default:
      return r.status.replace(/_/g, ' ');
  }
}

function money(cost: number): string {
  return `$${cost < 0.01 && cost > 0 ? cost.toFixed(4) : cost.toFixed(2)}`;
}

/** Neutralises text that could forge our marker or break out of the comment layout. */
function neutralize(text: string): string {
  return text.split(MARKER_PREFIX).join('&lt;!-- openhands-cloud-action');
}

function tableRows(r: Report): string[][] {
  const rows: string[][] = [['Status', statusLine(r)]];
  rows.push(['Elapsed', formatDuration(r.updatedAt - r.startedAt)]);
  if (r.startTaskStatus) rows.push(['Start task', `\`${r.startTaskStatus}\``]);
  if (r.sandboxStatus) rows.push(['Sandbox', `\`${r.sandboxStatus}\``]);
  if (r.cost !== undefined || r.tokens !== undefined) {
    rows.push([
      'Usage',
      [r.cost !== undefined ? money(r.cost) : '', r.tokens !== undefined ? `${r.tokens.toLocaleString('en-US')} tokens` : '']
        .filter(Boolean)
        .join(' · '),
    ]);
  }
  for (const n of r.prNumbers ?? []) rows.push(['Pull request', `[${r.repo}#${n}](${r.serverUrl}/${r.repo}/pull/${n})`]);
  rows.push(['Workflow run', `[#${r.runId}${r.runAttempt > 1 ? ` (attempt ${r.runAttempt})` : ''}](${r.runUrl})`]);
  return rows;
}

function table(rows: string[][]): string {
  return ['| | |', '|---|---|', ...rows.map(([k, val]) => `| ${k} | ${(val ?? '').replace(/\|/g, '\\|')} |`)].join('\n');
}

function messageBlock(message: string, budget: number): string {
  let text = neutralize(message.trim());
  let note = '';
  if (text.length > budget) {
    text = text.slice(0, Math.max(0, budget)).replace(/\n[^\n]*$/, '');
    note = '\n\n_… truncated here; the whole message is in the step output `final-message`._';
  }
  const long = text.length > 600 || text.split('\n').length > 12;
  if (!long) return `**Final message**\n\n${text}${note}`;
  return `<details><summary><b>Final message</b> (${message.length.toLocaleString('en-US')} characters)</summary>\n\n${text}${note}\n\n</details>`;
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
export function renderReportMarkdown(r: Report, limit = GITHUB_COMMENT_LIMIT - 2000): string {
  const headline = r.status === 'started' && !r.final ? HEADLINE.pending : HEADLINE[r.status];
  const head = [`### OpenHands · ${headline}`];
  if (r.conversationId) {
    head.push(`**Conversation:** ${conversationUrl(r.baseUrl, r.conversationId)}`);
  } else if (r.status !== 'skipped') {
    head.push('**Conversation:** _starting…_');
  }
  if (r.followUpText !== undefined) head.push(`Sent @${r.actor}'s new request to the conversation that was still open.`);
  const parts = [head.join('\n\n'), table(tableRows(r))];
  if (r.error) parts.push(`**What went wrong**\n\n\`\`\`text\n${neutralize(r.error).replace(/```/g, "'''")}\n\`\`\``);
  if (r.skipReason) parts.push(`**Skipped:** ${neutralize(r.skipReason)}`);
  const tail = previousBlock(r);
  if (r.finalMessage) {
    const used = parts.join('\n\n').length + tail.length + 400;
    parts.push(messageBlock(r.finalMessage, limit - used));
  }
  if (tail) parts.push(tail);
  return parts.join('\n\n');
}

export function renderComment(r: Report): string {
  const state = Buffer.from(JSON.stringify(markerState(r))).toString('base64url');
  const body = `${markerFor(r.key)} state="${state}" -->\n${renderReportMarkdown(r)}`;
  return body.length <= GITHUB_COMMENT_LIMIT ? body : body.slice(0, GITHUB_COMMENT_LIMIT);
}

function escapeAttr(s: string): string {
  return s.replace(/["<>&-]/g, (c) => `&#${c.charCodeAt(0)};`);
}

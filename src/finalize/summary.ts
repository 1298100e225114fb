/** The job summary of a finalize run: what it finalized, what still works, with links. */
import { formatDuration } from '../duration.js';
import { code, statusLine } from '../render/status.js';
import { conversationUrl, type Report } from '../report.js';

export interface Outcome {
  /** finalized: brought to its end now; running: still working (refreshed); skipped: left to another writer; failed: to retry */
  readonly kind: 'finalized' | 'running' | 'skipped' | 'failed';
  readonly report: Report;
  readonly issueNumber: number;
  readonly commentUrl: string;
  readonly why?: string;
}

const money = (c: number | undefined): string => (c === undefined ? '' : ` · $${c.toFixed(2)}`);

function row(o: Outcome): string {
  const r = o.report;
  const conversation = r.conversationId ? `[${r.conversationId.slice(0, 8)}](${conversationUrl(r.baseUrl, r.conversationId)})` : '';
  const state =
    o.kind === 'running'
      ? `working for ${formatDuration(Math.max(0, r.updatedAt - r.startedAt))}${money(r.cost)}`
      : `${statusLine(r).replace(/^### OpenHands · /, '')}${money(r.cost)}`;
  return `| [#${o.issueNumber}](${o.commentUrl}) | ${conversation} | ${state.replace(/\|/g, '\\|')}${o.why ? ` (${o.why.replace(/\|/g, '\\|')})` : ''} |`;
}

function table(title: string, items: readonly Outcome[]): string {
  if (!items.length) return '';
  return `**${title} (${items.length})**\n\n| Comment | Conversation | State |\n|---|---|---|\n${items.map(row).join('\n')}`;
}

export function renderFinalizeSummary(outcomes: readonly Outcome[]): string {
  const of = (k: Outcome['kind']): Outcome[] => outcomes.filter((o) => o.kind === k);
  const head = `### OpenHands · Finalize: ${of('finalized').length} finalized, ${of('running').length} still running`;
  if (!outcomes.length) return `${head}\n\nNo status comment of this repository waits for an agent that was still working: nothing to do (no OpenHands request made).`;
  return [
    head,
    table('Finalized', of('finalized')),
    table('Still running (left for the next finalize run)', of('running')),
    table('Left to another writer', of('skipped')),
    table(`Could not be finalized (${code('retried next run')})`, of('failed')),
  ]
    .filter(Boolean)
    .join('\n\n');
}

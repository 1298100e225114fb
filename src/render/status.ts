/**
 * What the comment says about the run's status: the one status line, the start progress, and
 * what a reader should do next. Everything is derived from `status` and `final` alone, so the
 * line can never disagree with the status (the raw service states live in the details block).
 */
import { formatDuration } from '../duration.js';
import type { StartPhase } from '../openhands/types.js';
import { queuedLine, type Report } from '../report.js';
import { handedOver, headline, STATUS } from '../status.js';

/** The run followed the agent until it stopped, so "no pull request" is a fact, not a guess. */
export function agentStopped(r: Report): boolean {
  if (!r.final) return false;
  const stopped = STATUS[r.status].agentStopped;
  // An error counts only when the agent itself ended in it (not a failed start or request).
  return stopped === 'if-agent-errored' ? r.executionStatus === 'error' : stopped;
}

/** `### OpenHands · ✅ Finished · 12m 5s` */
export function statusLine(r: Report): string {
  const elapsed = STATUS[r.status].elapsed ? ` · ${formatDuration(Math.max(0, r.updatedAt - r.startedAt))}` : '';
  return `### OpenHands · ${headline(r)}${elapsed}`;
}

/** The start task's phases, grouped as a reader thinks of them. */
// `satisfies`: every phase named here is one the service emits (START_PHASES).
const STEPS: readonly { readonly name: string; readonly phases: Readonly<Record<string, string>> }[] = [
  { name: 'sandbox', phases: { WORKING: '', WAITING_FOR_SANDBOX: '' } },
  { name: 'repository', phases: { PREPARING_REPOSITORY: '' } },
  { name: 'setup', phases: { RUNNING_SETUP_SCRIPT: 'setup script', SETTING_UP_GIT_HOOKS: 'git hooks', SETTING_UP_SKILLS: 'skills' } },
  { name: 'conversation', phases: { STARTING_CONVERSATION: '' } },
] satisfies readonly { name: string; phases: Partial<Record<StartPhase, string>> }[];

/** `✓ sandbox · ✓ repository · ◐ setup (git hooks) · ◌ conversation`, only while starting. */
export function phaseLine(r: Report): string | undefined {
  if (r.final || (r.status !== 'pending' && r.status !== 'started')) return undefined;
  if (r.queue?.waiting) return `⏳ **${queuedLine(r.queue.inUse, r.queue.limit)}** (max-sandboxes ${r.queue.limit}): starting as soon as one is free`;
  const phase = r.startTaskStatus ?? 'WORKING';
  const current = STEPS.findIndex((s) => phase in s.phases);
  if (current < 0 && phase !== 'READY') return `starting: \`${phase}\``; // a phase this version does not know
  return STEPS.map((s, i) => {
    if (current < 0 || i < current) return `✓ ${s.name}`;
    if (i > current) return `◌ ${s.name}`;
    const sub = s.phases[phase];
    return `**◐ ${s.name}${sub ? ` (${sub})` : ''}**`;
  }).join(' · ');
}

/** What happened and what to do, for the statuses that need more than their status line. */
export function guidance(r: Report, links: { readonly conversation?: string }): string | undefined {
  const resume = links.conversation ? `[resume it in the OpenHands web app](${links.conversation})` : `resume it in the [OpenHands web app](${r.baseUrl})`;
  const rerun = `[re-run the workflow](${r.runUrl})`;
  if (handedOver(r) && r.finalizeLater) {
    return "This workflow stopped watching here: **a scheduled finalize run posts the agent's result in this comment** when the agent ends. Until then, follow the conversation link.";
  }
  if (handedOver(r)) {
    return "This workflow stopped watching here: **follow the conversation link** for the agent's progress and result.";
  }
  switch (r.status) {
    case 'interrupted':
      return [
        '**Why:** OpenHands paused (or lost) the sandbox while the agent was working, typically because the account has too many running sandboxes (the service pauses the oldest ones beyond about 10). The agent does not go on by itself.',
        `**What to do:** ${resume}, or ${rerun}.`,
      ].join('\n\n');
    case 'over_budget':
      return `**What to do:** raise \`max-cost\` and ${rerun}, or ${resume}.`;
    case 'timed_out':
      return r.sandboxStatus === 'PAUSED'
        ? `The sandbox was paused so it stops costing money (\`on-timeout: pause\`). To continue, ${resume}.`
        : 'The sandbox was **left running** (`on-timeout: keep`, or it was not up yet): the agent may still be working; follow the conversation link.';
    case 'waiting_for_confirmation':
      return 'The agent waits for someone to confirm an action: open the conversation to confirm or reject it.';
    default:
      return undefined;
  }
}

/** Inline code that survives backticks inside the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ` ${text} ` : text}${fence}`;
}

/**
 * Finds the pull request the agent opened, from its events. `pr_number` on the conversation never
 * records it (reference [api: pr-number]), so the agent's own words are the evidence: tool output (what
 * `gh pr create` or the GitHub API printed), the agent's messages and its finish message.
 * Pure: no I/O.
 */
import type { AgentPullRequest } from '../report.js';

export interface FindPullRequestOptions {
  /** GitHub web URL, `https://github.com` or a GHES host (GITHUB_SERVER_URL) */
  readonly serverUrl: string;
  /** the target repository, `owner/name`; PRs of other repositories are ignored */
  readonly repository: string;
  /** PR numbers that are not the agent's (e.g. the PR the run was triggered on) */
  readonly exclude?: readonly number[];
  /** the agent's final response from elsewhere (getAgentFinalResponse): counts as its newest message */
  readonly finalMessage?: string;
}

/** The event fields read here (a subset of the SDK event shapes, [api: events]). */
export interface PrEvent {
  readonly id?: string;
  readonly kind?: string;
  readonly source?: string | null;
  readonly timestamp?: string | null;
  readonly [key: string]: unknown;
}

/**
 * How strongly an event says "this PR is the agent's": the output of a PR-creating command beats
 * the agent's own words, which beat any other tool output (a `gh pr view` of an older PR, say).
 */
const Tier = { Other: 1, Said: 2, Created: 3 } as const;
type Tier = (typeof Tier)[keyof typeof Tier];

const CREATE_COMMAND = /\bgh\s+pr\s+create\b|\bhub\s+pull-request\b/i;
/** A POST to `/pulls` (curl, gh api): both on one line, in either order (two scans: one pattern with `[^\n]*` between is quadratic). */
const PULLS = /\/pulls\b/i;
const POST = /-X\s*POST|--method\s+POST/i;
const createsPr = (text: string): boolean => CREATE_COMMAND.test(text) || text.split('\n').some((l) => PULLS.test(l) && POST.test(l));
const CREATE_TOOL = /create[_-]?(?:pull[_-]?request|pr)\b/i;
/** Read-only PR commands whose output names PRs the agent did not open. */
const READ_COMMAND = /\bgh\s+pr\s+(?:view|list|diff|checks|status|checkout)\b|\bgh\s+search\b/i;

interface Candidate {
  readonly number: number;
  readonly tier: Tier;
  readonly timestamp: string;
  readonly order: number;
}

/** The newest PR of `repository` in the strongest kind of evidence, or null. */
export function agentPrInEvents(events: readonly PrEvent[], opts: FindPullRequestOptions): AgentPullRequest | null {
  const server = normaliseServer(opts.serverUrl);
  const repo = opts.repository.toLowerCase();
  const exclude = new Set(opts.exclude ?? []);
  const actions = new Map<string, PrEvent>();
  for (const e of events) if (e.kind === 'ActionEvent' && typeof e.id === 'string') actions.set(e.id, e);

  let best: Candidate | null = null;
  for (const [order, event] of events.entries()) {
    const found = evidence(event, actions);
    if (!found) continue;
    const numbers = prNumbers(found.texts, server, repo).filter((n) => !exclude.has(n));
    if (numbers.length === 0) continue;
    // several PRs in one text: numbers grow over time, so the highest is the newest
    const candidate: Candidate = { number: Math.max(...numbers), tier: found.tier, timestamp: event.timestamp ?? '', order };
    if (!best || better(candidate, best)) best = candidate;
  }
  const final = opts.finalMessage ? prNumbers([opts.finalMessage], server, repo).filter((n) => !exclude.has(n)) : [];
  if (final.length > 0 && (!best || best.tier <= Tier.Said)) best = { number: Math.max(...final), tier: Tier.Said, timestamp: '', order: events.length };
  if (!best) return null;
  return { number: best.number, url: `${server.web}/${opts.repository}/pull/${best.number}` };
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.tier !== b.tier) return a.tier > b.tier;
  if (a.timestamp !== b.timestamp && a.timestamp && b.timestamp) return a.timestamp > b.timestamp;
  return a.order > b.order;
}

/** The texts of one event that may name a PR, and how much they count; null for other events. */
function evidence(e: PrEvent, actions: ReadonlyMap<string, PrEvent>): { texts: string[]; tier: Tier } | null {
  if (e.source === 'user') return null; // the prompt names the trigger, not the agent's PR
  if (e.kind === 'MessageEvent' && e.source === 'agent') {
    const content = (e.llm_message as { content?: unknown } | undefined)?.content;
    return { texts: strings(content), tier: Tier.Said };
  }
  if (e.kind === 'ActionEvent' && e.tool_name === 'finish') {
    return { texts: strings((e.action as { message?: unknown } | undefined)?.message), tier: Tier.Said };
  }
  if (e.kind === 'ObservationEvent') {
    const action = typeof e.action_id === 'string' ? actions.get(e.action_id) : undefined;
    const command = action ? strings(action.action).join('\n') : '';
    const tool = String(e.tool_name ?? action?.tool_name ?? '');
    if (tool === 'finish') return null; // echoes the finish message, already counted
    let tier: Tier = Tier.Other;
    if (CREATE_TOOL.test(tool) || createsPr(command)) tier = Tier.Created;
    else if (READ_COMMAND.test(command)) return null;
    return { texts: strings(e.observation), tier };
  }
  return null;
}

/** Every string inside a JSON value (observation shapes differ by tool and SDK version). */
function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value);
  else if (depth < 8 && Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (depth < 8 && value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out, depth + 1);
  return out;
}

interface Server {
  /** `https://host[/prefix]`, no trailing slash */
  readonly web: string;
  readonly patterns: RegExp[];
}

function normaliseServer(serverUrl: string): Server {
  const u = new URL(serverUrl);
  const path = u.pathname.replace(/(?<!\/)\/+$/, '');
  const web = `${u.protocol}//${u.host}${path}`;
  const host = escape(u.host) + escape(path);
  const name = '([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)';
  const api = u.host.toLowerCase() === 'github.com' ? 'api\\.github\\.com' : `${host}/api/v3`;
  return {
    web,
    patterns: [
      new RegExp(`https?://(?:www\\.)?${host}/${name}/pull/(\\d+)(?![\\w-])`, 'gi'),
      // the REST API's own URL for the same PR (curl / gh api output)
      new RegExp(`https?://${api}/repos/${name}/pulls/(\\d+)(?![\\w-])`, 'gi'),
    ],
  };
}

function prNumbers(texts: readonly string[], server: Server, repo: string): number[] {
  const out: number[] = [];
  for (const text of texts) {
    for (const re of server.patterns) {
      for (const m of text.matchAll(re)) {
        if (`${m[1]}/${m[2]}`.toLowerCase() !== repo) continue;
        const n = Number(m[3]);
        if (Number.isSafeInteger(n) && n > 0) out.push(n);
      }
    }
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

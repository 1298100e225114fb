/**
 * The pull request the agent opened, found after the fact: among the repository's pull requests
 * created since the run began, one that names the conversation (its link or id, in the text or
 * the head branch) or references the issue; else a cross-reference on the issue's timeline.
 * Reads a bounded number of pages, newest first.
 */
import type { AgentPullRequest } from '../report.js';
import { github } from './errors.js';
import type { Octokit } from './octokit.js';

export interface PullRequestLookup {
  readonly owner: string;
  readonly repo: string;
  /** PRs created before this (epoch ms) are not the agent's */
  readonly since: number;
  readonly issueNumber?: number;
  readonly conversationId?: string;
  readonly conversationUrl?: string;
  /** pages of 50 to read, per source; default 2 */
  readonly maxPages?: number;
}


interface PullLike {
  number: number;
  html_url: string;
  created_at: string;
  title: string;
  body?: string | null;
  head?: { ref?: string };
}

/** `#42`, `Fixes #42`, `o/r#42`, the issue's URL; not `#420`. */
function referencesIssue(text: string, l: PullRequestLookup): boolean {
  const n = l.issueNumber;
  if (n === undefined) return false;
  const ref = new RegExp(`(^|[^\\w&/])(${escape(`${l.owner}/${l.repo}`)})?#${n}(?!\\d)`, 'i');
  const url = new RegExp(`/${escape(`${l.owner}/${l.repo}`)}/issues/${n}(?!\\d)`, 'i');
  return ref.test(text) || url.test(text);
}

function namesConversation(pr: PullLike, l: PullRequestLookup): boolean {
  const text = `${pr.title}\n${pr.body ?? ''}`.toLowerCase();
  const branch = (pr.head?.ref ?? '').toLowerCase();
  const id = l.conversationId?.toLowerCase();
  const ids = id ? [id, id.replace(/-/g, '')] : [];
  if (l.conversationUrl && text.includes(l.conversationUrl.toLowerCase())) return true;
  return ids.some((i) => text.includes(i) || branch.includes(i));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** GitHub's timestamps are whole seconds: a PR opened in the run's first second reads as before it. */
const createdSince = (iso: string | undefined, since: number): boolean => Date.parse(iso ?? '') >= since - 1000;

export async function agentPrInPullRequests(octokit: Octokit, l: PullRequestLookup): Promise<AgentPullRequest | undefined> {
  const maxPages = l.maxPages ?? 2;
  const where = `${l.owner}/${l.repo}`;
  const fresh: PullLike[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const { data } = await github(`listing pull requests of ${where}`, () =>
      octokit.rest.pulls.list({ owner: l.owner, repo: l.repo, state: 'all', sort: 'created', direction: 'desc', per_page: 50, page }),
    );
    const recent = data.filter((p) => createdSince(p.created_at, l.since));
    fresh.push(...recent);
    if (data.length < 50 || recent.length < data.length) break;
  }
  // The conversation's own traces are the strongest evidence; an issue reference comes next.
  const pick = fresh.find((p) => namesConversation(p, l)) ?? fresh.find((p) => referencesIssue(`${p.title}\n${p.body ?? ''}`, l));
  if (pick) return { number: pick.number, url: pick.html_url };
  return l.issueNumber === undefined ? undefined : fromTimeline(octokit, l, maxPages);
}

interface TimelineEvent {
  event?: string;
  created_at?: string;
  source?: { issue?: { number: number; html_url: string; pull_request?: unknown; repository?: { full_name?: string } } };
}

/** A PR in this repository that cross-referenced the issue since the run began. */
async function fromTimeline(octokit: Octokit, l: PullRequestLookup, maxPages: number): Promise<AgentPullRequest | undefined> {
  const where = `${l.owner}/${l.repo}#${l.issueNumber}`;
  let found: AgentPullRequest | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const { data } = await github(`reading the timeline of ${where}`, () =>
      octokit.rest.issues.listEventsForTimeline({ owner: l.owner, repo: l.repo, issue_number: l.issueNumber as number, per_page: 50, page }),
    );
    for (const e of data as TimelineEvent[]) {
      const issue = e.source?.issue;
      const repoName = issue?.repository?.full_name;
      const sameRepo = !repoName || repoName.toLowerCase() === `${l.owner}/${l.repo}`.toLowerCase();
      if (e.event === 'cross-referenced' && issue?.pull_request && sameRepo && createdSince(e.created_at, l.since)) {
        found = { number: issue.number, url: issue.html_url }; // oldest first: keep the newest
      }
    }
    if (data.length < 50) break;
  }
  return found;
}

/** The GitHub fake's JSON: stored objects rendered in the shapes the REST API answers with. */
import { notFound } from './http.ts';
import {
  GITHUB_ACTIONS_BOT,
  REACTION_CONTENTS,
  fakeRepoId,
  hashId,
  nodeId,
  sha40,
  toUser,
  type FakeCheckRun,
  type FakeComment,
  type FakeIssue,
  type FakeReaction,
  type FakeUser,
  type ReactionSubject,
} from './model.ts';
import type { Store } from './store.ts';

export type Render = ReturnType<typeof createRender>;

export function createRender(s: Store) {
  const { state, serverUrl, findIssue, associationOf } = s;

  const userJson = (u: FakeUser, apiBase: string) => ({
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === 'Bot' ? 'BOT' : u.type === 'Organization' ? 'O' : 'U', u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url: `${apiBase}/users/${encodeURIComponent(u.login)}`,
    html_url: `${serverUrl}/${u.type === 'Bot' ? 'apps/' + u.login.replace(/\[bot\]$/, '') : u.login}`,
    type: u.type,
    user_view_type: 'public',
    site_admin: false,
  });

  function repoJson(fullName: string, apiBase: string) {
    const r = state.repos.get(fullName.toLowerCase()) ?? {
      full_name: fullName,
      id: fakeRepoId(fullName),
      default_branch: 'main',
      private: false,
    };
    const [owner = '', name = ''] = r.full_name.split('/');
    const api = `${apiBase}/repos/${r.full_name}`;
    return {
      id: r.id,
      node_id: nodeId('R', r.id),
      name,
      full_name: r.full_name,
      private: r.private,
      owner: userJson(toUser(owner, GITHUB_ACTIONS_BOT), apiBase),
      html_url: `${serverUrl}/${r.full_name}`,
      description: null,
      fork: false,
      url: api,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      comments_url: `${api}/comments{/number}`,
      clone_url: `${serverUrl}/${r.full_name}.git`,
      default_branch: r.default_branch,
      visibility: r.private ? 'private' : 'public',
      archived: false,
      disabled: false,
      has_issues: true,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      pushed_at: '2024-01-01T00:00:00Z',
    };
  }

  const labelJson = (repo: string, name: string, apiBase: string) => {
    const id = hashId(`label:${repo}:${name}`, 900_000_000);
    return {
      id,
      node_id: nodeId('LA', id),
      url: `${apiBase}/repos/${repo}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    };
  };

  function reactionRollup(url: string, subject: ReactionSubject, subjectId: number, repo: string) {
    const counts: Record<string, number> = {};
    for (const c of REACTION_CONTENTS) counts[c] = 0;
    let total = 0;
    for (const r of state.reactions) {
      if (r.subject === subject && r.subject_id === subjectId && r.repo === repo) {
        counts[r.content] = (counts[r.content] ?? 0) + 1;
        total++;
      }
    }
    return { url: `${url}/reactions`, total_count: total, ...counts };
  }

  function issueHtmlUrl(repo: string, number: number): string {
    const issue = findIssue(repo, number);
    return `${serverUrl}/${repo}/${issue?.pull_request ? 'pull' : 'issues'}/${number}`;
  }

  function commentJson(c: FakeComment, apiBase: string) {
    const url = `${apiBase}/repos/${c.repo}/issues/comments/${c.id}`;
    return {
      url,
      html_url: `${issueHtmlUrl(c.repo, c.issue_number)}#issuecomment-${c.id}`,
      issue_url: `${apiBase}/repos/${c.repo}/issues/${c.issue_number}`,
      id: c.id,
      node_id: c.node_id,
      user: userJson(c.user, apiBase),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: c.author_association,
      body: c.body,
      reactions: reactionRollup(url, 'issue_comment', c.id, c.repo),
      performed_via_github_app: null,
    };
  }

  function issueJson(i: FakeIssue, apiBase: string) {
    const url = `${apiBase}/repos/${i.repo}/issues/${i.number}`;
    const json: Record<string, unknown> = {
      url,
      repository_url: `${apiBase}/repos/${i.repo}`,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: issueHtmlUrl(i.repo, i.number),
      id: i.id,
      node_id: i.node_id,
      number: i.number,
      title: i.title,
      user: userJson(i.user, apiBase),
      labels: i.labels.map((l) => labelJson(i.repo, l, apiBase)),
      state: i.state,
      state_reason: i.state === 'closed' ? 'completed' : null,
      locked: i.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: state.comments.filter((c) => c.repo === i.repo && c.issue_number === i.number).length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: associationOf(i.repo, i.user.login),
      active_lock_reason: null,
      body: i.body,
      reactions: reactionRollup(url, 'issue', i.number, i.repo),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
    };
    if (i.pull_request) {
      json['draft'] = i.pull_request.draft;
      json['pull_request'] = {
        url: `${apiBase}/repos/${i.repo}/pulls/${i.number}`,
        html_url: `${serverUrl}/${i.repo}/pull/${i.number}`,
        diff_url: `${serverUrl}/${i.repo}/pull/${i.number}.diff`,
        patch_url: `${serverUrl}/${i.repo}/pull/${i.number}.patch`,
        merged_at: i.pull_request.merged ? i.updated_at : null,
      };
    }
    return json;
  }

  function pullJson(i: FakeIssue, apiBase: string) {
    const pr = i.pull_request;
    if (!pr) throw notFound();
    const url = `${apiBase}/repos/${i.repo}/pulls/${i.number}`;
    const headRepo = repoJson(pr.head.repo, apiBase);
    const baseRepo = repoJson(i.repo, apiBase);
    const isFork = pr.head.repo.toLowerCase() !== i.repo.toLowerCase();
    const headOwner = pr.head.repo.split('/')[0] ?? '';
    const baseOwner = i.repo.split('/')[0] ?? '';
    return {
      url,
      id: i.id,
      node_id: i.node_id,
      html_url: `${serverUrl}/${i.repo}/pull/${i.number}`,
      diff_url: `${serverUrl}/${i.repo}/pull/${i.number}.diff`,
      patch_url: `${serverUrl}/${i.repo}/pull/${i.number}.patch`,
      issue_url: `${apiBase}/repos/${i.repo}/issues/${i.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      comments_url: `${apiBase}/repos/${i.repo}/issues/${i.number}/comments`,
      number: i.number,
      state: i.state,
      locked: i.locked,
      title: i.title,
      user: userJson(i.user, apiBase),
      body: i.body,
      labels: i.labels.map((l) => labelJson(i.repo, l, apiBase)),
      milestone: null,
      active_lock_reason: null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      merged_at: pr.merged ? i.updated_at : null,
      merge_commit_sha: sha40(`merge:${i.repo}#${i.number}`),
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${headOwner}:${pr.head.ref}`,
        ref: pr.head.ref,
        sha: pr.head.sha,
        user: userJson(toUser(headOwner, GITHUB_ACTIONS_BOT), apiBase),
        repo: { ...headRepo, fork: isFork },
      },
      base: {
        label: `${baseOwner}:${pr.base.ref}`,
        ref: pr.base.ref,
        sha: pr.base.sha,
        user: userJson(toUser(baseOwner, GITHUB_ACTIONS_BOT), apiBase),
        repo: baseRepo,
      },
      author_association: associationOf(i.repo, i.user.login),
      auto_merge: null,
      draft: pr.draft,
      merged: pr.merged,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      comments: state.comments.filter((c) => c.repo === i.repo && c.issue_number === i.number).length,
      review_comments: 0,
      maintainer_can_modify: isFork,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    };
  }

  function reactionJson(r: FakeReaction, apiBase: string) {
    return { id: r.id, node_id: r.node_id, user: userJson(r.user, apiBase), content: r.content, created_at: r.created_at };
  }

  function checkRunJson(c: FakeCheckRun, apiBase: string) {
    const url = `${apiBase}/repos/${c.repo}/check-runs/${c.id}`;
    return {
      id: c.id,
      node_id: nodeId('CR', c.id),
      head_sha: c.head_sha,
      external_id: c.external_id,
      url,
      html_url: `${serverUrl}/${c.repo}/runs/${c.id}`,
      details_url: c.details_url,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.started_at,
      completed_at: c.completed_at,
      output: { ...c.output, annotations_count: 0, annotations_url: `${url}/annotations` },
      name: c.name,
      check_suite: { id: hashId(`suite:${c.repo}:${c.head_sha}`, 900_000_000) },
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      pull_requests: [],
    };
  }


  return { userJson, repoJson, labelJson, commentJson, issueJson, pullJson, reactionJson, checkRunJson, issueHtmlUrl };
}

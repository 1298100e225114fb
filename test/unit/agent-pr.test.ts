import { describe, expect, it } from 'vitest';
import { findAgentPullRequest, type PrEvent } from '../../src/openhands/agent-pr.ts';

// Shapes as the SDK writes them ([api: events]): terminal action + observation pairs, agent messages, finish.
let seq = 0;
const ts = (): string => `2026-12-02T06:00:${String(seq++).padStart(2, '0')}.000000`;

function bash(command: string, output: string): PrEvent[] {
  const id = `act-${seq}`;
  return [
    { id, kind: 'ActionEvent', source: 'agent', timestamp: ts(), tool_name: 'terminal', action: { kind: 'ExecuteBashAction', command } },
    {
      id: `obs-${seq}`,
      kind: 'ObservationEvent',
      source: 'environment',
      timestamp: ts(),
      tool_name: 'terminal',
      action_id: id,
      observation: { kind: 'ExecuteBashObservation', content: [{ type: 'text', text: output }], command, exit_code: 0 },
    },
  ];
}

const say = (text: string): PrEvent => ({
  id: `msg-${seq}`,
  kind: 'MessageEvent',
  source: 'agent',
  timestamp: ts(),
  llm_message: { role: 'assistant', content: [{ type: 'text', text }] },
});

const finish = (message: string): PrEvent[] => {
  const id = `fin-${seq}`;
  return [
    { id, kind: 'ActionEvent', source: 'agent', timestamp: ts(), tool_name: 'finish', action: { kind: 'FinishAction', message } },
    { id: `fobs-${seq}`, kind: 'ObservationEvent', source: 'environment', timestamp: ts(), tool_name: 'finish', action_id: id, observation: { kind: 'FinishObservation', content: [{ type: 'text', text: message }] } },
  ];
};

const user = (text: string): PrEvent => ({ id: `u-${seq}`, kind: 'MessageEvent', source: 'user', timestamp: ts(), llm_message: { role: 'user', content: [{ type: 'text', text }] } });

const opts = { serverUrl: 'https://github.com', repository: 'acme/widgets' };

describe('findAgentPullRequest', () => {
  it('reads the URL gh pr create printed', () => {
    const events = [
      user('Fix the bug reported in https://github.com/acme/widgets/issues/12'),
      ...bash('git push -u origin fix-12', "remote: Create a pull request for 'fix-12' on GitHub by visiting:\nremote:      https://github.com/acme/widgets/pull/new/fix-12\n"),
      ...bash('gh pr create --title "Fix #12" --body "Fixes #12"', '\nCreating pull request for fix-12 into main in acme/widgets\n\nhttps://github.com/acme/widgets/pull/57\n'),
      ...finish('I fixed the off-by-one and opened a pull request.'),
    ];
    expect(findAgentPullRequest(events, opts)).toEqual({ number: 57, url: 'https://github.com/acme/widgets/pull/57' });
  });

  it('reads the final message when the tool output is not there', () => {
    const events = [...finish('Done. PR: [#88](https://github.com/acme/widgets/pull/88/files)')];
    expect(findAgentPullRequest(events, opts)).toEqual({ number: 88, url: 'https://github.com/acme/widgets/pull/88' });
  });

  it('reads an agent message and the REST API response of a curl POST', () => {
    const api = JSON.stringify({ url: 'https://api.github.com/repos/acme/widgets/pulls/91', html_url: 'https://github.com/acme/widgets/pull/91', number: 91 }, null, 2);
    expect(findAgentPullRequest(bash('curl -s -X POST -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/repos/acme/widgets/pulls -d @pr.json', api), opts)?.number).toBe(91);
    expect(findAgentPullRequest([say('Opened https://github.com/acme/widgets/pull/92 for review.')], opts)?.number).toBe(92);
    // only the API URL (e.g. jq .url)
    expect(findAgentPullRequest(bash('gh api repos/acme/widgets/pulls --method POST -f title=x | jq -r .url', 'https://api.github.com/repos/acme/widgets/pulls/93'), opts)?.number).toBe(93);
  });

  it('ignores other repositories, the trigger PR, the prompt and push hints', () => {
    const events = [
      user('Review https://github.com/acme/widgets/pull/5 and fix it'),
      ...bash('git push', 'remote:      https://github.com/acme/widgets/pull/new/branch'),
      say('Upstream has the same bug: https://github.com/other/widgets/pull/700 and https://github.com/acme/widgets-fork/pull/9'),
      ...finish('Pushed the fix to https://github.com/acme/widgets/pull/5'),
    ];
    expect(findAgentPullRequest(events, { ...opts, exclude: [5] })).toBeNull();
    expect(findAgentPullRequest(events, opts)).toEqual({ number: 5, url: 'https://github.com/acme/widgets/pull/5' });
  });

  it('prefers the PR a creating command printed over older PRs the agent only mentioned', () => {
    const events = [
      ...bash('gh pr create --fill', 'https://github.com/acme/widgets/pull/40'),
      ...finish('Opened #40. It builds on https://github.com/acme/widgets/pull/41, which I reviewed earlier.'),
    ];
    expect(findAgentPullRequest(events, opts)?.number).toBe(40);
  });

  it('ignores read-only gh pr commands, takes the newest mention otherwise', () => {
    const viewed = bash('gh pr view 3 --json url', '{"url":"https://github.com/acme/widgets/pull/3"}');
    expect(findAgentPullRequest(viewed, opts)).toBeNull();
    const events = [say('Draft at https://github.com/acme/widgets/pull/20'), say('Replaced it with https://github.com/acme/widgets/pull/19')];
    expect(findAgentPullRequest(events, opts)?.number).toBe(19);
    // newest by timestamp, whatever the array order (the app server's search lists newest first)
    expect(findAgentPullRequest([...events].reverse(), opts)?.number).toBe(19);
  });

  it('matches a GHES host (with a path prefix), case-insensitively, and not github.com', () => {
    const ghes = { serverUrl: 'https://ghe.example.com/', repository: 'Acme/Widgets' };
    const events = [
      say('Mirror: https://github.com/acme/widgets/pull/1'),
      say('See https://GHE.example.com/acme/widgets/pull/14#issuecomment-1'),
    ];
    expect(findAgentPullRequest(events, ghes)).toEqual({ number: 14, url: 'https://ghe.example.com/Acme/Widgets/pull/14' });
    expect(findAgentPullRequest(bash('curl -X POST https://ghe.example.com/api/v3/repos/acme/widgets/pulls', '"url": "https://ghe.example.com/api/v3/repos/acme/widgets/pulls/15"'), ghes)?.number).toBe(15);
    const prefixed = { serverUrl: 'https://example.com/github', repository: 'acme/widgets' };
    expect(findAgentPullRequest([say('https://example.com/github/acme/widgets/pull/3 and https://example.com/acme/widgets/pull/4')], prefixed)?.number).toBe(3);
  });

  it('reads MCP tool observations by tool name', () => {
    const events: PrEvent[] = [
      { id: 'o1', kind: 'ObservationEvent', source: 'environment', timestamp: ts(), tool_name: 'create_pull_request', action_id: 'missing', observation: { kind: 'MCPToolObservation', content: [{ type: 'text', text: '{"number":61,"html_url":"https://github.com/acme/widgets/pull/61"}' }] } },
      say('Also looked at https://github.com/acme/widgets/pull/62'),
    ];
    expect(findAgentPullRequest(events, opts)?.number).toBe(61);
  });

  it('takes a final message passed in as the newest of the agent\'s words', () => {
    const events = [say('Draft: https://github.com/acme/widgets/pull/70')];
    expect(findAgentPullRequest(events, { ...opts, finalMessage: 'Done: https://github.com/acme/widgets/pull/69' })?.number).toBe(69);
    expect(findAgentPullRequest([], { ...opts, finalMessage: 'No PR this time.' })).toBeNull();
    const created = bash('gh pr create --fill', 'https://github.com/acme/widgets/pull/71');
    expect(findAgentPullRequest(created, { ...opts, finalMessage: 'See https://github.com/acme/widgets/pull/72' })?.number).toBe(71);
  });
});

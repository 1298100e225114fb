/**
 * `npm run demo`: the BUILT action (dist/index.js) end to end, against the OpenHands Cloud
 * emulator and the GitHub fake on loopback (no API key, no network), as the README's quick start
 * sets it up: the `openhands` label, `wait: ready`, `comment-key: openhands`.
 *
 *   npm run demo                       # label: a maintainer labels issue #1; the job ends once the
 *                                      # agent works; later a finalize run (examples/finalize.yml)
 *                                      # reports the agent's end and the PR it opened (found in its
 *                                      # events and on GitHub, as a real one is)
 *   npm run demo -- --story mention    # then a maintainer mentions @openhands: a follow-up into the
 *                                      # same conversation
 *   npm run demo -- --story outsider   # a reader's mention is held; a maintainer approves it
 *   npm run demo -- --story dry-run    # dry-run: true: what would happen, with nothing sent
 *   npm run demo -- --story failure    # the service fails the start: an honest red run
 *
 * Prints each step's log (as the runner renders it), its outputs, the sticky comment as finally
 * posted, the last job summary and the requests each server got. Exits 1 if a step ended
 * otherwise than the story says.
 */
import { parseArgs } from 'node:util';
import { runAction, type ActionRun } from '../test/e2e/harness.ts';
import { issueComment, issueLabeled } from '../test/e2e/payloads.ts';
import { startEmulator, type ScenarioInput } from '../test/emulator/server.ts';
import { startGitHubFake } from '../test/fakes/github.ts';

const API_KEY = 'test-key';
const ISSUE = 1;
const REPO = 'octo-org/octo-repo';
const AGENT_PR = 42;

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const yellow = (s: string) => (tty ? `\x1b[33m${s}\x1b[0m` : s);
const indent = (text: string, pad = '    ') =>
  text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
const heading = (title: string) => console.log(`\n${bold(`━━ ${title} `.padEnd(78, '━'))}`);

/** The step log as the runner shows it: groups folded into headers, masks and debug hidden, annotations labelled. */
function renderLog(stdout: string): string {
  const out: string[] = [];
  let depth = 0;
  for (const raw of stdout.replace(/\n$/, '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^\s*::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    const pad = '  '.repeat(depth);
    if (!m) {
      out.push(pad + line);
      continue;
    }
    const [, command, data = ''] = m;
    const text = data.replace(/%0A/gi, '\n').replace(/%0D/gi, '').replace(/%25/g, '%');
    if (command === 'group') {
      out.push(pad + bold(`▾ ${text}`));
      depth++;
    } else if (command === 'endgroup') depth = Math.max(0, depth - 1);
    else if (command === 'error') out.push(pad + red(`Error: ${text}`));
    else if (command === 'warning') out.push(pad + yellow(`Warning: ${text}`));
    else if (command === 'notice') out.push(pad + `Notice: ${text}`);
    // add-mask, debug (hidden unless RUNNER_DEBUG), save-state, set-output: the runner does not print them.
  }
  return out.join('\n');
}

interface Step {
  readonly title: string;
  readonly event: string;
  readonly payload: Record<string, unknown>;
  readonly inputs?: Record<string, string>;
  /** the status the story expects; anything else fails the demo */
  readonly expect: string;
  /** wait for the emulator's agent to finish before this step (a later, scheduled run) */
  readonly afterAgentEnds?: true;
}

const STORIES = ['label', 'mention', 'outsider', 'dry-run', 'failure'] as const;
type Story = (typeof STORIES)[number];

/** The quick start's workflow inputs: examples/label.yml and examples/mention.yml share them. */
const QUICK_START = { 'comment-key': 'openhands', wait: 'ready' };

function storySteps(story: Story): Step[] {
  const label = { title: 'A maintainer labels issue #1 `openhands` (examples/label.yml)', event: 'issues', payload: asObj(issueLabeled({ label: 'openhands', number: ISSUE, title: 'Spelling error in the README file' })), expect: 'ready' };
  const finalize = { title: 'Later, the scheduled finalize run reports how the agent ended (examples/finalize.yml)', event: 'schedule', payload: { schedule: '*/15 * * * *', repository: label.payload.repository, sender: label.payload.sender }, inputs: { mode: 'finalize', wait: 'ready' }, expect: '', afterAgentEnds: true as const };
  switch (story) {
    case 'label':
      return [label, finalize];
    case 'mention':
      return [
        label,
        { title: 'Codertocat mentions @openhands on the issue (examples/mention.yml): sent into the open conversation', event: 'issue_comment', payload: asObj(issueComment({ body: '@openhands please also fix the same typo in docs/faq.md', sender: 'Codertocat', number: ISSUE })), expect: 'followed_up' },
      ];
    case 'outsider':
      return [
        { title: 'A reader (no write access) asks @openhands: held for a maintainer', event: 'issue_comment', payload: asObj(issueComment({ body: '@openhands can you fix this typo?', sender: 'reader', number: ISSUE })), expect: 'awaiting_approval' },
        { title: 'Codertocat approves: `@openhands approve` on a line of its own', event: 'issue_comment', payload: asObj(issueComment({ body: '@openhands approve', sender: 'Codertocat', number: ISSUE })), expect: 'ready' },
      ];
    case 'dry-run':
      return [{ ...label, title: `${label.title}, with dry-run: true`, inputs: { 'dry-run': 'true' }, expect: 'skipped' }];
    case 'failure':
      return [{ ...label, title: `${label.title}; the service cannot start the sandbox`, expect: 'error' }];
  }
}

function scenario(story: Story): ScenarioInput {
  const base: ScenarioInput = {
    phaseMs: 250,
    phaseDurations: { WAITING_FOR_SANDBOX: 600, PREPARING_REPOSITORY: 400 },
    execution: [
      { afterMs: 0, status: 'running' },
      { afterMs: 2500, status: 'finished' },
    ],
    finalVia: 'finish',
    finalMessage: [
      'Fixed the spelling error in the README ("recieve" → "receive", 2 occurrences).',
      '',
      'Changes:',
      '- README.md: corrected the typo in "Getting started" and in "FAQ"',
      '- Added a `cspell` word list so CI catches it next time',
    ].join('\n'),
    metrics: { cost: 0.1834, promptTokens: 48_210, completionTokens: 3_377 },
    // The agent opens its PR as real agents do: `gh pr create` prints the link ([api: pr-number]: nothing records it).
    agentPr: { url: `https://github.com/${REPO}/pull/${AGENT_PR}` },
    autoTitle: 'Fix README spelling error',
  };
  if (story === 'failure') return { ...base, startError: { atPhase: 'WAITING_FOR_SANDBOX', detail: 'Sandbox failed to start: no capacity in the region' } };
  return base;
}

const asObj = (p: unknown): Record<string, unknown> => p as Record<string, unknown>;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { story: { type: 'string', default: 'label' } } });
  const story = values.story as Story;
  if (!STORIES.includes(story)) {
    console.error(`--story must be one of ${STORIES.join(', ')}`);
    return 2;
  }
  const emu = await startEmulator({ apiKeys: [API_KEY], scenario: scenario(story) });
  const gh = await startGitHubFake({
    issues: [
      { number: 1, title: 'Spelling error in the README file', body: 'The README says "recieve" twice.' },
      { number: 2, title: 'Update the README', pull_request: { head: { ref: 'changes' }, base: { ref: 'main' } } },
      { number: 7, title: 'Nightly chores' },
    ],
    permissions: { Codertocat: 'write', reader: 'read' },
  });

  try {
    console.log(bold(`OpenHands Cloud Action: demo (story: ${story})`));
    console.log(dim(`OpenHands emulator ${emu.url} · GitHub fake ${gh.url} · bundle dist/index.js · with: ${JSON.stringify(QUICK_START)}`));
    let ok = true;
    let last: ActionRun | undefined;
    for (const [i, step] of storySteps(story).entries()) {
      if (step.afterAgentEnds) {
        await until(() => emu.conversations.every((c) => c.execution_status === 'finished'), 30_000);
        // The agent opened its PR on GitHub meanwhile (its events print the link; GitHub has the PR).
        gh.addIssue({ number: AGENT_PR, title: 'Fix README spelling error', body: `Fixes #${ISSUE}\n\nConversation: ${emu.conversations[0]?.conversation_url ?? ''}`, pull_request: { head: { ref: 'openhands/fix-readme-typo' }, base: { ref: 'main' } } });
      }
      if (step.event === 'issue_comment') {
        // The comment exists on GitHub, as a delivered one does (an approval reads the held one again).
        const c = step.payload.comment as { id: number; body: string; html_url: string; user: { login: string } };
        c.id = 4_100_000_000 + i;
        c.html_url = `https://github.com/${REPO}/issues/${ISSUE}#issuecomment-${c.id}`;
        // Written now, as a delivered comment is (an approval counts only after the request it approves).
        Object.assign(c, { created_at: new Date().toISOString(), updated_at: new Date().toISOString() });
        gh.addComment({ issue_number: ISSUE, body: c.body, user: c.user.login, id: c.id });
      }
      const inputs = { 'api-key': API_KEY, 'base-url': emu.url, ...QUICK_START, ...step.inputs };
      heading(`${i + 1}. ${step.title}`);
      const main = await runAction({ event: step.event, payload: step.payload, githubApiUrl: gh.url, inputs, timeoutMs: 60_000 });
      console.log(indent(renderLog(main.stdout)));
      if (main.stderr.trim()) console.log(indent(red(main.stderr), '    stderr: '));
      // The runner's post step (post-if: always()), with the state the main step saved.
      const post = await runAction({ event: step.event, payload: step.payload, githubApiUrl: gh.url, inputs, phase: 'post', state: main.state, timeoutMs: 30_000 });
      if (post.stdout.trim()) console.log(indent(dim(`post step: ${renderLog(post.stdout).trim()}`)));
      printOutputs(main);
      const status = main.outputs.status ?? '';
      const expected = step.expect === '' || status === step.expect;
      console.log(`    ${expected ? '✅' : red('❌')} step exit ${main.code}, status ${status || dim('(none)')}${step.expect ? ` (the story expects ${step.expect})` : ''}`);
      ok &&= expected && post.code === 0 && (main.code === 0) === (step.expect !== 'error');
      last = main;
    }

    if (last) printComment(last, gh.requests, gh.commentsOn(ISSUE));
    heading('Job summary of the last step (GITHUB_STEP_SUMMARY)');
    console.log(indent(last?.summary.trim() || dim('(empty)')));

    heading('Traffic');
    const oh = emu.requests.map((r) => `${r.method} ${r.path}`);
    const counts = new Map<string, number>();
    for (const r of oh) counts.set(r, (counts.get(r) ?? 0) + 1);
    console.log(`    OpenHands: ${oh.length} requests`);
    for (const [r, n] of counts) console.log(`      ${String(n).padStart(3)} × ${r.replace(/[0-9a-f]{32}|[0-9a-f-]{36}/g, '{id}')}`);
    const ghCounts = new Map<string, number>();
    for (const r of gh.requests) {
      const k = `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/{n}')}`;
      ghCounts.set(k, (ghCounts.get(k) ?? 0) + 1);
    }
    console.log(`    GitHub: ${gh.requests.length} requests`);
    for (const [r, n] of ghCounts) console.log(`      ${String(n).padStart(3)} × ${r}`);

    console.log(`\n${ok ? bold('✅ The story went as told') : red(bold('❌ A step ended otherwise than the story says'))}`);
    return ok ? 0 : 1;
  } finally {
    await Promise.all([emu.close(), gh.close()]);
  }
}

function printOutputs(run: ActionRun): void {
  const shown = Object.entries(run.outputs).filter(([, v]) => v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  for (const [k, v] of shown) console.log(dim(`    ${k.padEnd(width)}  `) + (v.includes('\n') ? `\n${indent(v, ' '.repeat(width + 6))}` : v));
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('the agent did not finish in the emulator');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function printComment(
  run: ActionRun,
  requests: readonly { method: string; path: string }[],
  comments: readonly { id: number; body: string; updated_at: string }[],
): void {
  const final = comments.at(-1);
  const creates = requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/issues/${ISSUE}/comments`)).length;
  const edits = final ? requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/issues/comments/${final.id}`)).length : 0;
  heading(`Sticky comment on #${ISSUE} (created ${creates}×, edited ${edits}×, ${comments.length} comment(s) on the issue)`);
  if (!final) {
    console.log(indent(dim('(no comment was posted)')));
    return;
  }
  console.log(dim(`    id ${final.id} · ${run.outputs['comment-url'] ?? ''}`));
  // The hidden marker (invisible on GitHub) carries a base64 state: shortened here.
  console.log(indent(final.body.replace(/state="([^"]{12})[^"]*"/, (_m, head: string) => `state="${head}…"`)));
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(red(`demo crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  return 2;
});

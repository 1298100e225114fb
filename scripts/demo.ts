/**
 * `npm run demo`: the BUILT action (dist/index.js) end to end, against the OpenHands Cloud
 * emulator and the GitHub fake on loopback (no API key, no network).
 *
 * Story: someone adds the `openhands` label to issue #1; the workflow runs the action with
 * `wait: finished`; the conversation starts (7 phases, a few hundred ms each), the agent works
 * briefly, opens PR #42 and finishes with a multi-line message. Then the post step runs, as the
 * runner does (post-if: always()).
 *
 * Prints the action's log (as the runner would render it), the step outputs, the sticky comment
 * as finally posted (and how many times it was edited), and the job summary.
 * Exits non-zero if the action failed.
 */
import { runAction, type ActionRun } from '../test/e2e/harness.ts';
import { issueLabeled } from '../test/e2e/payloads.ts';
import { startEmulator } from '../test/emulator/server.ts';
import { startGitHubFake } from '../test/fakes/github.ts';

const API_KEY = 'test-key';
const ISSUE = 1;

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

async function main(): Promise<number> {
  const emu = await startEmulator({
    apiKeys: [API_KEY],
    scenario: {
      phaseMs: 250,
      phaseDurations: { WAITING_FOR_SANDBOX: 600, PREPARING_REPOSITORY: 400 },
      execution: [
        { afterMs: 0, status: 'running' },
        { afterMs: 1800, status: 'finished' },
      ],
      finalVia: 'finish',
      finalMessage: [
        'Fixed the spelling error in the README ("recieve" → "receive", 2 occurrences).',
        '',
        'Changes:',
        '- README.md: corrected the typo in "Getting started" and in "FAQ"',
        '- Added a `cspell` word list so CI catches it next time',
        '',
        'Opened PR #42 for review.',
      ].join('\n'),
      metrics: { cost: 0.1834, promptTokens: 48_210, completionTokens: 3_377 },
      prNumber: [42],
      autoTitle: 'Fix README spelling error',
    },
  });
  const gh = await startGitHubFake({
    issues: [
      { number: 1, title: 'Spelling error in the README file', body: 'The README says "recieve" twice.' },
      { number: 2, title: 'Update the README', pull_request: { head: { ref: 'changes' }, base: { ref: 'main' } } },
      { number: 7, title: 'Nightly chores' },
    ],
    permissions: { Codertocat: 'write' },
  });

  try {
    const payload = issueLabeled({ label: 'openhands', number: ISSUE, title: 'Spelling error in the README file' });
    const inputs = { 'api-key': API_KEY, 'base-url': emu.url, wait: 'finished', 'ready-timeout': '1m', 'finish-timeout': '2m' };
    console.log(bold('OpenHands Cloud Action: demo'));
    console.log(dim(`OpenHands emulator ${emu.url} · GitHub fake ${gh.url} · bundle dist/index.js`));
    console.log(dim(`event: issues.labeled "openhands" on #${ISSUE} by ${String((payload.sender as { login?: string }).login)} · with: wait=finished`));

    const main = await runAction({ event: 'issues', payload, githubApiUrl: gh.url, inputs, timeoutMs: 60_000 });
    heading(`Action log (main step, exit ${main.code}, ${(main.durationMs / 1000).toFixed(2)} s)`);
    console.log(indent(renderLog(main.stdout)));
    if (main.stderr.trim()) console.log(indent(red(main.stderr), '    stderr: '));

    // The runner's post step (post-if: always()), with the state the main step saved.
    const post = await runAction({ event: 'issues', payload, githubApiUrl: gh.url, inputs, phase: 'post', state: main.state, timeoutMs: 30_000 });
    heading(`Action log (post step, exit ${post.code}, ${(post.durationMs / 1000).toFixed(2)} s)`);
    console.log(post.stdout.trim() ? indent(renderLog(post.stdout)) : indent(dim('(nothing to do: the main step wrote the final state)')));

    heading('Step outputs');
    const width = Math.max(...Object.keys(main.outputs).map((k) => k.length));
    for (const [k, v] of Object.entries(main.outputs)) {
      const shown = v === '' ? dim('(empty)') : v.includes('\n') ? `\n${indent(v, ' '.repeat(width + 6))}` : v;
      console.log(`    ${k.padEnd(width)}  ${shown}`);
    }

    printComment(main, gh.requests, gh.commentsOn(ISSUE));

    heading('Job summary (GITHUB_STEP_SUMMARY)');
    console.log(indent(main.summary.trim() || dim('(empty)')));

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

    const ok = main.code === 0 && post.code === 0;
    console.log(
      `\n${ok ? bold('✅ Demo succeeded') : red(bold('❌ The action failed'))}: status=${main.outputs.status ?? '?'}` +
        `, main exit ${main.code}, post exit ${post.code}`,
    );
    return ok ? 0 : 1;
  } finally {
    await Promise.all([emu.close(), gh.close()]);
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

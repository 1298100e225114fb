// What the agent does in one run: the timeline of execution statuses, agent steps and their events.
// No timers here: planRun() returns dated steps; the engine plays them while the sandbox is RUNNING.
import type { Conversation, Step } from './model.ts';
import { statsJson } from './render.ts';
import type { ExecutionStatus, ExecutionStep, Json } from './types.ts';
import { base62 } from './util.ts';
import { contentText } from './validation.ts';

export type Emit = (conv: Conversation, source: string, kind: string, fields: Json) => Json;

export interface RunHost {
  emit: Emit;
  setExec(conv: Conversation, status: ExecutionStatus): void;
  endRun(conv: Conversation, status: ExecutionStatus): void;
}

const COMMANDS: Array<[string, string]> = [
  ['git status', 'On branch main\nnothing to commit, working tree clean'],
  ['ls -la', 'total 24\ndrwxr-xr-x  5 openhands openhands 4096 .\n-rw-r--r--  1 openhands openhands  812 README.md'],
  ['cat README.md', '# Project\n\nA small project.'],
  ['npm test', '> test\n> vitest run\n\n Test Files  3 passed (3)\n      Tests  12 passed (12)'],
];

/** An unbounded `running` segment with stepMs stops generating steps here. */
const MAX_HELD_STEPS = 1000;

export function userMessage(emit: Emit, conv: Conversation, content: Json[]): void {
  emit(conv, 'user', 'MessageEvent', messageFields('user', content, null));
}

function messageFields(role: string, content: Json[], responseId: string | null): Json {
  return {
    llm_message: { role, content, tool_calls: null, reasoning_content: null, thinking_blocks: [], name: null, tool_call_id: null },
    llm_response_id: responseId,
    activated_skills: [],
    extended_content: [],
    sender: null,
    critic_result: null,
  };
}

function agentAction(emit: Emit, conv: Conversation, toolName: string, action: Json, thought: string, args: Json): Json {
  const callId = `toolu_${base62(24)}`;
  return emit(conv, 'agent', 'ActionEvent', {
    thought: thought ? [{ type: 'text', text: thought, cache_prompt: false }] : [],
    reasoning_content: null,
    thinking_blocks: [],
    action,
    tool_name: toolName,
    tool_call_id: callId,
    tool_call: { id: callId, name: toolName, arguments: JSON.stringify(args), origin: 'completion' },
    llm_response_id: `chatcmpl-${base62(20)}`,
    security_risk: 'LOW',
    summary: null,
  });
}

function observation(emit: Emit, conv: Conversation, action: Json, obs: Json): void {
  emit(conv, 'environment', 'ObservationEvent', { observation: obs, action_id: action.id, tool_name: action.tool_name, tool_call_id: action.tool_call_id });
}

function terminal(emit: Emit, conv: Conversation, command: string, output: string): void {
  const action = agentAction(emit, conv, 'terminal', { kind: 'ExecuteBashAction', command, is_input: false, timeout: null, reset: false }, `Let me run \`${command}\`.`, { command });
  observation(emit, conv, action, {
    kind: 'ExecuteBashObservation',
    content: [{ type: 'text', text: output }],
    command,
    exit_code: 0,
    is_error: false,
    timeout: false,
    metadata: { exit_code: 0, pid: -1, working_dir: '/workspace/project', py_interpreter_path: null, prefix: '', suffix: '' },
  });
}

/** Each LLM call adds its share of the run's metrics and writes a `stats` state update ([api: events]). */
function llmCall(emit: Emit, conv: Conversation, stepsInRun: number): void {
  const m = conv.scenario.metrics;
  if (m) {
    conv.metrics.cost += conv.scenario.costPerStep ?? m.cost / stepsInRun;
    conv.metrics.prompt += m.promptTokens / stepsInRun;
    conv.metrics.completion += m.completionTokens / stepsInRun;
    conv.perTurn = Math.round((m.promptTokens + m.completionTokens) / stepsInRun);
  }
  emit(conv, 'environment', 'ConversationStateUpdateEvent', { key: 'stats', value: statsJson(conv) });
}

function finalMessage(emit: Emit, conv: Conversation, message: string): void {
  if (conv.scenario.finalVia === 'finish') {
    const action = agentAction(emit, conv, 'finish', { kind: 'FinishAction', message }, '', { message });
    observation(emit, conv, action, { kind: 'FinishObservation', content: [{ type: 'text', text: message }], is_error: false });
  } else if (conv.scenario.finalVia === 'message') {
    emit(conv, 'agent', 'MessageEvent', messageFields('assistant', [{ type: 'text', text: message, cache_prompt: false }], `chatcmpl-${base62(20)}`));
  }
}

/** The SDK's get_agent_final_response over the given events, newest first ([api: final-message]). */
export function finalResponse(events: Json[]): string {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.source !== 'agent') continue;
    if (e.kind === 'ActionEvent' && e.tool_name === 'finish') {
      const a = e.action as Json | null;
      return a ? String(a.message ?? '') : '';
    }
    if (e.kind === 'MessageEvent') return contentText(((e.llm_message as Json).content as Json[]) ?? []);
  }
  return '';
}

/** The agent server's auto-title ([api: titles]): the scenario's, else the first line of the first message. */
export function autoTitle(conv: Conversation, content: Json[]): string {
  if (conv.scenario.autoTitle) return conv.scenario.autoTitle;
  const line = contentText(content).split('\n')[0]!.trim();
  return line.length > 50 ? `${line.slice(0, 47)}...` : line || `Conversation ${conv.id.slice(0, 5)}`;
}

/** The dated steps of one run: statuses, agent steps (tool pair + stats), PR URL, final message, end. */
export function planRun(host: RunHost, conv: Conversation, execution: ExecutionStep[], message: string, start: number, first: boolean): Step[] {
  const { emit } = host;
  const entries = [...execution].sort((a, b) => a.afterMs - b.afterMs);
  const s = conv.scenario;
  const pr = first ? s.agentPr : undefined;
  const text = pr && !message.includes(pr.url) ? `${message}\n\nPull request: ${pr.url}` : message;
  const steps: Array<{ due: number; llm?: true; status?: ExecutionStatus; fn: (n: number) => void }> = [];
  let finalDone = false;
  entries.forEach((e, i) => {
    const t = start + e.afterMs;
    if (e.status === 'finished' && !finalDone) {
      finalDone = true;
      if (pr)
        steps.push({ due: t, llm: true, fn: (n) => (terminal(emit, conv, 'gh pr create --fill', `Creating pull request\n\n${pr.url}`), llmCall(emit, conv, n)) });
      if (s.finalVia !== 'none') steps.push({ due: t, llm: true, fn: (n) => (finalMessage(emit, conv, text), llmCall(emit, conv, n)) });
    }
    if (e.status === 'error')
      steps.push({ due: t, fn: () => void emit(conv, 'environment', 'ConversationErrorEvent', { code: 'AgentRunError', detail: 'The agent stopped because of an error.' }) });
    steps.push({ due: t, status: e.status, fn: () => host.setExec(conv, e.status) });
    if (e.status !== 'running') return;
    const next = entries[i + 1]?.afterMs;
    const dues: number[] = [];
    if (s.stepMs && s.stepMs > 0) {
      for (let d = e.afterMs + s.stepMs; (next === undefined ? dues.length < MAX_HELD_STEPS : d < next); d += s.stepMs) dues.push(d);
    } else {
      const end = next ?? e.afterMs + 300;
      dues.push(e.afterMs + (end - e.afterMs) / 3, e.afterMs + ((end - e.afterMs) * 2) / 3);
    }
    for (const d of dues) steps.push({ due: start + d, llm: true, fn: (n) => (terminal(emit, conv, ...COMMANDS[conv.stepCounter++ % COMMANDS.length]!), llmCall(emit, conv, n)) });
  });
  const last = entries[entries.length - 1];
  // the run ends after its last step (a held `running` segment still has steps after its own entry)
  if (last) steps.push({ due: Math.max(start + last.afterMs, ...steps.map((st) => st.due)), fn: () => host.endRun(conv, last.status) });
  // stable by due time: statuses first where planned first at the same instant
  const ordered = steps.map((st, i) => ({ ...st, i })).sort((a, b) => a.due - b.due || a.i - b.i);
  const llmSteps = Math.max(1, ordered.filter((st) => st.llm).length);
  return ordered.map((st) => ({ due: st.due, ...(st.status ? { status: st.status } : {}), fn: () => st.fn(llmSteps) }));
}

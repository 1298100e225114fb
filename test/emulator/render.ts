// The JSON forms of the records, as the API renders them ([api: start], [api: reading], [api: rate-limits]).
import type { Conversation, Sandbox, Task } from './model.ts';
import type { Json, SandboxStatus } from './types.ts';
import { isoUtc } from './util.ts';

export function taskJson(task: Task): Json {
  return {
    id: task.id,
    created_by_user_id: task.user,
    status: task.status,
    detail: task.detail,
    app_conversation_id: task.appConversationId,
    sandbox_id: task.sandboxId,
    agent_server_url: task.agentServerUrl,
    request: task.request.echo,
    created_at: isoUtc(task.createdAt),
    updated_at: isoUtc(task.updatedAt),
  };
}

export function sandboxJson(sb: Sandbox, agentUrl: string): Json {
  const running = sb.status === 'RUNNING';
  return {
    id: sb.id,
    created_by_user_id: sb.user,
    sandbox_spec_id: 'ghcr.io/openhands/agent-server:1.37.1-python',
    status: sb.status,
    session_api_key: running ? sb.sessionApiKey : null,
    exposed_urls: running
      ? [
          { name: 'AGENT_SERVER', url: agentUrl, port: 8000 },
          { name: 'VSCODE', url: `${agentUrl}/vscode`, port: 8001 },
        ]
      : null,
    created_at: isoUtc(sb.createdAt),
    status_detail: sb.statusDetail,
  };
}

export function conversationJson(conv: Conversation, sb: Sandbox | undefined, agentUrl: string): Json {
  const sandboxStatus: SandboxStatus = sb?.status ?? 'MISSING';
  const running = sandboxStatus === 'RUNNING';
  const tags: Json = {};
  if (conv.selectedRepository) tags.repo_name = conv.selectedRepository;
  if (conv.gitProvider) tags.git_provider = conv.gitProvider;
  if (conv.selectedBranch) tags.selected_branch = conv.selectedBranch;
  return {
    id: conv.id,
    created_by_user_id: conv.user,
    sandbox_id: conv.sandboxId,
    selected_repository: conv.selectedRepository,
    selected_branch: conv.selectedBranch,
    git_provider: conv.gitProvider,
    title: conv.title,
    trigger: conv.trigger,
    pr_number: conv.prNumber,
    llm_model: conv.llmModel,
    agent_kind: 'openhands',
    metrics: metricsJson(conv),
    parent_conversation_id: conv.parentId,
    sub_conversation_ids: conv.subIds,
    public: conv.public,
    tags,
    created_at: isoUtc(conv.createdAt),
    updated_at: isoUtc(conv.updatedAt),
    sandbox_status: sandboxStatus,
    // live fields: only when the sandbox is RUNNING ([api: reading])
    execution_status: running ? conv.execStatus : null,
    conversation_url: running ? `${agentUrl}/api/conversations/${conv.id}` : null,
    session_api_key: running && sb ? sb.sessionApiKey : null,
    acp_server: null,
    launched_agent_profile: null,
  };
}

/** ConversationStats as the SDK writes it in a `stats` state update: one MetricsSnapshot per LLM usage id. */
export function statsJson(conv: Conversation): Json {
  const m = metricsJson(conv);
  return { usage_to_metrics: m ? { agent: m } : {} };
}

/** MetricsSnapshot ([api: reading]); null when the scenario has no metrics. */
export function metricsJson(conv: Conversation): Json | null {
  if (!conv.scenario.metrics) return null;
  const m = conv.metrics;
  const prompt = Math.round(m.prompt);
  return {
    model_name: conv.llmModel,
    accumulated_cost: Math.round(m.cost * 1e6) / 1e6,
    max_budget_per_task: null,
    accumulated_token_usage: {
      model: conv.llmModel,
      prompt_tokens: prompt,
      completion_tokens: Math.round(m.completion),
      cache_read_tokens: Math.round(prompt * 0.6),
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      context_window: 200_000,
      per_turn_token: conv.perTurn,
      response_id: '',
    },
  };
}

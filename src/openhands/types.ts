/**
 * The parts of the OpenHands V1 app-server answers this action reads, checked at the boundary
 * with valibot. Unknown fields pass through untouched; unknown enum values are kept as strings
 * (the service adds statuses over time, e.g. SETTING_UP_SKILLS), and callers treat them as
 * "still in progress".
 */
import * as v from 'valibot';

const nullableString = v.nullish(v.string());

export const StartTaskSchema = v.looseObject({
  id: v.string(),
  status: v.string(),
  detail: nullableString,
  app_conversation_id: nullableString,
  sandbox_id: nullableString,
  agent_server_url: nullableString,
  request: v.nullish(v.looseObject({ conversation_id: nullableString })),
  created_at: nullableString,
  updated_at: nullableString,
});
export type StartTask = v.InferOutput<typeof StartTaskSchema>;

export const ConversationSchema = v.looseObject({
  id: v.string(),
  sandbox_id: nullableString,
  sandbox_status: nullableString,
  execution_status: nullableString,
  title: nullableString,
  selected_repository: nullableString,
  selected_branch: nullableString,
  pr_number: v.nullish(v.array(v.number())),
  session_api_key: nullableString,
  conversation_url: nullableString,
  metrics: v.nullish(
    v.looseObject({
      accumulated_cost: v.nullish(v.number()),
      accumulated_token_usage: v.nullish(
        v.looseObject({
          prompt_tokens: v.nullish(v.number()),
          completion_tokens: v.nullish(v.number()),
        }),
      ),
    }),
  ),
  created_at: nullableString,
  updated_at: nullableString,
});
export type Conversation = v.InferOutput<typeof ConversationSchema>;

export const EventSchema = v.looseObject({
  id: v.string(),
  kind: v.string(),
  source: nullableString,
  timestamp: nullableString,
  key: v.optional(v.unknown()),
  value: v.optional(v.unknown()),
  tool_name: v.optional(v.unknown()),
  action: v.optional(v.unknown()),
  llm_message: v.optional(v.unknown()),
});
export type OHEvent = v.InferOutput<typeof EventSchema>;

export const StartTaskListSchema = v.array(v.nullable(StartTaskSchema));
export const ConversationListSchema = v.array(v.nullable(ConversationSchema));
export const ConversationPageSchema = v.looseObject({ items: v.array(ConversationSchema), next_page_id: nullableString });
export const StartTaskPageSchema = v.looseObject({ items: v.array(StartTaskSchema), next_page_id: nullableString });
export const EventPageSchema = v.looseObject({ items: v.array(EventSchema), next_page_id: nullableString });
export const SuccessSchema = v.looseObject({ success: v.optional(v.boolean()) });

export const START_TERMINAL = new Set(['READY', 'ERROR']);
/** Start-task phases in the order the service emits them (for progress display). */
export const START_PHASES = [
  'WORKING',
  'WAITING_FOR_SANDBOX',
  'PREPARING_REPOSITORY',
  'RUNNING_SETUP_SCRIPT',
  'SETTING_UP_GIT_HOOKS',
  'SETTING_UP_SKILLS',
  'STARTING_CONVERSATION',
  'READY',
] as const;
export type StartPhase = (typeof START_PHASES)[number];

/** execution_status values after which waiting for `finished` stops. */
export const EXECUTION_TERMINAL = new Set(['finished', 'error', 'stuck', 'waiting_for_confirmation']);
/** Sandbox statuses the sandbox never leaves: the conversation is over. */
export const SANDBOX_TERMINAL: ReadonlySet<string> = new Set(['ERROR', 'MISSING']);

export interface StartRequest {
  initial_message: { role: 'user'; content: Array<{ type: 'text'; text: string }>; run: true };
  selected_repository: string;
  selected_branch?: string;
  git_provider: 'github';
  conversation_id: string;
  title?: string;
  trigger: 'openhands_api';
  pr_number?: number[];
  llm_model?: string;
}

/** An id as the service serializes it: 32 lowercase hex, no dashes (echoes and events use dashes). */
export const hexId = (id: string | null | undefined): string => (id ?? '').replace(/-/g, '').toLowerCase();

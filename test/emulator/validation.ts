// FastAPI/pydantic-style validation of request bodies (422 bodies, [api: start], [api: rate-limits]); query and path parameters are in query.ts.
// Only what a client can plausibly trip over is validated; the error texts follow pydantic v2.
import type { Json } from './types.ts';
import { dashed, parseUuid } from './util.ts';

export type Loc = Array<string | number>;

export interface ValidationError {
  type: string;
  loc: Loc;
  msg: string;
  input: unknown;
  ctx?: Json;
}

export class Errors {
  readonly list: ValidationError[] = [];

  add(type: string, loc: Loc, msg: string, input: unknown, ctx?: Json): void {
    this.list.push(ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input });
  }

  missing(loc: Loc): void {
    this.add('missing', loc, 'Field required', null);
  }

  get ok(): boolean {
    return this.list.length === 0;
  }
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function expectedList(values: readonly string[]): string {
  const q = values.map((v) => `'${v}'`);
  return q.length === 1 ? q[0]! : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

export function enumError(errors: Errors, loc: Loc, values: readonly string[], input: unknown): void {
  const expected = expectedList(values);
  errors.add(values.length === 1 ? 'literal_error' : 'enum', loc, `Input should be ${expected}`, input, { expected });
}

export function uuidError(errors: Errors, loc: Loc, input: unknown): void {
  if (typeof input !== 'string') {
    errors.add('uuid_type', loc, 'UUID input should be a string, bytes or UUID object', input);
    return;
  }
  const len = input.replaceAll('-', '').length;
  const error =
    len !== 32
      ? `invalid group count: expected 5, found ${input.split('-').length}`
      : `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-]`;
  errors.add('uuid_parsing', loc, `Input should be a valid UUID, ${error}`, input, { error });
}

function optString(errors: Errors, loc: Loc, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    errors.add('string_type', loc, 'Input should be a valid string', v);
    return null;
  }
  return v;
}

function optBool(errors: Errors, loc: Loc, v: unknown): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1) return true;
  if (v === 'false' || v === 0) return false;
  errors.add('bool_type', loc, 'Input should be a valid boolean', v);
  return null;
}

function optEnum(errors: Errors, loc: Loc, v: unknown, values: readonly string[]): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !values.includes(v)) {
    enumError(errors, loc, values, v);
    return null;
  }
  return v;
}

export function optUuid(errors: Errors, loc: Loc, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const hex = parseUuid(v);
  if (!hex) uuidError(errors, loc, v);
  return hex;
}

export const GIT_PROVIDERS = ['github', 'gitlab', 'bitbucket', 'bitbucket_data_center', 'forgejo', 'azure_devops', 'enterprise_sso'] as const;
export const TRIGGERS = ['resolver', 'gui', 'suggested_task', 'openhands_api', 'slack', 'microagent_management', 'jira', 'jira_dc', 'linear', 'bitbucket', 'automation'] as const;
const ROLES = ['user', 'system', 'assistant', 'tool'] as const;

const TEXT_KEYS = new Set(['type', 'text', 'cache_prompt']);
const IMAGE_KEYS = new Set(['type', 'image_urls', 'cache_prompt']);

/** Content items: TextContent / ImageContent are extra="forbid" in the SDK. Returns the normalized items. */
function validateContent(errors: Errors, loc: Loc, v: unknown): Json[] {
  if (!Array.isArray(v)) {
    errors.add('list_type', loc, 'Input should be a valid list', v);
    return [];
  }
  const out: Json[] = [];
  v.forEach((item, i) => {
    const at = [...loc, i];
    if (!isObj(item)) {
      errors.add('model_attributes_type', at, 'Input should be a valid dictionary or object to extract fields from', item);
      return;
    }
    // (guess) The union TextContent | ImageContent is reported with the class name as loc segment,
    // as pydantic does for a non-discriminated ("smart") union.
    if (item.type === 'image') {
      const base = [...at, 'ImageContent'];
      for (const k of Object.keys(item)) if (!IMAGE_KEYS.has(k)) errors.add('extra_forbidden', [...base, k], 'Extra inputs are not permitted', item[k]);
      const urls = item.image_urls;
      if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string')) errors.add('list_type', [...base, 'image_urls'], 'Input should be a valid list', urls ?? null);
      out.push({ type: 'image', image_urls: Array.isArray(urls) ? urls : [], cache_prompt: item.cache_prompt === true });
      return;
    }
    const base = [...at, 'TextContent'];
    if (item.type !== undefined && item.type !== 'text') {
      enumError(errors, [...base, 'type'], ['text'], item.type);
      enumError(errors, [...at, 'ImageContent', 'type'], ['image'], item.type);
      return;
    }
    for (const k of Object.keys(item)) if (!TEXT_KEYS.has(k)) errors.add('extra_forbidden', [...base, k], 'Extra inputs are not permitted', item[k]);
    if (item.text === undefined) errors.missing([...base, 'text']);
    const text = optString(errors, [...base, 'text'], item.text) ?? '';
    optBool(errors, [...base, 'cache_prompt'], item.cache_prompt);
    out.push({ type: 'text', text, cache_prompt: item.cache_prompt === true });
  });
  return out;
}

/** Text of a message as the SDK's final-response helper renders it ([api: final-message]). */
export function contentText(content: Json[]): string {
  return content
    .map((c) => (c.type === 'text' ? String(c.text) : `[Image: ${Array.isArray(c.image_urls) ? c.image_urls.length : 0} URLs]`))
    .join('');
}

export interface StartRequest {
  /** The AppConversationStartRequest echo ([api: start]: request.conversation_id dashed). */
  echo: Json;
  conversationHex: string | null;
  parentHex: string | null;
  sandboxId: string | null;
  initialContent: Json[] | null;
  selectedRepository: string | null;
  selectedBranch: string | null;
  gitProvider: string | null;
  trigger: string | null;
  prNumber: number[];
  llmModel: string | null;
  public: boolean | null;
  hasSuggestedTask: boolean;
}

/** FastAPI's answer to a body that is missing or not a JSON object. */
function isBodyObject(body: unknown, errors: Errors): body is Json {
  if (body === undefined || body === null) {
    errors.missing(['body']);
    return false;
  }
  if (!isObj(body)) {
    errors.add('model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from', body);
    return false;
  }
  return true;
}

/** AppConversationStartRequest ([api: start]). Unknown top-level fields are dropped (extra='ignore'). */
export function validateStartRequest(body: unknown, errors: Errors): StartRequest | null {
  if (!isBodyObject(body, errors)) return null;
  const b = body;
  const L = (k: string): Loc => ['body', k];
  let initial: Json | null = null;
  let initialContent: Json[] | null = null;
  if (b.initial_message !== undefined && b.initial_message !== null) {
    const m = b.initial_message;
    if (!isObj(m)) {
      errors.add('model_attributes_type', L('initial_message'), 'Input should be a valid dictionary or object to extract fields from', m);
    } else {
      const role = optEnum(errors, ['body', 'initial_message', 'role'], m.role, ROLES) ?? 'user';
      initialContent = m.content === undefined ? [] : validateContent(errors, ['body', 'initial_message', 'content'], m.content);
      const run = optBool(errors, ['body', 'initial_message', 'run'], m.run) ?? false;
      initial = { role, content: initialContent, run };
    }
  }
  const prNumber: number[] = [];
  if (b.pr_number !== undefined && b.pr_number !== null) {
    if (!Array.isArray(b.pr_number)) errors.add('list_type', L('pr_number'), 'Input should be a valid list', b.pr_number);
    else
      b.pr_number.forEach((n, i) => {
        const v = typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n;
        if (typeof v === 'number' && Number.isInteger(v)) prNumber.push(v);
        else errors.add('int_type', ['body', 'pr_number', i], 'Input should be a valid integer', n);
      });
  }
  let secrets: Json | null = null;
  if (b.secrets !== undefined && b.secrets !== null) {
    if (!isObj(b.secrets)) errors.add('dict_type', L('secrets'), 'Input should be a valid dictionary', b.secrets);
    else secrets = Object.fromEntries(Object.keys(b.secrets).map((k) => [k, '**********'])); // SecretStr (inference, [api: start])
  }
  const str = (k: string): string | null => optString(errors, L(k), b[k]);
  const conversationHex = optUuid(errors, L('conversation_id'), b.conversation_id);
  const parentHex = optUuid(errors, L('parent_conversation_id'), b.parent_conversation_id);
  const selectedRepository = str('selected_repository');
  const selectedBranch = str('selected_branch');
  const gitProvider = optEnum(errors, L('git_provider'), b.git_provider, GIT_PROVIDERS);
  const title = str('title');
  const trigger = optEnum(errors, L('trigger'), b.trigger, TRIGGERS);
  const agentType = optEnum(errors, L('agent_type'), b.agent_type, ['default', 'plan']) ?? 'default';
  const llmModel = str('llm_model');
  const sandboxId = str('sandbox_id');
  const systemMessageSuffix = str('system_message_suffix');
  const agentProfileId = str('agent_profile_id');
  const pub = optBool(errors, L('public'), b.public);
  for (const k of ['processors', 'plugins'] as const)
    if (b[k] !== undefined && b[k] !== null && !Array.isArray(b[k])) errors.add('list_type', L(k), 'Input should be a valid list', b[k]);
  if (!errors.ok) return null;
  const echo: Json = {
    initial_message: initial,
    selected_repository: selectedRepository,
    selected_branch: selectedBranch,
    git_provider: gitProvider,
    title,
    trigger: b.suggested_task ? 'suggested_task' : trigger,
    pr_number: prNumber,
    parent_conversation_id: parentHex,
    agent_type: agentType,
    llm_model: llmModel,
    sandbox_id: sandboxId,
    conversation_id: conversationHex ? dashed(conversationHex) : null,
    system_message_suffix: systemMessageSuffix,
    processors: b.processors ?? null,
    agent_profile_id: agentProfileId,
    suggested_task: b.suggested_task ?? null,
    public: pub,
    plugins: b.plugins ?? null,
    secrets,
  };
  return {
    echo,
    conversationHex,
    parentHex,
    sandboxId,
    initialContent,
    selectedRepository,
    selectedBranch,
    gitProvider,
    trigger: echo.trigger as string | null,
    prNumber,
    llmModel,
    public: pub,
    hasSuggestedTask: b.suggested_task !== undefined && b.suggested_task !== null,
  };
}

/** AppSendMessageRequest {role:"user", content (min 1), run = true} ([api: follow-ups]). */
export function validateSendMessage(body: unknown, errors: Errors): { content: Json[]; run: boolean } | null {
  if (!isBodyObject(body, errors)) return null;
  if (body.role !== undefined && body.role !== 'user') enumError(errors, ['body', 'role'], ['user'], body.role);
  let content: Json[] = [];
  if (body.content === undefined) errors.missing(['body', 'content']);
  else {
    content = validateContent(errors, ['body', 'content'], body.content);
    if (Array.isArray(body.content) && body.content.length === 0)
      errors.add('too_short', ['body', 'content'], 'List should have at least 1 item after validation, not 0', [], {
        field_type: 'List',
        min_length: 1,
        actual_length: 0,
      });
  }
  const run = optBool(errors, ['body', 'run'], body.run) ?? true;
  return errors.ok ? { content, run } : null;
}

/** AppConversationUpdateRequest ([api: rate-limits]): only the fields sent are returned. */
export function validateUpdate(body: unknown, errors: Errors): Json | null {
  if (!isObj(body)) {
    if (body === undefined || body === null) errors.missing(['body']);
    else errors.add('model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from', body);
    return null;
  }
  const out: Json = {};
  for (const k of ['title', 'selected_repository', 'selected_branch'] as const)
    if (k in body) out[k] = optString(errors, ['body', k], body[k]);
  if ('public' in body) out.public = optBool(errors, ['body', 'public'], body.public);
  if ('git_provider' in body) out.git_provider = optEnum(errors, ['body', 'git_provider'], body.git_provider, GIT_PROVIDERS);
  return errors.ok ? out : null;
}

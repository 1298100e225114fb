/** Removes secrets from text that leaves the process (comments, summary, outputs, errors). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('***');
  }
  return out;
}

/** Collects secrets as they are learned (API key, sandbox session keys) for every later redact(). */
export class SecretBox {
  readonly #secrets = new Set<string>();
  readonly #onAdd: (secret: string) => void;
  constructor(onAdd: (secret: string) => void = () => {}) {
    this.#onAdd = onAdd;
  }
  add(secret: string | null | undefined): void {
    if (!secret || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#onAdd(secret);
  }
  redact(text: string): string {
    return redact(text, [...this.#secrets]);
  }
}

/**
 * Well-known credential shapes, for text the agent wrote (its final message): a token it was
 * tricked into printing must not reach a public comment, the summary or an output (private key
 * blocks are found apart, redactKeyBlocks). Each pattern starts with a fixed prefix, has bounded
 * repeats and cannot restart inside its own match (a JWT starts only where a token run starts),
 * so matching stays linear in the text (test/unit/linear-patterns.test.ts checks each with recheck).
 * A shape not listed here (a password, a key with no prefix) is not found: this is a net, not
 * a guarantee.
 */
const CREDENTIALS: readonly (readonly [kind: string, pattern: RegExp])[] = [
  ['GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255})/g],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,255}/g],
  ['npm token', /\bnpm_[A-Za-z0-9]{36,255}/g],
  ['Slack token', /\bxox[abposrte]-[A-Za-z0-9-]{10,255}/g],
  ['Slack webhook', /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,255}/g],
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), OpenRouter (sk-or-), OpenHands and other sk- keys.
  ['API key', /\bsk-[A-Za-z0-9][A-Za-z0-9_-]{19,255}/g],
  ['Stripe key', /\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,255}/g],
  ['Hugging Face token', /\bhf_[A-Za-z0-9]{30,255}/g],
  ['Groq key', /\bgsk_[A-Za-z0-9]{40,255}/g],
  ['xAI key', /\bxai-[A-Za-z0-9]{40,255}/g],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}/g],
  ['Google OAuth token', /\bya29\.[0-9A-Za-z_-]{20,2048}/g],
  ['AWS access key', /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g],
  ['AWS secret key', /(?<=aws_secret_access_key["']?\s{0,8}[=:]\s{0,8}["']?)[A-Za-z0-9/+=]{40}/gi],
  ['Azure key', /(?<=(?:AccountKey|SharedAccessKey)=)[A-Za-z0-9+/=]{40,128}/g],
  ['JWT', /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{0,4096}/g],
  // `keep`: text the match needs but is no credential (a lookbehind there is not linear).
  ['bearer token', /\b(?<keep>Bearer\s{1,8})[A-Za-z0-9._~+/-]{20,4096}=*/g],
];

/** A PEM private key block's first and last lines; the body between them is at most MAX_KEY_BODY long. */
const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const KEY_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const MAX_KEY_BODY = 16_384;

/**
 * Private key blocks, found by their first line and then the nearest last line (a scan, not one
 * pattern: a pattern spanning the body backtracks over every later `-----BEGIN`). A block never
 * closed within MAX_KEY_BODY hides everything after its start.
 */
function redactKeyBlocks(text: string): string {
  let out = '';
  let pos = 0;
  for (const begin of text.matchAll(KEY_BEGIN)) {
    if (begin.index < pos) continue;
    out += `${text.slice(pos, begin.index)}[redacted private key]`;
    const body = begin.index + begin[0].length;
    KEY_END.lastIndex = body;
    const end = KEY_END.exec(text);
    if (!end || end.index - body > MAX_KEY_BODY) return out;
    pos = end.index + end[0].length;
  }
  return out + text.slice(pos);
}

/** The text with every well-known credential shape replaced by a visible `[redacted <kind>]`. */
export function redactCredentials(text: string): string {
  let out = redactKeyBlocks(text);
  for (const [kind, pattern] of CREDENTIALS) {
    out = out.replace(pattern, (...m: unknown[]) => `${(m.at(-1) as { keep?: string } | undefined)?.keep ?? ''}[redacted ${kind}]`);
  }
  return out;
}

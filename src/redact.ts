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

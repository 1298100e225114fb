/**
 * Splits a streamed JSON array (`[\n{..},\n{..}\n]`, as stream-start writes it) into its
 * top-level object elements as soon as each one is complete. Tracks only nesting depth and string
 * state, so it is linear in the input and never re-scans.
 */
export class JsonArraySplitter {
  #buf = '';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #start = -1;
  #opened = false;
  #closed = false;

  /** Feed a chunk; returns the elements completed by it, parsed. */
  push(chunk: string): unknown[] {
    const out: unknown[] = [];
    const offset = this.#buf.length;
    this.#buf += chunk;
    for (let i = offset; i < this.#buf.length; i++) {
      const c = this.#buf[i];
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === '\\') this.#escaped = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') {
        this.#inString = true;
      } else if (c === '{' || c === '[') {
        if (!this.#opened) {
          if (c !== '[') throw new Error('stream is not a JSON array');
          this.#opened = true;
          this.#depth = 1;
          continue;
        }
        if (this.#depth === 1) this.#start = i;
        this.#depth++;
      } else if (c === '}' || c === ']') {
        this.#depth--;
        if (this.#depth === 1 && this.#start >= 0) {
          out.push(JSON.parse(this.#buf.slice(this.#start, i + 1)));
          this.#start = -1;
        } else if (this.#depth === 0) {
          this.#closed = true;
        }
      }
    }
    // Keep only the unfinished element, so memory stays bounded by one element.
    if (this.#start >= 0) {
      this.#buf = this.#buf.slice(this.#start);
      this.#start = 0;
    } else {
      this.#buf = '';
    }
    return out;
  }

  /** true once the closing `]` arrived */
  get complete(): boolean {
    return this.#closed;
  }
}

import { describe, expect, it } from 'vitest';
import { JsonArraySplitter } from '../../src/openhands/json-stream.ts';

describe('JsonArraySplitter', () => {
  const items = [
    { id: 'a', status: 'WORKING', request: { text: 'has } and ] and "quotes" and \\ backslash [' } },
    { id: 'a', status: 'READY', nested: { list: [1, { x: '}' }] } },
  ];
  const text = `[\n${items.map((i) => JSON.stringify(i)).join(',\n')}]`;

  it('yields each element as soon as it is complete, whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const s = new JsonArraySplitter();
      const got: unknown[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...s.push(text.slice(i, i + size)));
      expect(got).toEqual(items);
      expect(s.complete).toBe(true);
    }
  });

  it('reports an unfinished array as incomplete', () => {
    const s = new JsonArraySplitter();
    expect(s.push(`[\n${JSON.stringify(items[0])},\n{"id":"a","sta`)).toEqual([items[0]]);
    expect(s.complete).toBe(false);
  });

  it('rejects a body that is not an array', () => {
    expect(() => new JsonArraySplitter().push('{"detail":"x"}')).toThrow(/not a JSON array/);
  });
});

// The agent's final message from its events (src/openhands/final-message.ts).
import { describe, expect, it } from 'vitest';
import { finalResponse } from '../../src/openhands/final-message.ts';
import type { OHEvent } from '../../src/openhands/types.ts';

const ev = (e: Partial<OHEvent> & { kind: string }): OHEvent => ({ id: Math.random().toString(), source: 'agent', timestamp: '', ...e }) as OHEvent;

describe('finalResponse', () => {
  it('takes the newest finish action, else the newest agent message', () => {
    expect(finalResponse([ev({ kind: 'ActionEvent', tool_name: 'finish', action: { message: 'done!' } }), ev({ kind: 'MessageEvent', llm_message: { content: [{ type: 'text', text: 'older' }] } })])).toBe('done!');
    expect(finalResponse([ev({ kind: 'ObservationEvent', source: 'environment' }), ev({ kind: 'MessageEvent', llm_message: { content: [{ type: 'text', text: 'a' }, { type: 'image', image_urls: ['x', 'y'] }, { type: 'text', text: 'b' }] } })])).toBe('a[Image: 2 URLs]b');
    expect(finalResponse([ev({ kind: 'MessageEvent', source: 'user', llm_message: { content: [{ type: 'text', text: 'user' }] } })])).toBeUndefined();
    expect(finalResponse([ev({ kind: 'ActionEvent', tool_name: 'finish', action: null })])).toBe('');
  });
});

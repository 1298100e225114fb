import { describe, expect, it } from 'vitest';
import { redactCredentials } from '../../src/redact.ts';

const PEM = (kind: string, body: string): string => `-----BEGIN ${kind}PRIVATE KEY-----\n${body}\n-----END ${kind}PRIVATE KEY-----`;

describe('redactCredentials: well-known credential shapes in the agent\'s final message', () => {
  it.each([
    ['GitHub token', `ghp_${'A1b2'.repeat(9)}`],
    ['GitHub token', `ghs_${'x'.repeat(36)}`],
    ['GitHub token', `github_pat_${'x9'.repeat(20)}`],
    ['GitLab token', `glpat-${'a'.repeat(20)}`],
    ['npm token', `npm_${'a'.repeat(36)}`],
    ['Slack token', `xoxb-1234567890-${'a'.repeat(24)}`],
    ['Slack webhook', `https://hooks.slack.com/services/T000/B000/${'x'.repeat(24)}`],
    ['API key', `sk-ant-api03-${'Zz9_'.repeat(10)}`],
    ['API key', `sk-proj-${'q'.repeat(40)}`],
    ['API key', `sk-or-v1-${'0'.repeat(64)}`],
    ['Stripe key', `sk_live_${'a'.repeat(24)}`],
    ['Hugging Face token', `hf_${'a'.repeat(34)}`],
    ['Groq key', `gsk_${'a'.repeat(52)}`],
    ['xAI key', `xai-${'a'.repeat(80)}`],
    ['Google API key', `AIza${'B'.repeat(35)}`],
    ['Google OAuth token', `ya29.${'a'.repeat(40)}`],
    ['AWS access key', 'AKIAIOSFODNN7EXAMPLE'],
    ['JWT', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${'s'.repeat(43)}`],
    ['private key', PEM('RSA ', 'MIIEowIBAAKCAQEA7\nabc+/=')],
    ['private key', PEM('', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')],
    ['private key', PEM('OPENSSH ', 'b3BlbnNzaC1rZXktdjEAAAAA')],
    // the legacy encrypted format has headers with a hyphen inside the block
    ['private key', PEM('RSA ', 'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123\n\nMIIEowIBAAKCAQEA7')],
  ])('%s: %s', (kind, secret) => {
    const out = redactCredentials(`before\n${secret}\nafter`);
    expect(out).toBe(`before\n[redacted ${kind}]\nafter`);
  });

  it('keeps the words around a secret that names it: AWS secret key, Azure key, bearer token', () => {
    expect(redactCredentials(`aws_secret_access_key = ${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}`)).toBe('aws_secret_access_key = [redacted AWS secret key]');
    expect(redactCredentials(`DefaultEndpointsProtocol=https;AccountKey=${'a'.repeat(86)}==;`)).toBe('DefaultEndpointsProtocol=https;AccountKey=[redacted Azure key];');
    expect(redactCredentials(`curl -H "Authorization: Bearer ${'t0k.'.repeat(10)}"`)).toBe('curl -H "Authorization: Bearer [redacted bearer token]"');
  });

  it('a private key block never closed (or closed too far away): everything after its start', () => {
    expect(redactCredentials('key:\n-----BEGIN PRIVATE KEY-----\nMIIEv\nand then the message ends')).toBe('key:\n[redacted private key]');
    expect(redactCredentials(`a\n${PEM('', 'x'.repeat(20_000))}\nb`)).toBe('a\n[redacted private key]');
  });

  it('two blocks, and a block inside a block, each end at the nearest last line', () => {
    const two = `one:\n${PEM('RSA ', 'AAAA')}\ntwo:\n${PEM('EC ', 'BBBB')}\ndone`;
    expect(redactCredentials(two)).toBe('one:\n[redacted private key]\ntwo:\n[redacted private key]\ndone');
    const nested = `-----BEGIN PRIVATE KEY-----\n${PEM('', 'inner')}\ntail -----END PRIVATE KEY----- after`;
    expect(redactCredentials(nested)).toBe('[redacted private key]\ntail -----END PRIVATE KEY----- after');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Fixed the typo in README.md (see #12); the sk- prefix and eyJ alone are no keys. Bearer short.';
    expect(redactCredentials(text)).toBe(text);
  });
});

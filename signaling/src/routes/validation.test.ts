import { describe, expect, it } from 'vitest';
import { credentialsSchema, describeIssues, joinSchema } from './validation.js';

const base = { id: 'edge-1', token: 'abc', role: 'edge', name: 'Kitchen Pi' };

describe('joinSchema', () => {
  it('accepts PeerJS ids and normalises the name', () => {
    const parsed = joinSchema.parse({ ...base, id: 'a1_b2 c3-d4', name: '  Cafe\u0301 Pi ' });
    expect(parsed.id).toBe('a1_b2 c3-d4');
    expect(parsed.name).toBe('Café Pi');
  });

  it('refuses ids PeerJS would refuse, oversized tokens, unknown roles and bad names', () => {
    const bad = [
      { id: '-leading' },
      { id: 'double--dash' },
      { id: 'x'.repeat(65) },
      { token: '' },
      { token: 't'.repeat(129) },
      { role: 'server' },
      { name: '   ' },
      { name: 'n'.repeat(65) },
      { name: 'tab\there' },
      { name: 'zero\u200bwidth' },
      { name: 42 },
    ];
    for (const change of bad) {
      expect(joinSchema.safeParse({ ...base, ...change }).success, JSON.stringify(change)).toBe(
        false,
      );
    }
  });

  it('describes each bad field by name', () => {
    const result = credentialsSchema.safeParse({ id: 5 });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toMatch(/^id: .*; token: /);
  });
});

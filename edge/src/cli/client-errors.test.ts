import { AuthenticationError } from '@peerfetch/shared';
import { describe, expect, it } from 'vitest';
import { ConnectError } from '../client/connect.js';
import { describeFailure, InterruptedError } from './client-errors.js';
import { UsageError } from './fetch-request.js';

describe('describeFailure', () => {
  it('exits as a shell reports the signal that interrupted the command', () => {
    expect(describeFailure(new InterruptedError('SIGINT'))).toEqual({
      message: 'interrupted (SIGINT)',
      code: 130,
    });
    expect(describeFailure(new InterruptedError('SIGTERM')).code).toBe(143);
  });

  it('keeps curl codes for usage and connection failures, and 1 for anything else', () => {
    expect(describeFailure(new UsageError('bad')).code).toBe(2);
    expect(describeFailure(new ConnectError('no route')).code).toBe(7);
    expect(describeFailure(new Error('odd')).code).toBe(1);
  });

  it('gives each authentication failure its own code and advice', () => {
    const failure = describeFailure(new AuthenticationError('not-paired', 'unknown client'));
    expect(failure.code).toBe(12);
    expect(failure.message).toMatch(/pair again/);
  });
});

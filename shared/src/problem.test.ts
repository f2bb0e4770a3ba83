import { describe, expect, it } from 'vitest';
import { problemResponse, readProblem } from './problem.js';

describe('readProblem', () => {
  it('reads the problem a failure carries', async () => {
    const problem = await readProblem(problemResponse(429, 'slow down', { retryAfter: 3 }));
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: 'slow down',
      retryAfter: 3,
    });
  });

  it('takes plain JSON with a detail, and nothing else', async () => {
    const json = (body: string) =>
      new Response(body, { status: 400, headers: { 'content-type': 'application/json' } });
    expect(await readProblem(json('{"detail":"bad name"}'))).toMatchObject({
      status: 400,
      detail: 'bad name',
    });
    expect(await readProblem(json('{"ok":false}'))).toBeUndefined();
    expect(await readProblem(json('not json'))).toBeUndefined();
    const html = new Response('<h1>502</h1>', {
      status: 502,
      headers: { 'content-type': 'text/html' },
    });
    expect(await readProblem(html)).toBeUndefined();
    expect(html.bodyUsed || html.body?.locked).toBeTruthy(); // cancelled, not left open
  });
});

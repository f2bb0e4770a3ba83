import { readProblem as problemOf } from '@peerfetch/shared';

/** A sentence for a failed response: the problem's `detail` (or title) when it has one, else the status. */
export async function readProblem(response: Response): Promise<string> {
  const problem = await problemOf(response);
  const detail = problem?.detail ?? problem?.title ?? '';
  const head = `The device answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return detail ? `${head}: ${detail}.` : `${head}.`;
}

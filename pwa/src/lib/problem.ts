/** A sentence for a failed response: the problem+json `detail` when there is one, else the status. */
export async function readProblem(response: Response): Promise<string> {
  let detail = '';
  try {
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      const body = (await response.json()) as { detail?: unknown; title?: unknown };
      detail =
        typeof body.detail === 'string'
          ? body.detail
          : typeof body.title === 'string'
            ? body.title
            : '';
    } else {
      await response.body?.cancel();
    }
  } catch {
    detail = '';
  }
  const head = `The device answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return detail ? `${head}: ${detail}.` : `${head}.`;
}

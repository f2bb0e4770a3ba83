/** The PWA's API console, driven from an end-to-end test. */
import type { Page } from 'playwright-core';

/**
 * Sends GET `path` from the API console `page` shows, freshly opened (no answer on screen
 * yet), waits for the answer, and resolves with its status line and body as shown.
 */
export async function sendFromConsole(
  page: Page,
  path: string,
  timeoutMs = 30_000,
): Promise<{ status: string; body: string }> {
  await page.getByTestId('console-path').fill(path);
  await page.getByTestId('console-send').click();
  const status = page.getByTestId('console-status');
  await status.waitFor({ timeout: timeoutMs });
  await page.getByTestId('response-body').waitFor({ timeout: timeoutMs });
  return {
    status: (await status.textContent()) ?? '',
    body: (await page.getByTestId('response-body').textContent()) ?? '',
  };
}

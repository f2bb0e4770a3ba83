/**
 * Checks of a PWA screen that a person would notice: content wider than the screen (the
 * page scrolls sideways, or a card cuts off what it holds), and axe-core's serious or
 * critical accessibility violations. Screenshots for looking at go to the temp folder.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** Phone widths from the smallest in use to the largest. */
export const PHONE_WIDTHS = [320, 360, 390, 414, 430] as const;

export interface Overflow {
  /** `document.documentElement.scrollWidth`: over `innerWidth` means the page scrolls sideways. */
  scrollWidth: number;
  innerWidth: number;
  /** Visible elements whose right edge passes the screen or the box that clips them. */
  cutOff: string[];
}

/** How far the current screen reaches past the right edge of the window. */
export function measureOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const cutOff: string[] = [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
      // The right edge it must stay within: the window, or the nearest ancestor that clips.
      let bound = window.innerWidth;
      let scrolls = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const overflowX = getComputedStyle(a).overflowX;
        // Content of a scroll box (a code block, a wide table) is meant to scroll.
        if (overflowX === 'auto' || overflowX === 'scroll') scrolls = true;
        if (overflowX !== 'visible') {
          bound = Math.min(bound, a.getBoundingClientRect().right);
          break;
        }
      }
      if (!scrolls && rect.right > bound + 1) cutOff.push(describe(el));
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      cutOff,
    };
  });
}

/** axe-core's serious and critical violations on the current screen, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary ?? v.help}`,
      ),
    );
}

/** Where screenshots for looking at go: outside the repository. */
export const LOOK_DIR = join(tmpdir(), 'peerfetch-screens');

/** Saves `name-WxH.png` of the screen at its current size, once it has settled. */
export async function lookAt(page: Page, name: string): Promise<string> {
  await mkdir(LOOK_DIR, { recursive: true });
  const size = page.viewportSize();
  const path = join(LOOK_DIR, `${name}-${size?.width}x${size?.height}.png`);
  await page.waitForTimeout(300);
  await page.screenshot({ path });
  return path;
}

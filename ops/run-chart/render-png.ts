import { chromium } from 'playwright-core';

/** Debian's Chromium: nothing is downloaded (see ../shared/NOTES.md). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Renders a self-contained HTML page (no network) to a PNG of its `body`, at 2× for sharp text. */
export async function renderHtmlToPng(html: string, outputPath: string, viewport: { width: number; height: number }): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 2 });
    // Nothing in the page may reach out: the chart is inline SVG.
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load' });
    await page.locator('body').screenshot({ path: outputPath });
  } finally {
    await browser.close();
  }
}

/**
 * PNGs of the delivery metrics screen at 1280×800 (light and dark, and a drill-down) into
 * docs/screenshots/, over the seeded history of test/e2e/metrics-seed.ts.
 * Run: `npm run build:renderer && npx tsx scripts/screenshots-metrics.ts`
 * Optional: PUESTA_SHOTS_DIR to write elsewhere.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startApp } from '../test/e2e/harness.js';
import { seedMetrics } from '../test/e2e/metrics-seed.js';
import { ROOT } from '../test/helpers/core.js';

const OUT = process.env.PUESTA_SHOTS_DIR ?? path.join(ROOT, 'docs', 'screenshots');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const app = await startApp();
  try {
    seedMetrics(app.core);
    for (const scheme of ['light', 'dark'] as const) {
      const page = await app.newPage({ colorScheme: scheme });
      await page.goto(app.base + '#/metrics');
      await page.getByTestId('tile-frequency').waitFor();
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(OUT, `metrics${scheme === 'dark' ? '-dark' : ''}.png`) });
      if (scheme === 'light') {
        await page.getByTestId('tile-changeFailure').click();
        await page.getByTestId('metrics-drill').locator('tbody tr').first().waitFor();
        await page.getByTestId('metrics-drill').scrollIntoViewIfNeeded();
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(OUT, 'metrics-drill.png') });
      }
    }
    console.log(`screenshots in ${OUT}`);
  } finally {
    await app.close();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * A user journey in one test: steps that each need the state the one before left (an install,
 * then operating what it installed). Written as one `it` so no test depends on another test
 * having run first; a failure names its step.
 */
import { it } from 'vitest';

type Step = { name: string; fn: () => Promise<void> };

export function journey(title: string, timeoutMs: number): (name: string, fn: () => Promise<void>) => void {
  const steps: Step[] = [];
  it(
    title,
    async () => {
      for (const s of steps) {
        try {
          await s.fn();
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          err.message = `step "${s.name}": ${err.message}`;
          throw err;
        }
      }
    },
    timeoutMs,
  );
  return (name, fn) => void steps.push({ name, fn });
}

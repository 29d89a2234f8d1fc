import { useEffect, useRef } from 'react';

/** A run control's key, or false while that control is not offered. */
export type RunHotkeys = Record<'p' | 'f' | '/' | 'c' | 'r' | 's' | 'x' | 'a', (() => void) | false>;

/**
 * The run view's single-key shortcuts: P plan · F follow · / search · C confirm · R retry ·
 * S skip · X exclude · A abort. Not while typing in a field, not with a modifier, and not while
 * `paused` (a dialog is open).
 */
export function useRunHotkeys(keys: RunHotkeys, paused: boolean): void {
  // The listener stays for the screen's life and reads the keys of the last render.
  const latest = useRef({ keys, paused });
  useEffect(() => {
    latest.current = { keys, paused };
  });
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || latest.current.paused) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      const fn = latest.current.keys[e.key.toLowerCase() as keyof RunHotkeys];
      if (fn) {
        e.preventDefault();
        fn();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
}

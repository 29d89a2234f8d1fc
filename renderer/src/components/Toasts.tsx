import { createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { currentLocation, useLocation } from '../lib/router.js';
import { Icon } from './Icon.js';
import { onPage, withToast, type Toast, type ToastKind as Kind } from './toastList.js';

interface ToastApi {
  success(message: string): void;
  error(message: string): void;
  info(message: string): void;
}

const Ctx = createContext<ToastApi | null>(null);
let seq = 0;

/**
 * Toasts in the bottom-right corner; errors fade after 12 s, others after 4 s. Copies do not stack
 * and a page's errors leave with the page (toastList.ts).
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const { path } = useLocation();
  useEffect(() => setToasts((t) => onPage(t, path)), [path]);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (kind: Kind, message: string) => {
      const id = ++seq;
      const at = currentLocation().path;
      setToasts((t) => withToast(t, { id, kind, message, path: at }));
      if (kind !== 'error') setTimeout(() => dismiss(id), 4000);
      else setTimeout(() => dismiss(id), 12000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({ success: (m) => push('success', m), error: (m) => push('error', m), info: (m) => push('info', m) }),
    [push],
  );
  // The toasts live in the top layer (a manual popover) so that a modal <dialog> does not cover
  // them; one opened after the dialog goes above it, so a new toast re-enters the top layer then.
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (el.matches(':popover-open') && toasts.length && document.querySelector('dialog:modal')) el.hidePopover();
    if (!el.matches(':popover-open')) el.showPopover();
  }, [toasts]);
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite" popover="manual" ref={box}>
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
            <Icon name={t.kind === 'error' ? 'warn' : 'check'} />
            <span>{t.message}</span>
            <button className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <Icon name="close" size={14} />
            </button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export function useToast(): ToastApi {
  const t = useContext(Ctx);
  if (!t) throw new Error('useToast() outside <ToastProvider>');
  return t;
}

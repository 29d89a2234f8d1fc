import { useId, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useAction } from '../lib/hooks.js';
import { ErrorLine } from './Bits.js';
import { Icon } from './Icon.js';

/** Where focus lands on open: the first field, else the confirming button (not the header's Close). */
const FIRST_FOCUS = 'input, select, textarea, button.btn-primary, button.btn-danger';
const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';

function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.matches(':disabled') && el.tabIndex >= 0 && el.getClientRects().length > 0);
}

/**
 * A modal dialog on the native `<dialog>` opened with `showModal()`: the page behind is inert,
 * Tab and Shift+Tab cycle inside (the browser alone would move on to its own toolbar), Escape
 * (the dialog's `cancel`) and a click on the backdrop close it, and focus goes back to the
 * element that opened it. It is open while mounted: the caller unmounts it in `onClose`.
 */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // The listeners below are attached once; they call whichever onClose the last render gave.
  const close = useRef(onClose);
  useLayoutEffect(() => {
    close.current = onClose;
  });

  useLayoutEffect(() => {
    const dlg = ref.current;
    if (!dlg) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const onCancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    // Without a recent user gesture the browser may close on Escape without a cancellable `cancel`.
    const onNativeClose = () => close.current();
    dlg.addEventListener('cancel', onCancel);
    dlg.addEventListener('close', onNativeClose);
    dlg.showModal();
    dlg.querySelector<HTMLElement>(FIRST_FOCUS)?.focus();
    return () => {
      dlg.removeEventListener('cancel', onCancel);
      dlg.removeEventListener('close', onNativeClose);
      // Leave the top layer first: while the dialog is modal, the opener is inert and cannot take focus.
      if (dlg.open) dlg.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || !ref.current) return;
    const all = tabbables(ref.current);
    if (!all.length) return;
    const first = all[0]!;
    const last = all[all.length - 1]!;
    const at = document.activeElement;
    if (e.shiftKey && (at === first || !ref.current.contains(at))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (at === last || !ref.current.contains(at))) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      className={'dialog' + (wide ? ' dialog-wide' : '')}
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
      // A press on the ::backdrop targets the <dialog> itself; its content fills it edge to edge.
      onMouseDown={(e) => e.target === e.currentTarget && onClose()}
    >
      <header className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button className="icon-btn" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog-body">{children}</div>
      {footer && <footer className="dialog-foot">{footer}</footer>}
    </dialog>
  );
}

/**
 * The usual dialog footer: a plain "Cancel" (or `cancelLabel`) that closes, and the confirming
 * button — red when `danger`, else primary; `children` is its label.
 */
export function ConfirmButtons({
  onCancel,
  cancelLabel = 'Cancel',
  onConfirm,
  disabled,
  danger,
  testId,
  children,
}: {
  onCancel: () => void;
  cancelLabel?: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <>
      <button className="btn" onClick={onCancel}>
        {cancelLabel}
      </button>
      <button className={danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={disabled} onClick={onConfirm} data-testid={testId}>
        {children}
      </button>
    </>
  );
}

/**
 * Asks before something irreversible. `onConfirm` may throw: its message (e.g. the server's
 * REFERENCED refusal) is shown inside the dialog, which stays open.
 */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger,
  disabled,
  testId,
  onConfirm,
  onClose,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** The confirm button stays off (e.g. the action would be refused, and the body says why). */
  disabled?: boolean;
  testId?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, run } = useAction();
  const go = () =>
    run(async () => {
      await onConfirm();
      onClose();
    });
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger={danger} disabled={busy || disabled} onConfirm={() => void go()} testId={testId}>
          {busy ? 'Working…' : confirmLabel}
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">{body}</div>
      <ErrorLine error={error} testId="confirm-error" />
    </Dialog>
  );
}

import { useEffect, useRef, type ReactNode } from 'react';
import { useAction } from '../lib/hooks.js';
import { ErrorLine } from './Bits.js';
import { Icon } from './Icon.js';

/** A modal dialog: Escape and the backdrop close it; focus goes inside. */
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
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', on);
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button.btn-primary, button.btn-danger');
    first?.focus();
    return () => window.removeEventListener('keydown', on);
  }, [onClose]);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={'dialog' + (wide ? ' dialog-wide' : '')} role="dialog" aria-modal="true" aria-label={typeof title === 'string' ? title : undefined} ref={ref}>
        <header className="dialog-head">
          <h2>{title}</h2>
          <button className="icon-btn" aria-label="Close" onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-foot">{footer}</footer>}
      </div>
    </div>
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
  onConfirm,
  onClose,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
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
        <ConfirmButtons onCancel={onClose} danger={danger} disabled={busy} onConfirm={() => void go()}>
          {busy ? 'Working…' : confirmLabel}
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">{body}</div>
      <ErrorLine error={error} testId="confirm-error" />
    </Dialog>
  );
}

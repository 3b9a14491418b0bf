import { useEffect, useReducer, useRef, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../api/errors';

export function ErrorMessage({ error }: { error: CombinedError | Error | undefined }) {
  if (!error) return null;
  const view = describeError(error);
  return (
    <div className="error" role="alert" data-code={view.code}>
      <strong>{view.message}</strong>
      {view.detail && view.detail !== view.message ? <span className="detail"> {view.detail}</span> : null}
      <span className="code"> ({view.code})</span>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p aria-busy="true">Loading {what}…</p>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const percent = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress">
      <progress max={100} value={percent} aria-label={label} />
      <span>{percent}%</span>
    </div>
  );
}

/** A confirmation in a native <dialog>: focus moves in, Escape cancels, the browser traps focus. */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onCancel }: { open: boolean; title: string; children: ReactNode; confirmLabel: string; onConfirm(): void; onCancel(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <div className="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="button" className="danger" onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </dialog>
  );
}

export function Field({ id, label, error, children }: { id: string; label: string; error?: string | undefined; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? <span className="field-error" id={`${id}-error`} role="alert">{error}</span> : null}
    </div>
  );
}

export function Pager({ hasNext, onNext, hasPrevious, onPrevious }: { hasNext: boolean; onNext(): void; hasPrevious: boolean; onPrevious(): void }) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!hasPrevious} onClick={onPrevious}>Previous page</button>
      <button type="button" disabled={!hasNext} onClick={onNext}>Next page</button>
    </nav>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Cursor pagination as a stack of cursors, so "previous" is possible with forward-only cursors. */
export function useCursorStack(): { after: string | undefined; push(cursor: string | null | undefined): void; pop(): void; depth: number; reset(): void } {
  const stack = useRef<Array<string | undefined>>([undefined]);
  const [, force] = useForce();
  return {
    after: stack.current[stack.current.length - 1],
    depth: stack.current.length,
    push: (cursor) => {
      if (!cursor) return;
      stack.current.push(cursor);
      force();
    },
    pop: () => {
      if (stack.current.length > 1) stack.current.pop();
      force();
    },
    reset: () => {
      stack.current = [undefined];
      force();
    },
  };
}

function useForce(): [number, () => void] {
  const [count, dispatch] = useReducer((n: number) => n + 1, 0);
  return [count, dispatch];
}

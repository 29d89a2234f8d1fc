/** The rules of the toast stack (pure; unit-tested): no pile of copies, nothing left from another page. */

export type ToastKind = 'success' | 'error' | 'info';
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  /** The page (route path) it was raised on. */
  path: string;
}

/** At most this many toasts show; the oldest go first. */
export const MAX_TOASTS = 4;

/**
 * The stack after `t` is raised: an equal toast already showing is replaced (not stacked), and a
 * success clears the errors of its page (they were about what just succeeded, e.g. a form's
 * "Some fields need attention" before the save that went through).
 */
export function withToast(list: readonly Toast[], t: Toast): Toast[] {
  const kept = list.filter((x) => !(x.kind === t.kind && x.message === t.message) && !(t.kind === 'success' && x.kind === 'error' && x.path === t.path));
  return [...kept, t].slice(-MAX_TOASTS);
}

/** The stack when the page changes to `path`: errors and notes of other pages go; a success stays (it often leads to the new page). */
export function onPage(list: readonly Toast[], path: string): Toast[] {
  const kept = list.filter((x) => x.kind === 'success' || x.path === path);
  return kept.length === list.length ? (list as Toast[]) : kept;
}

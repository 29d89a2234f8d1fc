/** Issue 11, polish: toasts no longer pile up or outlive their page. */
import { describe, expect, it } from 'vitest';
import { MAX_TOASTS, onPage, withToast, type Toast } from '../../renderer/src/components/toastList.js';

const t = (id: number, kind: Toast['kind'], message: string, path = '/servers/1'): Toast => ({ id, kind, message, path });

describe('toast stack', () => {
  it('the same message raised again replaces the one showing instead of stacking', () => {
    let list: Toast[] = [];
    for (let i = 1; i <= 5; i++) list = withToast(list, t(i, 'error', 'Could not reach web-1'));
    expect(list).toEqual([t(5, 'error', 'Could not reach web-1')]);
  });

  it('a successful save clears the form errors of its page, not those of another', () => {
    let list = [t(1, 'error', 'Some fields need attention before saving.'), t(2, 'error', 'Mail failed', '/notices')];
    list = withToast(list, t(3, 'success', 'Saved.'));
    expect(list.map((x) => x.id)).toEqual([2, 3]);
  });

  it('leaving a page takes its errors along; a success stays; at most a few show', () => {
    const list = [t(1, 'error', 'a'), t(2, 'success', 'Created.'), t(3, 'info', 'b')];
    expect(onPage(list, '/servers').map((x) => x.id)).toEqual([2]);
    expect(onPage(list, '/servers/1')).toBe(list);
    let many: Toast[] = [];
    for (let i = 1; i <= 9; i++) many = withToast(many, t(i, 'info', `m${i}`));
    expect(many).toHaveLength(MAX_TOASTS);
  });
});

/**
 * Calls in flight from the renderer that carry an id, per sender, so that `puesta:cancel` (or the
 * sender's page going away) aborts the handler's signal — as a closed HTTP request does in the
 * browser shell. Pure bookkeeping (no Electron), unit-tested on its own.
 */
export interface CallRegistry {
  /** Starts a call; an id reused while in flight aborts the older call (the newer one wins). */
  begin(senderId: number, callId: string): AbortController;
  /** Forgets a finished call (only if it is still the registered one). */
  end(senderId: number, callId: string, ac: AbortController): void;
  /** Aborts one call of that sender; an unknown id does nothing. */
  cancel(senderId: number, callId: string): void;
  /** Aborts every call of that sender (its page reloaded, crashed or closed). */
  abortSender(senderId: number): void;
  /** Aborts everything (the IPC binding is removed). */
  abortAll(): void;
  readonly size: number;
}

export function createCallRegistry(): CallRegistry {
  const bySender = new Map<number, Map<string, AbortController>>();
  const calls = (senderId: number) => {
    let m = bySender.get(senderId);
    if (!m) bySender.set(senderId, (m = new Map()));
    return m;
  };
  return {
    begin(senderId, callId) {
      const m = calls(senderId);
      m.get(callId)?.abort();
      const ac = new AbortController();
      m.set(callId, ac);
      return ac;
    },
    end(senderId, callId, ac) {
      const m = bySender.get(senderId);
      if (m?.get(callId) === ac) m.delete(callId);
      if (m && m.size === 0) bySender.delete(senderId);
    },
    cancel(senderId, callId) {
      bySender.get(senderId)?.get(callId)?.abort();
    },
    abortSender(senderId) {
      for (const ac of bySender.get(senderId)?.values() ?? []) ac.abort();
    },
    abortAll() {
      for (const m of bySender.values()) for (const ac of m.values()) ac.abort();
    },
    get size() {
      let n = 0;
      for (const m of bySender.values()) n += m.size;
      return n;
    },
  };
}

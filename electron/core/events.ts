import type { EventName, EventPayload } from '../../shared/contract/index.js';

export type AnyListener = (event: EventName, payload: unknown) => void;

/** In-process event bus; the shells forward every event to their renderers. */
export class EventBus {
  private listeners = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of [...this.listeners]) {
      try {
        l(event, payload);
      } catch {
        // a broken listener must not stop the others
      }
    }
  }

  subscribe(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

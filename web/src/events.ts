/**
 * Live updates from GET /api/events (server-sent events). One EventSource for the whole page;
 * views subscribe to the event types they care about. EventSource reconnects by itself; every
 * (re)connection is reported as 'open' so views reload what they show and miss nothing.
 */
export type EventType = 'message' | 'message-state' | 'request' | 'network' | 'contacts' | 'notice' | 'open' | 'down';
type Listener = (data: unknown) => void;

export interface EventHub {
  on(type: EventType, listener: Listener): () => void;
  readonly connected: boolean;
  close(): void;
}

const SERVER_EVENTS: readonly EventType[] = ['message', 'message-state', 'request', 'network', 'contacts', 'notice'];

export function connectEvents(url: string): EventHub {
  const listeners = new Map<EventType, Set<Listener>>();
  const emit = (type: EventType, data: unknown): void => {
    for (const l of listeners.get(type) ?? []) {
      try {
        l(data);
      } catch (error) {
        console.error(`samizdat: ${type} listener failed`, error);
      }
    }
  };
  let connected = false;
  const source = new EventSource(url);
  source.addEventListener('open', () => {
    connected = true;
    emit('open', null);
  });
  source.addEventListener('error', () => {
    if (!connected) return;
    connected = false;
    emit('down', null);
  });
  for (const type of SERVER_EVENTS) {
    source.addEventListener(type, (event: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        console.error(`samizdat: a ${type} event that is not JSON`);
        return;
      }
      emit(type, data);
    });
  }
  return {
    on(type, listener) {
      let set = listeners.get(type);
      if (set === undefined) listeners.set(type, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    get connected() {
      return connected;
    },
    close() {
      source.close();
      listeners.clear();
    },
  };
}

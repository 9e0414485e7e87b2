/**
 * The lists the main screen shows (conversations, requests, contacts, network), loaded from the
 * API and reloaded when the event stream says they changed, or when it reconnects.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from './api.ts';
import type { EventHub } from './events.ts';
import { parseNetworkEvent, type Contact, type Conversation, type MessageRequest, type NetworkStatus } from './model.ts';

export interface LiveData {
  readonly conversations: readonly Conversation[];
  readonly requests: readonly MessageRequest[];
  readonly contacts: readonly Contact[];
  readonly network: NetworkStatus | null;
  /** False while the event stream is down (updates may be missed until it reconnects). */
  readonly live: boolean;
  readonly error: string | null;
  readonly reloadAll: () => Promise<void>;
  readonly reloadNetwork: () => Promise<void>;
}

type Loader = 'conversations' | 'requests' | 'contacts' | 'network';

export function useLiveData(api: Api, hub: EventHub): LiveData {
  const [conversations, setConversations] = useState<readonly Conversation[]>([]);
  const [requests, setRequests] = useState<readonly MessageRequest[]>([]);
  const [contacts, setContacts] = useState<readonly Contact[]>([]);
  const [network, setNetwork] = useState<NetworkStatus | null>(null);
  const [live, setLive] = useState(hub.connected);
  // Each loader's last error, so one loader's success never hides another's failure.
  const [errors, setErrors] = useState<Readonly<Record<Loader, string | null>>>({ conversations: null, requests: null, contacts: null, network: null });

  const guard = useCallback(async (loader: Loader, load: () => Promise<void>) => {
    let failure: string | null = null;
    try {
      await load();
    } catch (e) {
      failure = errorText(e);
    }
    setErrors((current) => (current[loader] === failure ? current : { ...current, [loader]: failure }));
  }, []);
  const reloadConversations = useCallback(() => guard('conversations', async () => setConversations(await api.conversations())), [api, guard]);
  const reloadRequests = useCallback(() => guard('requests', async () => setRequests(await api.requests())), [api, guard]);
  const reloadContacts = useCallback(() => guard('contacts', async () => setContacts(await api.contacts())), [api, guard]);
  const reloadNetwork = useCallback(() => guard('network', async () => setNetwork(await api.network())), [api, guard]);
  const error = errors.conversations ?? errors.requests ?? errors.contacts ?? errors.network;
  const reloadAll = useCallback(async () => {
    await Promise.all([reloadConversations(), reloadRequests(), reloadContacts(), reloadNetwork()]);
  }, [reloadConversations, reloadRequests, reloadContacts, reloadNetwork]);

  useEffect(() => {
    void reloadAll();
    const offs = [
      hub.on('open', () => {
        setLive(true);
        void reloadAll();
      }),
      hub.on('down', () => setLive(false)),
      hub.on('message', () => void Promise.all([reloadConversations(), reloadRequests()])),
      hub.on('message-state', () => void reloadConversations()),
      hub.on('request', () => void Promise.all([reloadRequests(), reloadConversations()])),
      hub.on('contacts', () => void Promise.all([reloadContacts(), reloadConversations(), reloadRequests()])),
      hub.on('network', (data) => {
        const event = parseNetworkEvent(data);
        setNetwork((n) => (n === null ? n : { ...n, online: event.online, path: event.path }));
        void reloadNetwork();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [hub, reloadAll, reloadConversations, reloadRequests, reloadContacts, reloadNetwork]);

  return { conversations, requests, contacts, network, live, error, reloadAll, reloadNetwork };
}

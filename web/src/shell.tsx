/**
 * The main screen once an account is open: a header with the network state, the navigation
 * (chats, requests, contacts, network) and the current view. On a wide screen the conversation
 * list stays beside the open chat; on a phone one of them is shown at a time.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { Chat } from './chat.tsx';
import { ContactsView } from './contacts.tsx';
import { ConversationList } from './conversations.tsx';
import { connectEvents } from './events.ts';
import { shortId } from './format.ts';
import { useLiveData } from './live.ts';
import { parseIncomingEvent, parseNoticeEvent, type AppState } from './model.ts';
import { NetworkView } from './network.tsx';
import { RequestsView } from './requests.tsx';
import { VerifyView } from './verify.tsx';

export type View =
  | { readonly name: 'chats' }
  | { readonly name: 'chat'; readonly accountId: string }
  | { readonly name: 'requests' }
  | { readonly name: 'contacts' }
  | { readonly name: 'verify'; readonly accountId: string; readonly back: View }
  | { readonly name: 'network' };

type TabName = 'chats' | 'requests' | 'contacts' | 'network';
const TABS: readonly { readonly name: TabName; readonly label: string; readonly view: View }[] = [
  { name: 'chats', label: 'Chats', view: { name: 'chats' } },
  { name: 'requests', label: 'Requests', view: { name: 'requests' } },
  { name: 'contacts', label: 'Contacts', view: { name: 'contacts' } },
  { name: 'network', label: 'Network', view: { name: 'network' } },
];

function tabOf(view: View): TabName {
  if (view.name === 'chat') return 'chats';
  if (view.name === 'verify') return tabOf(view.back);
  return view.name;
}

export function Shell({ api, account }: { api: Api; account: NonNullable<AppState['account']> }) {
  const hub = useMemo(() => connectEvents(api.eventsUrl()), [api]);
  useEffect(() => () => hub.close(), [hub]);
  const data = useLiveData(api, hub);
  const [view, setView] = useState<View>({ name: 'chats' });
  const [announcement, setAnnouncement] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const viewRef = useRef(view);
  viewRef.current = view;

  // New messages outside the open chat are announced here; the open chat's log announces its own.
  useEffect(
    () =>
      hub.on('message', (raw) => {
        const event = parseIncomingEvent(raw);
        const from = event.name ?? shortId(event.accountId);
        const current = viewRef.current;
        if (event.request) setAnnouncement(`New message request from ${from}`);
        else if (current.name !== 'chat' || current.accountId !== event.accountId) setAnnouncement(`New message from ${from}`);
      }),
    [hub],
  );
  useEffect(
    () =>
      hub.on('notice', (raw) => {
        const event = parseNoticeEvent(raw);
        const from = event.accountId === null ? 'someone' : (nameOfRef.current(event.accountId) ?? shortId(event.accountId));
        setNotice(event.kind === 'undecryptable' ? `A message from ${from} arrived but could not be opened (${event.code}).` : `${event.kind}: ${event.code}`);
      }),
    [hub],
  );

  const nameOf = (accountId: string): string | null =>
    data.contacts.find((c) => c.accountId === accountId)?.name ?? data.conversations.find((c) => c.accountId === accountId)?.name ?? null;
  const nameOfRef = useRef(nameOf);
  nameOfRef.current = nameOf;
  const online = data.network?.online ?? false;
  const tab = tabOf(view);
  const inChats = view.name === 'chats' || view.name === 'chat';

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Samizdat</span>
        <span class={`netstate ${online ? 'online' : 'offline'}`} role="status" data-testid="online-state">
          {online ? 'Online' : 'Offline'}
          {data.live ? '' : ' · reconnecting…'}
        </span>
      </header>
      <nav class="tabs" aria-label="Main">
        {TABS.map((t) => (
          <button key={t.name} type="button" aria-current={tab === t.name ? 'page' : undefined} onClick={() => setView(t.view)}>
            {t.label}
            {t.name === 'requests' && data.requests.length > 0 ? (
              <span class="badge" aria-label={`${data.requests.length} waiting`}>
                {data.requests.length}
              </span>
            ) : null}
          </button>
        ))}
      </nav>
      {data.error === null ? null : (
        <p class="error banner" role="alert">
          {data.error}
        </p>
      )}
      {notice === null ? null : (
        <div class="warning banner" role="alert">
          <span>{notice}</span>{' '}
          <button type="button" class="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div class={`main-area ${inChats ? 'split' : ''} ${view.name === 'chat' ? 'has-detail' : ''}`}>
        {inChats ? (
          <section class="list-pane" aria-label="Conversations">
            <ConversationList conversations={data.conversations} selected={view.name === 'chat' ? view.accountId : null} onOpen={(accountId) => setView({ name: 'chat', accountId })} onContacts={() => setView({ name: 'contacts' })} focusHeading={view.name === 'chats'} />
          </section>
        ) : null}
        <main id="main" class="detail-pane" tabIndex={-1}>
          {view.name === 'chats' ? <p class="placeholder">Choose a conversation.</p> : null}
          {view.name === 'chat' ? (
            <Chat
              key={view.accountId}
              api={api}
              hub={hub}
              accountId={view.accountId}
              name={nameOf(view.accountId)}
              contact={data.contacts.find((c) => c.accountId === view.accountId) ?? null}
              onBack={() => setView({ name: 'chats' })}
              onVerify={() => setView({ name: 'verify', accountId: view.accountId, back: view })}
              onRequests={() => setView({ name: 'requests' })}
              onChanged={() => void data.reloadAll()}
            />
          ) : null}
          {view.name === 'requests' ? <RequestsView api={api} requests={data.requests} onChanged={() => void data.reloadAll()} onOpen={(accountId) => setView({ name: 'chat', accountId })} /> : null}
          {view.name === 'contacts' ? (
            <ContactsView
              api={api}
              account={account}
              contacts={data.contacts}
              onChanged={() => void data.reloadAll()}
              onOpen={(accountId) => setView({ name: 'chat', accountId })}
              onVerify={(accountId) => setView({ name: 'verify', accountId, back: view })}
            />
          ) : null}
          {view.name === 'verify' ? <VerifyView key={view.accountId} api={api} accountId={view.accountId} name={nameOf(view.accountId)} onBack={() => setView(view.back)} onChanged={() => void data.reloadAll()} /> : null}
          {view.name === 'network' ? <NetworkView network={data.network} onRefresh={data.reloadNetwork} /> : null}
        </main>
      </div>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement}
      </div>
    </div>
  );
}

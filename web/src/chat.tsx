/**
 * One conversation: the messages (a live log: screen readers read new ones out), each outgoing
 * one with its state (sending, stored, failed) updated from the event stream, and the composer.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from './api.ts';
import type { EventHub } from './events.ts';
import { fullTime, HELD_TEXT, isoTime, shortId, STATE_DESCRIPTIONS, STATE_LABELS, utf8Length, when } from './format.ts';
import { parseIncomingEvent, parseMessageStateEvent, type Contact, type Message } from './model.ts';
import { ErrorText, onSubmit, useAction, ViewHeading } from './ui.tsx';

/** The protocol's text limit (src/e2e/content.ts MAX_TEXT_BYTES). */
const MAX_TEXT_BYTES = 16 * 1024;

interface ChatProps {
  api: Api;
  hub: EventHub;
  accountId: string;
  name: string | null;
  contact: Contact | null;
  onBack: () => void;
  onVerify: () => void;
  onRequests: () => void;
  onChanged: () => void;
}

export function Chat({ api, hub, accountId, name, contact, onBack, onVerify, onRequests, onChanged }: ChatProps) {
  const [messages, setMessages] = useState<readonly Message[] | null>(null);
  // Sent from this page and not yet in the server's list.
  const [pending, setPending] = useState<readonly Message[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [identityChanged, setIdentityChanged] = useState(false);
  // Why sends failed (from the message-state events), by message id.
  const [failures, setFailures] = useState<ReadonlyMap<string, string>>(new Map());
  const [draft, setDraft] = useState('');
  const { run, busy, error, setError } = useAction();
  const logRef = useRef<HTMLDivElement>(null);
  const display = name ?? shortId(accountId);

  const load = useCallback(async () => {
    try {
      const list = await api.messages(accountId);
      setMessages(list);
      setPending((p) => p.filter((m) => !list.some((x) => x.id === m.id)));
      setLoadError(null);
    } catch (e) {
      setLoadError(errorText(e));
    }
  }, [api, accountId]);

  useEffect(() => {
    void load();
    const offs = [
      hub.on('open', () => void load()),
      hub.on('message', (raw) => {
        const event = parseIncomingEvent(raw);
        if (event.accountId !== accountId) return;
        if (event.identityChanged) setIdentityChanged(true);
        void load();
      }),
      hub.on('message-state', (raw) => {
        const event = parseMessageStateEvent(raw);
        if (event.accountId !== accountId) return;
        const reason = event.error?.message;
        if (reason !== undefined) setFailures((f) => new Map(f).set(event.id, reason));
        const update = (list: readonly Message[]): readonly Message[] => list.map((m) => (m.id === event.id ? { ...m, state: event.state } : m));
        setMessages((list) => (list === null ? list : update(list)));
        setPending(update);
        void load();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [hub, accountId, load]);

  const shown = [...(messages ?? []), ...pending.filter((p) => !(messages ?? []).some((m) => m.id === p.id))].sort((a, b) => a.sentAt - b.sentAt);

  // Keep the newest message in view.
  useEffect(() => {
    const log = logRef.current;
    if (log !== null) log.scrollTop = log.scrollHeight;
  }, [shown.length]);

  const send = (text: string) => {
    if (text.trim() === '') return;
    if (utf8Length(text) > MAX_TEXT_BYTES) {
      setError(`A message can be at most ${MAX_TEXT_BYTES / 1024} KiB; this one is ${Math.ceil(utf8Length(text) / 1024)} KiB.`);
      return;
    }
    return run(async () => {
      const sentAt = Date.now();
      const r = await api.send(accountId, text);
      setPending((p) => [...p, { id: r.id, direction: 'out', text, sentAt, receivedAt: null, state: r.state }]);
      setDraft((d) => (d === text ? '' : d));
    });
  };

  const unblock = () =>
    run(async () => {
      await api.unblock(accountId);
      onChanged();
    });

  const blocked = contact?.state === 'blocked';
  // Someone who wrote first and was not accepted (or a conversation with no contact left).
  const isRequest = contact === null || contact.state === 'request';

  return (
    <section class="chat" aria-label={`Chat with ${display}`}>
      <header class="chat-head">
        <button type="button" class="back" onClick={onBack}>
          <span aria-hidden="true">← </span>Chats
        </button>
        <ViewHeading>
          <bdi>{display}</bdi>
        </ViewHeading>
        {contact?.verified === true ? (
          <button type="button" class="verified-badge" onClick={onVerify}>
            ✓ Verified
          </button>
        ) : (
          <button type="button" onClick={onVerify} aria-label="Verify safety code">
            Verify
          </button>
        )}
      </header>
      {identityChanged ? (
        <p class="warning" role="alert">
          <bdi>{display}</bdi>'s safety code has changed: they may have a new device, or someone may be in between. Compare safety codes again before you trust new messages.
        </p>
      ) : null}
      <ErrorText error={loadError} />
      <div class="messages" ref={logRef} role="log" aria-live="polite" aria-label={`Messages with ${display}`} tabIndex={0}>
        <ol>
          {messages === null && loadError === null ? <li class="placeholder">Loading…</li> : null}
          {messages !== null && shown.length === 0 ? <li class="placeholder">No messages yet. Say hello.</li> : null}
          {shown.map((m) => (
            <li key={m.id} class={`msg ${m.direction}`} data-id={m.id} data-state={m.state}>
              <span class="sr-only">{m.direction === 'out' ? 'You: ' : `${display}: `}</span>
              <p class="body" dir="auto">
                {m.state === 'held' ? <em>{HELD_TEXT}</em> : m.text}
              </p>
              <p class="meta">
                <time dateTime={isoTime(m.sentAt)} title={fullTime(m.sentAt)}>
                  {when(m.sentAt)}
                </time>
                {m.direction === 'out' ? (
                  <span class={`state ${m.state}`} title={STATE_DESCRIPTIONS[m.state]}>
                    {STATE_LABELS[m.state]}
                  </span>
                ) : null}
                {m.direction === 'out' && m.state === 'failed' ? (
                  <button type="button" class="link" disabled={busy} onClick={() => void send(m.text)}>
                    Send again
                  </button>
                ) : null}
              </p>
              {m.direction === 'out' && m.state === 'failed' && failures.has(m.id) ? (
                <p class="reason" dir="auto">
                  {failures.get(m.id)}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      </div>
      {blocked ? (
        <div class="notice">
          <p>
            You blocked <bdi>{display}</bdi>. Their messages are dropped.
          </p>
          <button type="button" onClick={() => void unblock()} disabled={busy}>
            Unblock
          </button>
        </div>
      ) : isRequest ? (
        <div class="notice">
          <p>
            <bdi>{display}</bdi> is not in your contacts. Accept their request to reply.
          </p>
          <button type="button" onClick={onRequests}>
            Open requests
          </button>
        </div>
      ) : (
        <form class="composer" onSubmit={onSubmit(() => send(draft))}>
          <label for="composer" class="sr-only">
            Message to {display}
          </label>
          <textarea
            id="composer"
            dir="auto"
            rows={2}
            placeholder="Write a message"
            aria-describedby="composer-hint"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void send(draft);
              }
            }}
          />
          <span id="composer-hint" class="sr-only">
            Enter sends; Shift+Enter starts a new line.
          </span>
          <button type="submit" class="primary" disabled={busy || draft.trim() === ''}>
            Send
          </button>
        </form>
      )}
      <ErrorText error={error} />
    </section>
  );
}

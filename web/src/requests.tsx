/**
 * Message requests: first messages from accounts that are not contacts, shown as plain text with
 * no receipts sent, until the user accepts (they become a contact), declines or blocks.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { fullTime, isoTime, shortId, when } from './format.ts';
import type { MessageRequest } from './model.ts';
import { ErrorText, onSubmit, useAction, ViewHeading } from './ui.tsx';

export function RequestsView({ api, requests, onChanged, onOpen }: { api: Api; requests: readonly MessageRequest[]; onChanged: () => void; onOpen: (accountId: string) => void }) {
  return (
    <section class="requests">
      <ViewHeading>Message requests</ViewHeading>
      <p class="hint">People who wrote to you but are not in your contacts. They do not learn that you read their messages until you accept.</p>
      {requests.length === 0 ? (
        <p class="placeholder">No requests.</p>
      ) : (
        <ul class="cards">
          {requests.map((r) => (
            <RequestCard key={r.accountId} api={api} request={r} onChanged={onChanged} onOpen={onOpen} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RequestCard({ api, request, onChanged, onOpen }: { api: Api; request: MessageRequest; onChanged: () => void; onOpen: (accountId: string) => void }) {
  // The server names a request contact with a placeholder; the user gives the real name here.
  const [name, setName] = useState('');
  const { run, busy, error } = useAction();
  const headingId = `request-${request.accountId}`;
  const nameId = `request-name-${request.accountId}`;
  const act = (action: () => Promise<void>, open = false) =>
    run(async () => {
      await action();
      onChanged();
      if (open) onOpen(request.accountId);
    });
  return (
    <li class="card request" aria-labelledby={headingId} data-account-id={request.accountId}>
      <h3 id={headingId}>
        <bdi>{request.name ?? shortId(request.accountId)}</bdi>
      </h3>
      <p class="account-id">
        <span class="sr-only">Account ID: </span>
        <code>{request.accountId}</code>
      </p>
      <ol class="request-messages" aria-label="Their messages">
        {request.messages.map((m) => (
          <li key={m.id}>
            <p class="body" dir="auto">
              {m.text}
            </p>
            <time dateTime={isoTime(m.sentAt)} title={fullTime(m.sentAt)}>
              {when(m.sentAt)}
            </time>
          </li>
        ))}
      </ol>
      <form onSubmit={onSubmit(() => act(() => api.accept(request.accountId, name.trim() === '' ? undefined : name.trim()), true))}>
        <label for={nameId}>Name for this contact</label>
        <input id={nameId} dir="auto" autocomplete="off" maxLength={64} placeholder={request.name ?? ''} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Accept
          </button>
          <button type="button" disabled={busy} onClick={() => void act(() => api.decline(request.accountId))}>
            Decline
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void act(() => api.block(request.accountId))}>
            Block
          </button>
        </div>
      </form>
      <ErrorText error={error} />
    </li>
  );
}

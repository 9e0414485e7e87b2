/**
 * Contacts: the user's own Account ID (text, samizdat: link and QR code, to share), adding a
 * contact by a pasted Account ID or samizdat: link, and the contact list.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api.ts';
import type { AppState, Contact } from './model.ts';
import { QrCode } from './qr.tsx';
import { ErrorText, onSubmit, useAction, ViewHeading } from './ui.tsx';

interface ContactsProps {
  api: Api;
  account: NonNullable<AppState['account']>;
  contacts: readonly Contact[];
  onChanged: () => void;
  onOpen: (accountId: string) => void;
  onVerify: (accountId: string) => void;
}

export function ContactsView({ api, account, contacts, onChanged, onOpen, onVerify }: ContactsProps) {
  return (
    <section class="contacts">
      <ViewHeading>Contacts</ViewHeading>
      <MyId account={account} />
      <AddContact api={api} onAdded={onChanged} />
      <h3>Your contacts</h3>
      {contacts.length === 0 ? (
        <p class="placeholder">No contacts yet.</p>
      ) : (
        <ul class="contact-list">
          {contacts.map((c) => (
            <ContactRow key={c.accountId} api={api} contact={c} onChanged={onChanged} onOpen={onOpen} onVerify={onVerify} />
          ))}
        </ul>
      )}
    </section>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span class="copied" role="status">
        {copied === true ? 'Copied.' : copied === false ? 'Could not copy: select the text and copy it.' : ''}
      </span>
    </>
  );
}

function MyId({ account }: { account: NonNullable<AppState['account']> }) {
  return (
    <section class="card my-id" aria-labelledby="my-id-heading">
      <h3 id="my-id-heading">Your Account ID</h3>
      <p class="hint">Give it to the people you want to hear from: read it out, send it, or let them scan the code.</p>
      <p class="account-id" data-testid="my-account-id">
        <code>{account.accountId}</code>
      </p>
      <div class="actions">
        <CopyButton text={account.accountId} label="Copy Account ID" />
      </div>
      <div class="qr-box">
        <QrCode text={account.uri} label="QR code of your samizdat: link" />
      </div>
      <p class="uri">
        <code>{account.uri}</code>
      </p>
      <div class="actions">
        <CopyButton text={account.uri} label="Copy link" />
      </div>
    </section>
  );
}

function AddContact({ api, onAdded }: { api: Api; onAdded: () => void }) {
  const [idOrUri, setIdOrUri] = useState('');
  const [name, setName] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const { run, busy, error, setError } = useAction();
  const submit = () => {
    if (idOrUri.trim() === '') return setError('Paste an Account ID or a samizdat: link.');
    if (name.trim() === '') return setError('Give the contact a name (only you see it).');
    return run(async () => {
      const contact = await api.addContact(idOrUri.trim(), name.trim());
      setAdded(contact.name);
      setIdOrUri('');
      setName('');
      onAdded();
    });
  };
  return (
    <form class="card add-contact" onSubmit={onSubmit(submit)} aria-labelledby="add-contact-heading">
      <h3 id="add-contact-heading">Add a contact</h3>
      <label for="contact-id">Account ID or samizdat: link</label>
      <input id="contact-id" autocomplete="off" autocapitalize="none" spellcheck={false} dir="auto" placeholder="sz1… or samizdat:sz1…" value={idOrUri} onInput={(e) => setIdOrUri(e.currentTarget.value)} />
      <label for="contact-name">Name</label>
      <input id="contact-name" autocomplete="off" dir="auto" maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Add contact
        </button>
      </div>
      <ErrorText error={error} />
      <p class="ok" role="status">
        {added === null ? '' : `${added} was added.`}
      </p>
    </form>
  );
}

function ContactRow({ api, contact, onChanged, onOpen, onVerify }: { api: Api; contact: Contact; onChanged: () => void; onOpen: (accountId: string) => void; onVerify: (accountId: string) => void }) {
  const { run, busy, error } = useAction();
  const toggleBlock = () =>
    run(async () => {
      await (contact.state === 'blocked' ? api.unblock(contact.accountId) : api.block(contact.accountId));
      onChanged();
    });
  return (
    <li class="contact" data-account-id={contact.accountId}>
      <div class="who">
        <bdi class="name">{contact.name}</bdi>
        {contact.verified ? <span class="verified">✓ verified</span> : null}
        {contact.state === 'blocked' ? <span class="tag">blocked</span> : null}
        {contact.state === 'request' ? <span class="tag">request</span> : null}
        <code class="account-id">{contact.accountId}</code>
      </div>
      <div class="actions">
        <button type="button" onClick={() => onOpen(contact.accountId)} aria-label={`Message ${contact.name}`}>
          Message
        </button>
        <button type="button" onClick={() => onVerify(contact.accountId)} aria-label={`Verify ${contact.name}`}>
          Verify
        </button>
        <button type="button" class={contact.state === 'blocked' ? '' : 'danger'} disabled={busy} onClick={() => void toggleBlock()} aria-label={`${contact.state === 'blocked' ? 'Unblock' : 'Block'} ${contact.name}`}>
          {contact.state === 'blocked' ? 'Unblock' : 'Block'}
        </button>
      </div>
      <ErrorText error={error} />
    </li>
  );
}

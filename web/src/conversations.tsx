/** The conversation list: one entry per contact with messages, newest first. */
import { useEffect, useRef } from 'preact/hooks';
import { HELD_TEXT, shortId, STATE_LABELS, when } from './format.ts';
import type { Conversation } from './model.ts';

export function ConversationList({
  conversations,
  selected,
  onOpen,
  onContacts,
  focusHeading,
}: {
  conversations: readonly Conversation[];
  selected: string | null;
  onOpen: (accountId: string) => void;
  onContacts: () => void;
  focusHeading: boolean;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusHeading) heading.current?.focus();
  }, [focusHeading]);
  const sorted = [...conversations].sort((a, b) => (b.last?.sentAt ?? 0) - (a.last?.sentAt ?? 0));
  return (
    <>
      <h2 ref={heading} tabIndex={-1}>
        Chats
      </h2>
      {sorted.length === 0 ? (
        <div class="empty">
          <p>No conversations yet.</p>
          <button type="button" onClick={onContacts}>
            Add a contact
          </button>
        </div>
      ) : (
        <ul class="conversations">
          {sorted.map((c) => (
            <li key={c.accountId}>
              <button type="button" class="conversation" data-account-id={c.accountId} aria-current={selected === c.accountId ? 'true' : undefined} onClick={() => onOpen(c.accountId)}>
                <span class="row">
                  <bdi class="name">{c.name ?? shortId(c.accountId)}</bdi>
                  {c.verified ? <span class="verified" title="Verified">✓<span class="sr-only"> verified</span></span> : null}
                  {c.state === 'blocked' ? <span class="tag">blocked</span> : null}
                  {c.last === null ? null : <time class="time">{when(c.last.sentAt)}</time>}
                </span>
                {c.last === null ? null : (
                  <span class="row preview">
                    {c.last.direction === 'out' ? <span class="you">You: </span> : null}
                    <span class="text" dir="auto">
                      {c.last.state === 'held' ? HELD_TEXT : c.last.text}
                    </span>
                    {c.last.direction === 'out' && c.last.state !== 'stored' ? <span class={`state ${c.last.state}`}>{STATE_LABELS[c.last.state]}</span> : null}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

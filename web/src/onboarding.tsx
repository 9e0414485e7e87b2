/**
 * First start: create an account (write down the 24-word recovery phrase, then prove it by
 * typing three of its words back) or restore one from its phrase; optionally a passphrase that
 * encrypts the keys on this computer. Also the unlock screen of a profile with a passphrase.
 */
import { useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { ErrorText, onSubmit, useAction, ViewHeading } from './ui.tsx';

type Step = { name: 'welcome' } | { name: 'create' } | { name: 'phrase'; words: string[] } | { name: 'confirm'; words: string[]; positions: number[] } | { name: 'restore' };

/** `count` distinct positions in [0, n), ascending, from the browser's CSPRNG. */
function pickPositions(n: number, count: number): number[] {
  const chosen = new Set<number>();
  const random = new Uint32Array(1);
  while (chosen.size < Math.min(count, n)) {
    crypto.getRandomValues(random);
    chosen.add((random[0] ?? 0) % n);
  }
  return [...chosen].sort((a, b) => a - b);
}

const normalizeWord = (w: string): string => w.trim().toLowerCase();

export function Onboarding({ api, onDone }: { api: Api; onDone: () => void }) {
  const [step, setStep] = useState<Step>({ name: 'welcome' });
  switch (step.name) {
    case 'welcome':
      return (
        <main class="onboarding" id="main">
          <ViewHeading level={1}>Welcome to Samizdat</ViewHeading>
          <p>Private messages that keep working when the network is cut. Nobody can find you by name or phone number: you share your Account ID with the people you want to hear from.</p>
          <div class="actions">
            <button type="button" class="primary" onClick={() => setStep({ name: 'create' })}>
              Create a new account
            </button>
            <button type="button" onClick={() => setStep({ name: 'restore' })}>
              Restore from a recovery phrase
            </button>
          </div>
        </main>
      );
    case 'create':
      return <CreateAccount api={api} onCancel={() => setStep({ name: 'welcome' })} onCreated={(words) => setStep({ name: 'phrase', words })} />;
    case 'phrase':
      return <ShowPhrase words={step.words} onNext={() => setStep({ name: 'confirm', words: step.words, positions: pickPositions(step.words.length, 3) })} />;
    case 'confirm':
      return <ConfirmPhrase words={step.words} positions={step.positions} onBack={() => setStep({ name: 'phrase', words: step.words })} onDone={onDone} />;
    case 'restore':
      return <Restore api={api} onCancel={() => setStep({ name: 'welcome' })} onDone={onDone} />;
  }
}

function PassphraseFields({ value, repeat, onValue, onRepeat }: { value: string; repeat: string; onValue: (v: string) => void; onRepeat: (v: string) => void }) {
  return (
    <fieldset>
      <legend>Passphrase for this computer (optional)</legend>
      <p class="hint" id="passphrase-hint">
        It encrypts your keys on this computer, and you type it each time Samizdat starts. Leave it empty to skip.
      </p>
      <label for="passphrase">Passphrase</label>
      <input id="passphrase" type="password" autocomplete="new-password" dir="auto" aria-describedby="passphrase-hint" value={value} onInput={(e) => onValue(e.currentTarget.value)} />
      <label for="passphrase-repeat">Repeat the passphrase</label>
      <input id="passphrase-repeat" type="password" autocomplete="new-password" dir="auto" value={repeat} onInput={(e) => onRepeat(e.currentTarget.value)} />
    </fieldset>
  );
}

/** The form's submit button (its busy label while the request runs) and a Back button. */
function SubmitOrBack({ busy, label, busyLabel, onBack }: { busy: boolean; label: string; busyLabel: string; onBack: () => void }) {
  return (
    <div class="actions">
      <button type="submit" class="primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      <button type="button" onClick={onBack} disabled={busy}>
        Back
      </button>
    </div>
  );
}

function CreateAccount({ api, onCancel, onCreated }: { api: Api; onCancel: () => void; onCreated: (words: string[]) => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const { run, busy, error, setError } = useAction();
  const submit = () => {
    if (passphrase !== repeat) return setError('The two passphrases differ.');
    return run(async () => {
      const created = await api.createAccount(passphrase === '' ? undefined : passphrase);
      onCreated(created.recoveryPhrase.trim().split(/\s+/));
    });
  };
  return (
    <main class="onboarding" id="main">
      <ViewHeading level={1}>Create your account</ViewHeading>
      <form onSubmit={onSubmit(submit)}>
        <PassphraseFields value={passphrase} repeat={repeat} onValue={setPassphrase} onRepeat={setRepeat} />
        <ErrorText error={error} />
        <SubmitOrBack busy={busy} label="Create account" busyLabel="Creating…" onBack={onCancel} />
      </form>
    </main>
  );
}

function ShowPhrase({ words, onNext }: { words: string[]; onNext: () => void }) {
  const [written, setWritten] = useState(false);
  return (
    <main class="onboarding" id="main">
      <ViewHeading level={1}>Your recovery phrase</ViewHeading>
      <p>
        These {words.length} words are the only way to get your account back on a new device. Write them down on paper, in this order, and keep them where only you can find them. Anyone who has them
        can read your messages.
      </p>
      <ol class="phrase" aria-label="Recovery phrase">
        {words.map((w, i) => (
          <li key={i} data-index={i + 1}>
            {w}
          </li>
        ))}
      </ol>
      <label class="check">
        <input type="checkbox" checked={written} onChange={(e) => setWritten(e.currentTarget.checked)} /> I have written down all {words.length} words
      </label>
      <div class="actions">
        <button type="button" class="primary" disabled={!written} onClick={onNext}>
          Continue
        </button>
      </div>
    </main>
  );
}

function ConfirmPhrase({ words, positions, onBack, onDone }: { words: string[]; positions: number[]; onBack: () => void; onDone: () => void }) {
  const [typed, setTyped] = useState<string[]>(positions.map(() => ''));
  const [error, setError] = useState<string | null>(null);
  const submit = () => {
    const wrong = positions.filter((p, i) => normalizeWord(typed[i] ?? '') !== words[p]);
    if (wrong.length > 0) {
      setError(`Word ${wrong.map((p) => p + 1).join(' and ')} ${wrong.length === 1 ? 'does' : 'do'} not match. Check what you wrote down, or go back to see the phrase again.`);
      return;
    }
    onDone();
  };
  return (
    <main class="onboarding" id="main">
      <ViewHeading level={1}>Check your recovery phrase</ViewHeading>
      <p>Type these words from the phrase you wrote down.</p>
      <form onSubmit={onSubmit(submit)}>
        {positions.map((p, i) => (
          <div class="field" key={p}>
            <label for={`word-${p + 1}`}>Word {p + 1}</label>
            <input
              id={`word-${p + 1}`}
              data-word-index={p + 1}
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              value={typed[i]}
              onInput={(e) => {
                const value = e.currentTarget.value;
                setTyped((t) => t.map((x, j) => (j === i ? value : x)));
              }}
            />
          </div>
        ))}
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Confirm
          </button>
          <button type="button" onClick={onBack}>
            Show the phrase again
          </button>
        </div>
      </form>
    </main>
  );
}

function Restore({ api, onCancel, onDone }: { api: Api; onCancel: () => void; onDone: () => void }) {
  const [phrase, setPhrase] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const { run, busy, error, setError } = useAction();
  const submit = () => {
    if (passphrase !== repeat) return setError('The two passphrases differ.');
    const words = phrase.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
    if (words.length !== 24) return setError(`A recovery phrase has 24 words; this has ${words.length}.`);
    return run(async () => {
      await api.restoreAccount(words.join(' '), passphrase === '' ? undefined : passphrase);
      onDone();
    });
  };
  return (
    <main class="onboarding" id="main">
      <ViewHeading level={1}>Restore your account</ViewHeading>
      <form onSubmit={onSubmit(submit)}>
        <label for="phrase">Recovery phrase (24 words)</label>
        <textarea id="phrase" rows={4} autocomplete="off" autocapitalize="none" spellcheck={false} value={phrase} onInput={(e) => setPhrase(e.currentTarget.value)} />
        <PassphraseFields value={passphrase} repeat={repeat} onValue={setPassphrase} onRepeat={setRepeat} />
        <ErrorText error={error} />
        <SubmitOrBack busy={busy} label="Restore account" busyLabel="Restoring…" onBack={onCancel} />
      </form>
    </main>
  );
}

export function Unlock({ api, onDone }: { api: Api; onDone: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const { run, busy, error } = useAction();
  const submit = () =>
    run(async () => {
      await api.unlock(passphrase);
      onDone();
    });
  return (
    <main class="onboarding" id="main">
      <ViewHeading level={1}>Unlock Samizdat</ViewHeading>
      <form onSubmit={onSubmit(submit)}>
        <label for="unlock-passphrase">Passphrase</label>
        <input id="unlock-passphrase" type="password" autocomplete="current-password" dir="auto" value={passphrase} onInput={(e) => setPassphrase(e.currentTarget.value)} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || passphrase === ''}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
    </main>
  );
}
